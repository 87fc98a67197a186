// `fleetlab report`: one run as a self-contained HTML page (charts, summary, thresholds, events, the experiment),
// plus a PNG of every chart for tickets (png.ts). Reads only the run folder, so it also works for a killed run.
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { lineChart } from './charts.ts'
import type { ChartSpec, Series } from './charts.ts'
import { escapeHtml, figure, htmlPage, htmlTable } from './html-page.ts'
import type { HtmlCell } from './html-page.ts'
import { chromiumPackage, findChromium, screenshot } from './png.ts'
import type { LoadedRun } from './run-loader.ts'
import type { TimeseriesNumberColumn, TimeseriesRow } from './run-format.ts'
import { summaryColumns } from './run-format.ts'
import { fmtThresholdValue } from './summary-print.ts'

type Sampler = (r: TimeseriesRow) => number | null

function series (rows: TimeseriesRow[], name: string, pick: Sampler, extra: Partial<Series> = {}): Series {
  return { name, points: rows.map(r => [r.t_s, pick(r)] as const), ...extra }
}
const col = (c: TimeseriesNumberColumn): Sampler => r => r[c]

/** The charts of one run, in page order. */
export function runCharts (run: LoadedRun): ChartSpec[] {
  const rows = run.rows
  const x = 'time since start (s)'
  return [
    { name: 'rate', title: 'Rate: target vs sent vs delivered', xLabel: x, yLabel: 'notifications / s', series: [
      series(rows, 'target', col('rate_target'), { dashed: true }), series(rows, 'sent', col('sent')), series(rows, 'delivered', col('delivered'))] },
    { name: 'latency', title: 'Latency percentiles per second', xLabel: x, yLabel: 'ms', series: [
      series(rows, 'e2e p50', col('e2e_p50_ms')), series(rows, 'e2e p95', col('e2e_p95_ms')), series(rows, 'e2e p99', col('e2e_p99_ms')),
      series(rows, 'e2e max', col('e2e_max_ms')), series(rows, 'lateness p99', col('lateness_p99_ms'), { dashed: true })] },
    { name: 'lag', title: 'Consumer lag and replicas', xLabel: x, yLabel: 'records', y2Label: 'replicas', series: [
      series(rows, 'consumer lag', col('consumer_lag')), series(rows, 'mirror lag (edge - cloud)', col('mirror_lag')), series(rows, 'replicas', col('consumer_replicas'), { axis: 'right' }),
      series(rows, 'desired replicas', col('consumer_desired'), { axis: 'right', dashed: true })] },
    { name: 'devices', title: 'Devices: target vs active', xLabel: x, yLabel: 'devices', series: [
      series(rows, 'target', col('devices_target'), { dashed: true }), series(rows, 'active', col('devices_active'))] },
    { name: 'cpu', title: 'CPU per service', xLabel: x, yLabel: '% of one core',
      series: run.services.map(s => series(rows, s, r => r.services[s]?.cpuPct ?? null)) },
    { name: 'memory', title: 'Memory per service', xLabel: x, yLabel: 'MB',
      series: run.services.map(s => series(rows, s, r => r.services[s]?.memMb ?? null)) },
  ]
}

function metaTable (run: LoadedRun): string {
  const m = run.meta
  const rows: Array<[string, string]> = [
    ['run id', m.runId],
    ['experiment', `${m.experiment.name} (${m.experiment.kind}) from ${m.experiment.file}`],
    ...(m.experiment.description === undefined ? [] : [['description', m.experiment.description] as [string, string]]),
    ['seed', String(m.seed)],
    ['started / ended', `${m.startedAt} / ${m.endedAt ?? '-'}`],
    ['runtime / platform', `${m.runtime} / ${m.platform.name}${m.platform.external ? ' (external)' : ''}`],
    ['versions', `fleetlab ${m.versions.fleetlab}, node ${m.versions.node}, kafka ${m.versions.kafka}`],
    ['git', m.git === null ? '-' : `${m.git.commit}${m.git.dirty ? ' (uncommitted changes)' : ''}`],
    ['machine', `${m.machine.hostname}: ${m.machine.os}, ${m.machine.cpus} x ${m.machine.cpuModel}, ${(m.machine.memoryBytes / 2 ** 30).toFixed(1)} GiB`],
    ...(m.overhead === undefined ? [] : [['lab overhead', `runner ${m.overhead.runnerCpuPct.toFixed(1)} % CPU, ${m.overhead.runnerMemMb.toFixed(0)} MB`] as [string, string]]),
    ...(m.result === undefined ? [] : [['result', JSON.stringify(m.result)] as [string, string]]),
  ]
  return htmlTable(['', ''], rows)
}

