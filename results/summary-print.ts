// The end-of-run summary on the terminal, in the manner of k6's: one aligned line per measure, the thresholds with
// ✓ / ✗ and the measured value, and where the results went. Plain text; the caller decides about colour.
import type { RunMeta, SummaryRow } from './run-format.ts'

const dash = '-'

export function fmtNumber (v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return dash
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}

export function fmtMs (v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return dash
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`
  return `${v.toFixed(v < 10 ? 2 : 1)} ms`
}

export function fmtPct (ratio: number | null | undefined, digits = 3): string {
  return ratio === null || ratio === undefined || !Number.isFinite(ratio) ? dash : `${(ratio * 100).toFixed(digits)} %`
}

/** A threshold's measured value in its metric's unit (ms for latencies, % for ratios, a count otherwise). */
export function fmtThresholdValue (metric: string, value: number | null): string {
  if (value === null) return 'not measured'
  if (/ratio|loss/.test(metric)) return fmtPct(value)
  if (/p\d+|max|min|mean|latency|lateness|_ms$/.test(metric)) return fmtMs(value)
  return fmtNumber(value, Number.isInteger(value) ? 0 : 2)
}

export function formatRunSummary (meta: RunMeta, summary: SummaryRow, options: { runDir?: string } = {}): string {
  const s = summary
  const lines: Array<[string, string]> = []
  const add = (label: string, value: string): void => { lines.push([label, value]) }
  const reasons = [
    ['not in edge', s.lost_not_in_edge], ['not mirrored', s.lost_not_mirrored], ['not consumed', s.lost_not_consumed],
  ].filter(([, v]) => v !== null && v !== 0).map(([k, v]) => `${k} ${fmtNumber(v as number)}`)

  add('devices', `${fmtNumber(s.devices_peak)} peak`)
  add('sent', `${fmtNumber(s.sent)}  (${fmtNumber(s.late)} late, > 10 ms after the intended send time)`)
  add('delivered', fmtNumber(s.delivered))
  add('lost', `${fmtNumber(s.lost)}  ${fmtPct(s.loss_ratio)}${reasons.length > 0 ? `  (${reasons.join(', ')})` : ''}`)
  add('duplicates', fmtNumber(s.duplicates))
  add('rate', `${fmtNumber(s.rate_achieved_mean, 1)}/s achieved of ${fmtNumber(s.rate_target_mean, 1)}/s target` +
    (s.rate_accuracy_pct === null ? '' : `  (${s.rate_accuracy_pct.toFixed(1)} %)`))
  add('e2e latency', `p50 ${fmtMs(s.e2e_p50_ms)}  p95 ${fmtMs(s.e2e_p95_ms)}  p99 ${fmtMs(s.e2e_p99_ms)}  p99.9 ${fmtMs(s.e2e_p999_ms)}  ` +
    `max ${fmtMs(s.e2e_max_ms)}  mean ${fmtMs(s.e2e_mean_ms)}`)
  if ((s.e2e_clamped ?? 0) > 0) {
    add('e2e clamped', `${fmtNumber(s.e2e_clamped)} latencies outside the histogram (below 0 ms: a gateway's clock ahead of the sink's; or above its top)`)
  }
  add('lateness', `p99 ${fmtMs(s.lateness_p99_ms)}`)
  add('consumer lag', `${fmtNumber(s.consumer_lag_max)} max`)
  add('errors', fmtNumber(s.errors))
  add('duration', s.duration_s === null ? dash : `${s.duration_s.toFixed(1)} s`)
  const load = meta.machine.loadAverage
  add('machine', `${meta.machine.cpus} cores, ${meta.runtime} runtime` +
    (load === undefined ? '' : `, load average ${load.start[0]?.toFixed(2) ?? dash}${load.end === undefined ? '' : ` at start, ${load.end[0]?.toFixed(2) ?? dash} at end`}`))
  if (meta.overhead !== undefined) add('lab overhead', `runner ${meta.overhead.runnerCpuPct.toFixed(1)} % CPU, ${meta.overhead.runnerMemMb.toFixed(0)} MB`)
  const tables: string[] = []
  if (meta.result !== undefined) {
    const scalars = Object.entries(meta.result).filter(([, v]) => v === null || typeof v !== 'object')
    add('result', scalars.map(([k, v]) => `${k} ${String(v)}`).join(', '))
    for (const [k, v] of Object.entries(meta.result)) if (Array.isArray(v) && v.length > 0) tables.push('', k, ...resultTable(v))
  }

  const width = Math.max(...lines.map(([l]) => l.length)) + 2
  const out = [
    `${meta.experiment.name} (${meta.experiment.kind})  run ${meta.runId}  seed ${meta.seed}`,
    ...(meta.complete ? [] : [`INCOMPLETE: ${meta.incompleteReason ?? 'the run stopped early'}`]),
    '',
    ...lines.map(([l, v]) => `  ${l.padEnd(width, '.')} ${v}`),
  ]
  out.push(...tables)
  if (meta.thresholds.length > 0) {
    out.push('', 'thresholds')
    const label = (t: { metric: string, source: string }): string => t.source.startsWith(t.metric) ? t.source : `${t.metric} ${t.source}`
    const tw = Math.max(...meta.thresholds.map(t => label(t).length)) + 2
    for (const t of meta.thresholds) {
      out.push(`  ${t.passed ? '✓' : '✗'} ${label(t).padEnd(tw)} ${fmtThresholdValue(t.metric, t.value)}`)
    }
  }
  out.push('', ...(options.runDir === undefined ? [] : [`results  ${options.runDir}`]), `report   fleetlab report ${meta.runId}`)
  return out.join('\n')
}

/** An adaptive workload's list (capacity plateaus) as aligned rows: scalar fields as columns, lists joined. */
function resultTable (items: unknown[]): string[] {
  const rows = items.filter((i): i is Record<string, unknown> => typeof i === 'object' && i !== null)
  // lists (a plateau's reasons) are the widest cells: they go last
  const keys = [...new Set(rows.flatMap(r => Object.keys(r)))].filter(k => k !== 'index')
    .sort((a, b) => Number(rows.some(r => Array.isArray(r[a]))) - Number(rows.some(r => Array.isArray(r[b]))))
  const cell = (v: unknown): string => {
    if (v === undefined || v === null) return dash
    if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3)))
    if (Array.isArray(v)) return v.length === 0 ? dash : v.map(String).join('; ')
    return String(v)
  }
  const cells = [keys, ...rows.map(r => keys.map(k => cell(r[k])))]
  const widths = keys.map((_, i) => Math.max(...cells.map(c => c[i]!.length)))
  return cells.map(c => '  ' + c.map((v, i) => i === c.length - 1 ? v : v.padEnd(widths[i]!)).join('  '))
}
