// What each panel of the terminal dashboard shows, computed from the state (state.ts) as plain data: text with
// blessed colour tags and chart series. screen.ts only puts it on the screen, so everything here is tested
// without a terminal.
import type { TimeseriesRow } from '../../results/run-format.ts'
import { bar, clock, compact, cut, latency, thresholdCell } from './format.ts'
import type { ThresholdUnitOf } from './format.ts'
import type { DashboardMetricNames, GatewayDevices } from '../second.ts'
import type { DashboardState } from './state.ts'

export interface Series {
  readonly title: string
  readonly x: string[]
  readonly y: number[]
  readonly style: { readonly line: string }
}

export interface ChartView {
  readonly label: string
  readonly series: Series[]
  /** The y axis top (blessed-contrib's line chart divides by it: never 0). */
  readonly maxY: number
}

/** Where a replay's cursor is. */
export interface CursorView {
  readonly index: number
  readonly total: number
  readonly playing: boolean
  readonly speed: number
}

export interface ViewOptions {
  readonly logScale: boolean
  /** Seconds drawn in the charts (at most the history kept). */
  readonly points: number
  /** Columns available for the header's lines. */
  readonly width: number
  readonly paused: boolean
  readonly unitOf: ThresholdUnitOf
  readonly names: DashboardMetricNames
  readonly cursor?: CursorView
  /** Inside size of the fleet panel (its border not counted): how many gateways fit. Default 40x10. */
  readonly fleetSize?: { readonly cols: number, readonly rows: number }
}

export interface TableView { readonly headers: string[], readonly data: string[][] }

export interface DashboardView {
  readonly header: string
  readonly rate: ChartView
  readonly e2e: ChartView
  readonly lag: ChartView
  readonly lagSeconds: ChartView
  readonly mirror: ChartView
  readonly services: TableView
  readonly fleet: string
  readonly log: string[]
}

/** Panel titles, in screen order (the tmux test looks for each). */
export const panelTitles = {
  header: 'fleetlab',
  rate: 'rate /s: target, sent, delivered',
  e2e: 'e2e latency',
  lag: 'consumer lag (records)',
  lagSeconds: 'lag (s), replicas',
  mirror: 'mirror lag (records)',
  services: 'services: CPU, memory',
  fleet: 'fleet & accounting',
  log: 'events',
} as const

export function buildView (state: DashboardState, o: ViewOptions): DashboardView {
  const rows = state.rows.last(Math.max(1, o.points))
  return {
    header: header(state, o),
    rate: chart(panelTitles.rate, rows, [
      { title: 'target', column: r => r.rate_target, colour: 'white' },
      { title: 'sent', column: r => r.sent, colour: 'green' },
      { title: 'delivered', column: r => r.delivered, colour: 'cyan' },
    ], compact),
    e2e: latencyChart(rows, o.logScale),
    lag: chart(panelTitles.lag, rows, [{ title: 'records', column: r => r.consumer_lag, colour: 'yellow' }], compact),
    lagSeconds: chart(panelTitles.lagSeconds, rows, [
      { title: 'lag s', column: r => r.consumer_lag_s, colour: 'yellow' },
      { title: 'desired', column: r => r.consumer_desired, colour: 'magenta' },
      { title: 'actual', column: r => r.consumer_replicas, colour: 'green' },
    ], compact),
    mirror: chart(panelTitles.mirror, rows, [{ title: 'records', column: r => r.mirror_lag, colour: 'cyan' }], compact),
    services: services(state),
    fleet: fleet(state, o.names, o.fleetSize ?? { cols: 40, rows: 10 }),
    log: state.log.last(),
  }
}

