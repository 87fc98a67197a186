// `fleetlab compare`: key metrics of two or more runs side by side, each run against the first (the baseline):
// the value, the difference, and whether the difference is significant. Whole-run percentiles come from the merged
// HDR histograms (histograms.json), never from averaging per-second percentiles, and their significance is tested
// on those histograms' records (stats.ts quantileTest): what is shown is what is tested. Per-second metrics (rates,
// lag, CPU, memory) are tested on the per-second samples of the workload (setup and drain seconds left out). A
// maximum is one record: it is shown, not tested.
import { stringify } from 'csv-stringify/sync'
import { max, mean } from 'simple-statistics'
import { table } from '../lib/table.ts'
import { nonWorkloadPhases } from './run-format.ts'
import type { SummaryRow, TimeseriesRow } from './run-format.ts'
import type { LoadedRun } from './run-loader.ts'
import { SIGNIFICANCE_LEVEL, compareSamples, quantileTest } from './stats.ts'
import type { TestResult } from './stats.ts'

/** Fewer workload seconds than this in either run: no test. */
export const MIN_SAMPLES = 5

export interface ComparedValue {
  value: number | null
  /** value - baseline value (null for the baseline itself). */
  delta: number | null
  deltaPct: number | null
  /** The test against the baseline's sample; absent for totals and the baseline. */
  test?: TestResult
  significant: boolean | null
}

export interface ComparedMetric {
  key: string
  label: string
  unit: string
  /** How one number stands for the run: 'mean of seconds', 'whole run (HDR)', 'max of seconds', 'total'. */
  aggregate: string
  values: ComparedValue[]
}

export interface ComparedRun { runId: string, experiment: string, kind: string, dir: string, complete: boolean, workloadSeconds: number }

export interface Comparison { runs: ComparedRun[], metrics: ComparedMetric[] }

/** The per-second rows of the workload (not setup, not drain). */
export function workloadRows (run: LoadedRun): TimeseriesRow[] {
  return run.rows.filter(r => !nonWorkloadPhases.has(r.phase))
}

type Sampler = (r: TimeseriesRow) => number | null
interface SeriesMetric {
  key: string
  label: string
  unit: string
  aggregate: string
  sample: Sampler
  value: (run: LoadedRun, sample: number[]) => number | null
  /** A whole-run percentile: tested on the histogram's records (the per-second sample only when a run lacks it). */
  quantile?: { histogram: string, q: number }
  /** Shown, not tested (a maximum). */
  untested?: true
}

const valuesOf = (rows: TimeseriesRow[], pick: Sampler): number[] => rows.map(pick).filter((v): v is number => v !== null && Number.isFinite(v))
const meanOr = (s: number[]): number | null => s.length === 0 ? null : mean(s)
const maxOr = (s: number[]): number | null => s.length === 0 ? null : max(s)

/** A whole-run percentile from the merged histogram; summary.csv's value when the histogram is absent. */
function percentile (histogram: string, p: number | 'max', fallback: keyof SummaryRow): (run: LoadedRun) => number | null {
  return run => {
    const h = run.histograms[histogram]
    if (h !== undefined && h.count > 0) return p === 'max' ? h.max : h.percentile(p)
    const v = run.summary?.[fallback]
    return typeof v === 'number' ? v : null
  }
}

