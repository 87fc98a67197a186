// `fleetlab compare --format html`: the comparison table and the runs' per-second series overlaid, one line per run,
// in the report's page style.
import { lineChart } from './charts.ts'
import type { ChartSpec } from './charts.ts'
import { comparisonNote, fmtDelta, fmtTest, fmtValue, workloadRows } from './compare.ts'
import type { Comparison } from './compare.ts'
import { escapeHtml, figure, htmlPage, htmlTable } from './html-page.ts'
import type { HtmlCell } from './html-page.ts'
import type { LoadedRun } from './run-loader.ts'
import type { TimeseriesNumberColumn } from './run-format.ts'

const overlays: Array<{ name: string, title: string, yLabel: string, column: TimeseriesNumberColumn }> = [
  { name: 'sent', title: 'Achieved rate (sent)', yLabel: 'notifications / s', column: 'sent' },
  { name: 'delivered', title: 'Delivered', yLabel: 'notifications / s', column: 'delivered' },
  { name: 'e2e-p99', title: 'e2e latency p99 per second', yLabel: 'ms', column: 'e2e_p99_ms' },
  { name: 'lateness-p99', title: 'Lateness p99 per second', yLabel: 'ms', column: 'lateness_p99_ms' },
  { name: 'consumer-lag', title: 'Consumer lag', yLabel: 'records', column: 'consumer_lag' },
]

/** One chart per key series, one line per run (x: seconds since the workload started). */
export function compareCharts (runs: LoadedRun[]): ChartSpec[] {
  return overlays.map(o => ({
    name: o.name, title: o.title, xLabel: 'time since the workload started (s)', yLabel: o.yLabel,
    series: runs.map((run, i) => {
      const rows = workloadRows(run)
      const t0 = rows[0]?.t_s ?? 0
      return { name: `run ${i + 1}`, points: rows.map(r => [r.t_s - t0, r[o.column]] as const) }
    }),
  }))
}

export function compareHtml (c: Comparison, runs: LoadedRun[]): string {
  const header = ['metric', 'unit', 'run 1']
  for (let i = 2; i <= c.runs.length; i++) header.push(`run ${i}`, `Δ ${i}`, `significant ${i}`)
  const rows = c.metrics.map(m => {
    const row: HtmlCell[] = [m.label, m.unit, fmtValue(m.values[0]!.value, m.unit)]
    for (const v of m.values.slice(1)) {
      row.push(fmtValue(v.value, m.unit), fmtDelta(v, m.unit),
        { html: escapeHtml(fmtTest(v)), ...(v.significant === true ? { class: 'sig' } : {}) })
    }
    return row
  })
  const runList = htmlTable(['', 'run id', 'experiment', 'kind', 'workload seconds', 'complete', 'folder'],
    c.runs.map((r, i) => [`run ${i + 1}`, r.runId, r.experiment, r.kind, r.workloadSeconds, r.complete ? 'yes' : 'no', r.dir]))
  const body = [
    `<h1>fleetlab compare <small>(${c.runs.length} runs)</small></h1>`,
    '<h2>Runs</h2>', runList,
    '<h2>Metrics</h2>', htmlTable(header, rows), `<p class="note">${escapeHtml(comparisonNote)}</p>`,
    '<h2>Charts</h2>', ...compareCharts(runs).map(spec => figure(lineChart(spec))),
  ]
  return htmlPage(`fleetlab compare: ${c.runs.map(r => r.runId).join(' vs ')}`, body.join('\n'))
}