function header (state: DashboardState, o: ViewOptions): string {
  const r = state.latest
  const info = state.info
  const mode = o.cursor !== undefined ? '{yellow-fg}REPLAY{/yellow-fg}' : state.live ? '{green-fg}LIVE{/green-fg}' : '{cyan-fg}FINISHED{/cyan-fg}'
  const flags = [mode, o.paused ? '{red-fg}PAUSED{/red-fg}' : '', o.logScale ? 'log' : ''].filter(s => s !== '').join(' ')
  const line1 = `{bold}${esc(info.experiment)}{/bold} (${esc(info.kind)})  phase {bold}${esc(r?.phase ?? 'starting')}{/bold}  ${flags}  run ${esc(info.runId)}`
  const elapsed = r?.t_s ?? 0
  const planned = info.plannedWorkloadMs === undefined ? undefined : info.plannedWorkloadMs / 1000
  const done = state.workloadElapsedS()
  let progress: string
  if (planned === undefined) progress = `workload ${clock(done)} (adaptive: no planned end)`
  else {
    const fraction = planned === 0 ? 1 : Math.min(1, done / planned)
    const remaining = state.outsideWorkload() && state.workloadStartT !== undefined ? 'draining' : `remaining ${clock(Math.max(0, planned - done))}`
    const barWidth = Math.max(10, Math.min(40, o.width - 70))
    progress = `workload ${clock(Math.min(done, planned))} / ${clock(planned)}  ${remaining}  ${bar(fraction, barWidth)} ${Math.round(fraction * 100)}%`
  }
  const line2 = `elapsed ${clock(elapsed)}  ${progress}`
  const cursor = o.cursor === undefined ? '' : `  cursor ${o.cursor.index + 1}/${o.cursor.total} ${o.cursor.playing ? '▶' : '❚❚'} ${o.cursor.speed}x`
  const thresholds = state.thresholds.length === 0 ? 'thresholds: none' : state.thresholds.map(t => thresholdCell(t, o.unitOf)).join('   ')
  return [line1, line2 + cursor, thresholds].join('\n')
}

interface Column {
  readonly title: string
  readonly column: (r: TimeseriesRow) => number | null
  readonly colour: string
}

function chart (label: string, rows: readonly TimeseriesRow[], columns: readonly Column[], show: (v: number | null) => string): ChartView {
  const x = rows.map(r => String(r.t_s))
  let max = 0
  const series = columns.map(c => {
    const y = rows.map(r => c.column(r) ?? 0)
    for (const v of y) if (v > max) max = v
    const last = rows.length === 0 ? null : c.column(rows[rows.length - 1]!)
    return { title: `${c.title} ${show(last)}`, x, y, style: { line: c.colour } }
  })
  return { label, series: padSeries(series), maxY: niceMax(max) }
}

function latencyChart (rows: readonly TimeseriesRow[], logScale: boolean): ChartView {
  const columns: Column[] = [
    { title: 'p50', column: r => r.e2e_p50_ms, colour: 'green' },
    { title: 'p95', column: r => r.e2e_p95_ms, colour: 'yellow' },
    { title: 'p99', column: r => r.e2e_p99_ms, colour: 'red' },
  ]
  if (!logScale) return chart(`${panelTitles.e2e} (ms)`, rows, columns, latency)
  // log10 of ms: the chart's labels read 0 = 1 ms, 1 = 10 ms, 2 = 100 ms, 3 = 1 s
  const logged = columns.map(c => ({ ...c, column: (r: TimeseriesRow) => { const v = c.column(r); return v === null ? null : Math.log10(Math.max(1, v)) } }))
  const view = chart(`${panelTitles.e2e} (log10 ms: 1=10ms 3=1s)`, rows, logged, latency)
  const titles = columns.map(c => `${c.title} ${latency(rows.length === 0 ? null : c.column(rows[rows.length - 1]!))}`)
  return { ...view, series: view.series.map((s, i) => ({ ...s, title: titles[i]! })), maxY: Math.max(1, Math.ceil(maxOf(view.series))) }
}

function maxOf (series: readonly Series[]): number {
  let max = 0
  for (const s of series) for (const v of s.y) if (v > max) max = v
  return max
}

/** blessed-contrib draws nothing sensible from an empty series: one zero point until the first second. */
function padSeries (series: Series[]): Series[] {
  return series.map(s => (s.y.length > 0 ? s : { ...s, x: ['0'], y: [0] }))
}

/** A round top for the y axis above `max` (1, 2, 5 x 10^n), never 0. */
export function niceMax (max: number): number {
  if (!(max > 0)) return 1
  const target = max * 1.1
  const p = Math.pow(10, Math.floor(Math.log10(target)))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= target) return m * p
  return 10 * p
}

/**
 * The gateways as `name active/registered`, packed into columns: every gateway when they fit in `maxLines` lines of
 * `cols`; otherwise the spread of active devices and the gateways with the fewest active first (the ones falling
 * behind are the ones to see), with how many are not shown.
 */