function seriesMetrics (services: string[]): SeriesMetric[] {
  const hdr = 'whole run (HDR)'
  return [
    { key: 'rate_achieved', label: 'achieved rate (sent)', unit: '/s', aggregate: 'mean of seconds', sample: r => r.sent, value: (_, s) => meanOr(s) },
    { key: 'delivered_rate', label: 'delivered', unit: '/s', aggregate: 'mean of seconds', sample: r => r.delivered, value: (_, s) => meanOr(s) },
    { key: 'e2e_p50', label: 'e2e p50', unit: 'ms', aggregate: hdr, sample: r => r.e2e_p50_ms, value: percentile('e2e.latency', 50, 'e2e_p50_ms'), quantile: { histogram: 'e2e.latency', q: 0.5 } },
    { key: 'e2e_p95', label: 'e2e p95', unit: 'ms', aggregate: hdr, sample: r => r.e2e_p95_ms, value: percentile('e2e.latency', 95, 'e2e_p95_ms'), quantile: { histogram: 'e2e.latency', q: 0.95 } },
    { key: 'e2e_p99', label: 'e2e p99', unit: 'ms', aggregate: hdr, sample: r => r.e2e_p99_ms, value: percentile('e2e.latency', 99, 'e2e_p99_ms'), quantile: { histogram: 'e2e.latency', q: 0.99 } },
    { key: 'e2e_max', label: 'e2e max', unit: 'ms', aggregate: hdr, sample: r => r.e2e_max_ms, value: percentile('e2e.latency', 'max', 'e2e_max_ms'), untested: true },
    { key: 'lateness_p99', label: 'lateness p99', unit: 'ms', aggregate: hdr, sample: r => r.lateness_p99_ms, value: percentile('lwm2m.notify.lateness', 99, 'lateness_p99_ms'), quantile: { histogram: 'lwm2m.notify.lateness', q: 0.99 } },
    { key: 'consumer_lag', label: 'consumer lag', unit: 'records', aggregate: 'mean of seconds', sample: r => r.consumer_lag, value: (_, s) => meanOr(s) },
    ...services.map((svc): SeriesMetric => ({ key: `cpu_pct_${svc}`, label: `CPU ${svc}`, unit: '%', aggregate: 'mean of seconds',
      sample: r => r.services[svc]?.cpuPct ?? null, value: (_, s) => meanOr(s) })),
    ...services.map((svc): SeriesMetric => ({ key: `mem_mb_${svc}`, label: `memory ${svc}`, unit: 'MB', aggregate: 'max of seconds',
      sample: r => r.services[svc]?.memMb ?? null, value: (_, s) => maxOr(s) })),
  ]
}

const totals: Array<{ key: string, label: string, unit: string, value: (s: SummaryRow) => number | null }> = [
  { key: 'sent', label: 'sent', unit: 'notifications', value: s => s.sent },
  { key: 'delivered', label: 'delivered', unit: 'notifications', value: s => s.delivered },
  { key: 'loss_ratio', label: 'loss', unit: '%', value: s => s.loss_ratio === null ? null : s.loss_ratio * 100 },
  { key: 'duplicates', label: 'duplicates', unit: 'notifications', value: s => s.duplicates },
  { key: 'consumer_lag_max', label: 'consumer lag max', unit: 'records', value: s => s.consumer_lag_max },
  { key: 'errors', label: 'errors', unit: 'count', value: s => s.errors },
]

function delta (base: number | null, v: number | null): Pick<ComparedValue, 'delta' | 'deltaPct'> {
  if (base === null || v === null) return { delta: null, deltaPct: null }
  return { delta: v - base, deltaPct: base === 0 ? null : (v - base) / Math.abs(base) * 100 }
}

/** Compares every run with the first. */
export function compareRuns (runs: LoadedRun[]): Comparison {
  const services = [...new Set(runs.flatMap(r => r.services))]
  const rows = runs.map(workloadRows)
  const metrics: ComparedMetric[] = []
  for (const m of seriesMetrics(services)) {
    const samples = rows.map(r => valuesOf(r, m.sample))
    const values = runs.map((run, i) => m.value(run, samples[i]!))
    if (values.every(v => v === null)) continue
    metrics.push({ key: m.key, label: m.label, unit: m.unit, aggregate: m.aggregate, values: values.map((value, i): ComparedValue => {
      const run = runs[i]!
      if (i === 0 || m.untested === true) return { value, ...(i === 0 ? { delta: null, deltaPct: null } : delta(values[0]!, value)), significant: null }
      const a = samples[0]!
      const b = samples[i]!
      const ha = m.quantile === undefined ? undefined : runs[0]!.histograms[m.quantile.histogram]
      const hb = m.quantile === undefined ? undefined : run.histograms[m.quantile.histogram]
      if (m.quantile !== undefined && ha !== undefined && hb !== undefined && ha.count > 0 && hb.count > 0) {
        const test = quantileTest(ha, hb, m.quantile.q)
        return { value, ...delta(values[0]!, value), ...(test.p === null ? {} : { test }), significant: test.p === null ? null : test.p < SIGNIFICANCE_LEVEL }
      }
      if (a.length < MIN_SAMPLES || b.length < MIN_SAMPLES) return { value, ...delta(values[0]!, value), significant: null }
      const test = compareSamples(a, b)
      return { value, ...delta(values[0]!, value), test, significant: test.p === null ? null : test.p < SIGNIFICANCE_LEVEL }
    }) })
  }
  for (const t of totals) {
    const values = runs.map(r => r.summary === null ? null : t.value(r.summary))
    if (values.every(v => v === null)) continue
    metrics.push({ key: t.key, label: t.label, unit: t.unit, aggregate: 'total', values: values.map((value, i) => ({
      value, ...(i === 0 ? { delta: null, deltaPct: null } : delta(values[0]!, value)), significant: null })) })
  }
  return {
    runs: runs.map((r, i) => ({ runId: r.meta.runId, experiment: r.meta.experiment.name, kind: r.meta.experiment.kind, dir: r.dir,
      complete: r.meta.complete, workloadSeconds: rows[i]!.length })),
    metrics,
  }
}

