// The run's totals: the summary.csv row and the metrics thresholds are checked against (experiments/thresholds.ts
// names them). Percentiles come from the whole-run HDR histograms (merged windows), rates from the per-second rows
// of the workload's seconds (not setup, not drain), added up as the rows go by (RunTotals): the runner keeps no
// row once the outputs have it, so a long run's memory stays flat.
import { roundTo } from '../../lib/units.ts'
import type { SummaryRow, TimeseriesRow } from '../../results/run-folder.ts'
import { metric } from './seconds.ts'
import type { SecondAssembler } from './seconds.ts'
import type { Reconciliation } from './reconcile.ts'

/** What the summary needs of the rows, added up one row at a time. */
export class RunTotals {
  /** Rows of the workload (not setup, not drain). */
  workloadSeconds = 0
  rateTarget = 0
  sent = 0
  lagMax: number | undefined
  devicesPeak = 0
  #runnerCpu = { sum: 0, n: 0 }
  runnerMemMax: number | undefined

  add (row: TimeseriesRow): void {
    if (row.phase !== 'setup' && row.phase !== 'drain') {
      this.workloadSeconds++
      this.rateTarget += row.rate_target ?? 0
      this.sent += row.sent ?? 0
    }
    if (row.consumer_lag !== null) this.lagMax = Math.max(this.lagMax ?? 0, row.consumer_lag)
    this.devicesPeak = Math.max(this.devicesPeak, row.devices_active ?? 0)
    const runner = row.services.runner
    if (runner?.cpuPct !== null && runner?.cpuPct !== undefined) { this.#runnerCpu.sum += runner.cpuPct; this.#runnerCpu.n++ }
    if (runner?.memMb !== null && runner?.memMb !== undefined) this.runnerMemMax = Math.max(this.runnerMemMax ?? 0, runner.memMb)
  }

  /** The runner's mean CPU % over the seconds it was sampled; undefined: never. */
  get runnerCpuMean (): number | undefined {
    return this.#runnerCpu.n === 0 ? undefined : this.#runnerCpu.sum / this.#runnerCpu.n
  }
}

export interface SummaryInput {
  readonly runId: string
  readonly experiment: string
  readonly kind: string
  readonly complete: boolean
  readonly durationS: number
  readonly totals: RunTotals
  readonly assembler: SecondAssembler
  /** Known at the end; during the run the metrics that need it (loss, lost, duplicates) are not measured yet. */
  readonly reconciliation: Reconciliation | undefined
}

/** The metrics a threshold can name (values: ms, fractions, counts). */
export function runMetrics (input: Pick<SummaryInput, 'totals' | 'assembler' | 'reconciliation'>): Record<string, number | undefined> {
  const { assembler, reconciliation: r, totals } = input
  const e2e = assembler.histogram(metric.e2e)
  const lateness = assembler.histogram(metric.lateness)
  const p = (h: typeof e2e, q: number): number | undefined => h === undefined || h.count === 0 ? undefined : h.percentile(q)
  const late = assembler.total(metric.late)
  const sentAll = assembler.total(metric.sent)
  return {
    'e2e.p50': p(e2e, 50),
    'e2e.p95': p(e2e, 95),
    'e2e.p99': p(e2e, 99),
    'e2e.p999': p(e2e, 99.9),
    'e2e.max': e2e === undefined || e2e.count === 0 ? undefined : e2e.max,
    'e2e.mean': e2e === undefined || e2e.count === 0 ? undefined : e2e.mean,
    'lateness.p99': p(lateness, 99),
    loss: r === undefined ? undefined : r.sent > 0 ? r.lost / r.sent : undefined,
    lost: r?.lost,
    duplicates: r?.duplicates,
    late: sentAll > 0 ? late / sentAll : undefined,
    errors: assembler.totalPrefixed('errors.'),
    'rate.accuracy': totals.rateTarget > 0 ? totals.sent / totals.rateTarget : undefined,
    delivered: r?.delivered ?? assembler.total(metric.delivered),
    sent: r?.sent ?? sentAll,
    'lag.max': totals.lagMax,
  }
}

export function summaryRow (input: SummaryInput & { readonly reconciliation: Reconciliation }, metrics: Record<string, number | undefined>, thresholds: { passed: number, failed: number }): SummaryRow {
  const r = input.reconciliation
  const t = input.totals
  const mean = (sum: number): number | null => t.workloadSeconds === 0 ? null : roundTo(sum / t.workloadSeconds, 3)
  const v = (name: string): number | null => metrics[name] === undefined ? null : roundTo(metrics[name]!, 3)
  const peak = t.devicesPeak
  return {
    run_id: input.runId,
    experiment: input.experiment,
    kind: input.kind,
    complete: input.complete,
    duration_s: roundTo(input.durationS, 3),
    devices_peak: peak,
    sent: r.sent,
    delivered: r.delivered,
    lost: r.lost,
    lost_not_in_edge: r.lostNotInEdge,
    lost_not_mirrored: r.lostNotMirrored,
    lost_not_consumed: r.lostNotConsumed,
    duplicates: r.duplicates,
    late: input.assembler.total(metric.late),
    loss_ratio: r.sent > 0 ? roundTo(r.lost / r.sent, 6) : null,
    rate_target_mean: mean(t.rateTarget),
    rate_achieved_mean: mean(t.sent),
    rate_accuracy_pct: metrics['rate.accuracy'] === undefined ? null : roundTo(metrics['rate.accuracy'] * 100, 3),
    e2e_p50_ms: v('e2e.p50'),
    e2e_p95_ms: v('e2e.p95'),
    e2e_p99_ms: v('e2e.p99'),
    e2e_p999_ms: v('e2e.p999'),
    e2e_max_ms: v('e2e.max'),
    e2e_mean_ms: v('e2e.mean'),
    lateness_p99_ms: v('lateness.p99'),
    consumer_lag_max: v('lag.max'),
    errors: metrics.errors ?? 0,
    thresholds_passed: thresholds.passed,
    thresholds_failed: thresholds.failed,
    e2e_clamped: input.assembler.histogram(metric.e2e)?.clamped ?? 0,
  }
}