export function gatewayLines (gateways: readonly GatewayDevices[], cols: number, maxLines: number): string[] {
  const cells = (list: readonly GatewayDevices[]): string[] => list.map(g => `${cut(g.gateway, 14)} ${compact(g.active)}/${compact(g.registered)}`)
  const all = cells(gateways)
  const width = Math.max(...all.map(c => c.length)) + 2
  const perLine = Math.max(1, Math.floor((cols - 2) / width))
  const pack = (list: readonly string[]): string[] => {
    const out: string[] = []
    for (let i = 0; i < list.length; i += perLine) out.push(`  ${list.slice(i, i + perLine).map(c => esc(c.padEnd(width))).join('').trimEnd()}`)
    return out
  }
  const n = gateways.length
  if (n <= perLine * maxLines) return [`${n} gateway${n === 1 ? '' : 's'} (active/registered):`, ...pack(all)]
  const active = gateways.map(g => g.active ?? 0).sort((a, b) => a - b)
  // One line of the budget says how many more there are.
  const shown = Math.max(1, perLine * Math.max(1, maxLines - 1))
  const worst = gateways.slice().sort((a, b) => (a.active ?? 0) - (b.active ?? 0) || a.gateway.localeCompare(b.gateway)).slice(0, shown)
  return [
    `${n} gateways, active ${compact(active[0])} to ${compact(active[n - 1])}, median ${compact(active[Math.floor((n - 1) / 2)])}`,
    ...pack(cells(worst)),
    `  +${n - shown} more; fewest active first`,
  ]
}

function services (state: DashboardState): TableView {
  const r = state.latest
  const data = state.info.services.map(s => {
    const sample = r?.services[s]
    return [s, compact(sample?.cpuPct), compact(sample?.memMb)]
  })
  return { headers: ['service', 'cpu %', 'mem MB'], data }
}

/** Lines of the fleet panel that are not per-gateway: devices, the gateways' legend, registrations, sent, loss, late. */
const FLEET_FIXED_LINES = 6

function fleet (state: DashboardState, names: DashboardMetricNames, size: { cols: number, rows: number }): string {
  const r = state.latest
  const t = state.totals
  const total = (name: string): number | undefined => t?.[name]
  const sent = total(names.sent) ?? state.sums.sent
  const delivered = total(names.delivered) ?? state.sums.delivered
  let errors = state.sums.errors
  if (t !== undefined) { errors = 0; for (const [name, n] of Object.entries(t)) if (name.startsWith('errors.')) errors += n }
  const lines = [
    `devices target ${compact(r?.devices_target)}  active ${compact(r?.devices_active)}  registered ${compact(state.registered)}`,
  ]
  if (state.gateways.length > 0) lines.push(...gatewayLines(state.gateways, size.cols, Math.max(1, size.rows - FLEET_FIXED_LINES)))
  lines.push(`registration failures ${compact(total(names.registerFailed) ?? null)}  retransmissions ${compact(total(names.retransmits) ?? null)}`)
  lines.push(`sent ${compact(sent)}  delivered ${compact(delivered)}  not yet delivered ${compact(Math.max(0, sent - delivered))}`)
  const s = state.summary
  if (s !== undefined) {
    const lost = s.lost ?? 0
    lines.push(`${lost > 0 ? '{red-fg}' : '{green-fg}'}lost ${compact(s.lost)} (${s.loss_ratio === null ? '-' : `${Number((s.loss_ratio * 100).toFixed(3))}%`})${lost > 0 ? '{/red-fg}' : '{/green-fg}'}  duplicates ${compact(s.duplicates)}  errors ${compact(s.errors)}`)
  } else {
    const dup = total(names.duplicates)
    lines.push(`duplicates so far ${compact(dup ?? null)}  errors ${errors > 0 ? `{red-fg}${compact(errors)}{/red-fg}` : '0'}  (loss: at the end)`)
  }
  if (r !== undefined) lines.push(`late sends ${compact(r.sent_late)}/s  udp drops ${compact(r.udp_drops)}/s  edge in ${compact(r.edge_in)}/s  cloud out ${compact(r.cloud_out)}/s`)
  return lines.join('\n')
}

function esc (text: string): string {
  return text.replace(/[{}]/g, c => (c === '{' ? '{open}' : '{close}'))
}