function summaryTable (run: LoadedRun): string {
  const s = run.summary
  if (s === null) return '<p class="note">No summary.csv: the run was cut off before it finished. The charts show what was recorded.</p>'
  return htmlTable(['measure', 'value'], summaryColumns.map(c => [c, s[c] === null ? '-' : typeof s[c] === 'number' ? Number((s[c] as number).toPrecision(8)) : String(s[c])]))
}

function thresholdsTable (run: LoadedRun): string {
  const t = run.meta.thresholds
  if (t.length === 0) return '<p class="note">The experiment sets no thresholds.</p>'
  return htmlTable(['', 'metric', 'threshold', 'measured'], t.map((x): HtmlCell[] => [
    { html: x.passed ? '✓ pass' : '✗ fail', class: x.passed ? 'pass' : 'fail' }, x.metric, x.source, fmtThresholdValue(x.metric, x.value)]))
}

const MAX_EVENTS = 2000

function eventsTable (run: LoadedRun): string {
  if (run.events.length === 0) return '<p class="note">No events.</p>'
  const shown = run.events.slice(0, MAX_EVENTS)
  return htmlTable(['t (s)', 'kind', 'source', 'detail'], shown.map(e => [e.t_s, e.kind, e.source, e.detail])) +
    (run.events.length > shown.length ? `<p class="note">${run.events.length - shown.length} more in events.csv</p>` : '')
}

/** The report page of one run. */
export function reportHtml (run: LoadedRun, charts: ChartSpec[] = runCharts(run)): string {
  const m = run.meta
  const body = [
    `<h1>${escapeHtml(m.experiment.name)} <small>(${escapeHtml(m.experiment.kind)})</small></h1>`,
    `<p class="sub">run ${escapeHtml(m.runId)}, started ${escapeHtml(m.startedAt)}</p>`,
    m.complete ? '' : `<p class="incomplete">Incomplete run: ${escapeHtml(m.incompleteReason ?? 'it stopped early')}</p>`,
    '<h2>Summary</h2>', summaryTable(run),
    '<h2>Thresholds</h2>', thresholdsTable(run),
    '<h2>Charts</h2>', ...charts.map(c => figure(lineChart(c))),
    '<h2>Events</h2>', eventsTable(run),
    '<h2>Run</h2>', metaTable(run),
    '<h2>Experiment config</h2>', `<pre>${escapeHtml(JSON.stringify(m.experiment.config, null, 2) ?? 'null')}</pre>`,
    `<p class="note">Made by fleetlab ${escapeHtml(m.versions.fleetlab)} from ${escapeHtml(run.dir)}. Column meanings: docs/results.md.</p>`,
  ]
  return htmlPage(`fleetlab report: ${m.experiment.name} ${m.runId}`, body.join('\n'))
}

export interface PngOptions {
  /** false: no PNGs, no warning (--no-png). */
  png: boolean
  env?: NodeJS.ProcessEnv
  progress?: (line: string) => void
  warn?: (line: string) => void
}

export interface PngResult { pngs: string[], skipped: boolean }

/** Writes each chart as charts/<name>.svg and renders charts/<name>.png next to it. */
export async function writeChartPngs (charts: ChartSpec[], dir: string, o: PngOptions): Promise<PngResult> {
  if (!o.png) return { pngs: [], skipped: true }
  const chromium = findChromium(o.env)
  if (chromium === undefined) {
    o.warn?.(`warning: no Chromium found on PATH, so no PNG charts were made (the HTML report has them all); install ${chromiumPackage} ` +
      `(Debian: apt-get install ${chromiumPackage}) or set FLEETLAB_CHROMIUM, or pass --no-png`)
    return { pngs: [], skipped: true }
  }
  await mkdir(dir, { recursive: true })
  const pngs: string[] = []
  for (const [i, c] of charts.entries()) {
    const svg = join(dir, `${c.name}.svg`)
    const png = join(dir, `${c.name}.png`)
    o.progress?.(`rendering ${png} (${i + 1}/${charts.length})`)
    await writeFile(svg, lineChart(c))
    await screenshot(chromium, svg, png, { width: c.width ?? 800, height: c.height ?? 320 })
    pngs.push(png)
  }
  return { pngs, skipped: false }
}

/** Writes report.html (default <run dir>/report.html) and the chart PNGs (in charts/ next to it). */
export async function writeReport (run: LoadedRun, out: string | undefined, o: PngOptions): Promise<{ html: string } & PngResult> {
  const html = out ?? join(run.dir, 'report.html')
  const charts = runCharts(run)
  await mkdir(dirname(html), { recursive: true })
  await writeFile(html, reportHtml(run, charts))
  return { html, ...await writeChartPngs(charts, join(dirname(html), 'charts'), o) }
}