export const testAbbrev = { 'mann-whitney': 'MWU', welch: 'Welch', quantile: 'Q' } as const

export function fmtValue (v: number | null, unit: string): string {
  if (v === null || !Number.isFinite(v)) return '-'
  const a = Math.abs(v)
  const counted = unit === 'notifications' || unit === 'records' || unit === 'count'
  const digits = unit === '%' ? (a < 1 ? 3 : 1) : counted && Number.isInteger(v) ? 0 : a < 10 ? 2 : a < 1000 ? 1 : 0
  return v.toFixed(digits)
}

export function fmtDelta (c: ComparedValue, unit: string): string {
  if (c.delta === null) return '-'
  const sign = c.delta > 0 ? '+' : c.delta < 0 ? '-' : '±'
  return `${sign}${fmtValue(Math.abs(c.delta), unit)}${c.deltaPct === null ? '' : ` (${c.deltaPct >= 0 ? '+' : ''}${c.deltaPct.toFixed(1)} %)`}`
}

export function fmtTest (c: ComparedValue): string {
  if (c.test === undefined || c.test.p === null) return '-'
  const p = c.test.p < 0.0001 ? 'p<0.0001' : `p=${c.test.p.toFixed(4)}`
  return `${c.significant === true ? 'yes' : 'no'} ${testAbbrev[c.test.test]} ${p}`
}

export const comparisonNote = `significant: p < ${SIGNIFICANCE_LEVEL}, two-sided, each run against run 1. Q: a whole-run ` +
  'percentile (e2e, lateness) tested on the runs\' records from their merged histograms (difference of the quantiles ' +
  'over their McKean-Schrader standard errors): the value shown is the value tested; a maximum is not tested. ' +
  'Per-second metrics are tested on the per-second samples of the workload (setup and drain left out): MWU ' +
  'Mann-Whitney U (default), Welch Welch\'s t (both runs >= 30 s and neither sample skewed). Neighbouring records ' +
  'and seconds are correlated, so read p as a guide, not a proof.'

export function formatRunList (c: Comparison): string {
  return c.runs.map((r, i) => `  ${i + 1}  ${r.runId}  ${r.experiment} (${r.kind})  ${r.workloadSeconds} s of workload` +
    (r.complete ? '' : '  INCOMPLETE')).join('\n')
}

export function formatComparisonTable (c: Comparison): string {
  const header = ['METRIC', 'UNIT', 'RUN 1']
  for (let i = 2; i <= c.runs.length; i++) header.push(`RUN ${i}`, `Δ ${i}`, `SIGNIFICANT ${i}`)
  const rows = c.metrics.map(m => {
    const row: string[] = [m.label, m.unit, fmtValue(m.values[0]!.value, m.unit)]
    for (const v of m.values.slice(1)) row.push(fmtValue(v.value, m.unit), fmtDelta(v, m.unit), fmtTest(v))
    return row
  })
  return [`runs (compared with run 1):`, formatRunList(c), '', table(header, rows), '', wrap(comparisonNote, 110)].join('\n')
}

function wrap (text: string, width: number): string {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) { lines.push(line); line = word } else line = line === '' ? word : `${line} ${word}`
  }
  return [...lines, line].join('\n')
}

/** Long form: one line per metric and run, for spreadsheets and scripts. */
export function formatComparisonCsv (c: Comparison): string {
  const records = c.metrics.flatMap(m => m.values.map((v, i) => [
    m.key, m.label, m.unit, m.aggregate, i + 1, c.runs[i]!.runId, v.value, v.delta, v.deltaPct,
    v.test === undefined ? '' : v.test.test, v.test?.p ?? '', v.significant === null ? '' : String(v.significant),
  ]))
  return stringify(records, { header: true, columns: ['metric', 'label', 'unit', 'aggregate', 'run', 'run_id', 'value', 'delta', 'delta_pct', 'test', 'p_value', 'significant'] })
}
