// The run's totals: the summary.csv row and the metrics thresholds are checked against (experiments/thresholds.ts
// names them). Percentiles come from the whole-run HDR histograms (merged windows), rates from the per-second rows
// of the workload's seconds (not setup, not drain).
import { roundTo } from '../../lib/units.ts'
import type { SummaryRow } from '../../results/run-folder.ts'
import type { AssembledSecond } from './seconds.ts'
import { metric } from './seconds.ts'
import type { SecondAssembler } from './seconds.ts'
import type { Reconciliation } from './reconcile.ts'

export interface SummaryInput {
  readonly runId: string
  readonly experiment: string
  readonly kind: string
  readonly complete: boolean
  readonly durationS: number
  readonly rows: readonly AssembledSecond[]
  readonly assembler: SecondAssembler
  readonly reconciliation: Reconciliation
}

const workloadRow = (s: AssembledSecond): boolean => s.row.phase !== 'setup' && s.row.phase !== 'drain'

/** The metrics a threshold can name (values: ms, fractions, counts). */
export function runMetrics (input: SummaryInput): Record<string, number | undefined> {
  const { assembler, reconciliation: r } = input
  const e2e = assembler.histogram(metric.e2e)
  const lateness = assembler.histogram(metric.lateness)
  const p = (h: typeof e2e, q: number): number | undefined => h === undefined || h.count === 0 ? undefined : h.percentile(q)
  const rows = input.rows.filter(workloadRow)
  const target = rows.reduce((n, s) => n + (s.row.rate_target ?? 0), 0)
  const achieved = rows.reduce((n, s) => n + (s.row.sent ?? 0), 0)
  const lags = input.rows.map(s => s.row.consumer_lag).filter((v): v is number => v !== null)
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
    loss: r.sent > 0 ? r.lost / r.sent : undefined,
    lost: r.lost,
    duplicates: r.duplicates,
    late: sentAll > 0 ? late / sentAll : undefined,
    errors: assembler.totalPrefixed('errors.'),
    'rate.accuracy': target > 0 ? achieved / target : undefined,
    delivered: r.delivered,
    sent: r.sent,
    'lag.max': lags.length > 0 ? Math.max(...lags) : undefined,
  }
}

export function summaryRow (input: SummaryInput, metrics: Record<string, number | undefined>, thresholds: { passed: number, failed: number }): SummaryRow {
  const r = input.reconciliation
  const rows = input.rows.filter(workloadRow)
  const mean = (f: (s: AssembledSecond) => number): number | null => rows.length === 0 ? null : roundTo(rows.reduce((n, s) => n + f(s), 0) / rows.length, 3)
  const v = (name: string): number | null => metrics[name] === undefined ? null : roundTo(metrics[name]!, 3)
  const peak = Math.max(0, ...input.rows.map(s => s.row.devices_active ?? 0))
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
    rate_target_mean: mean(s => s.row.rate_target ?? 0),
    rate_achieved_mean: mean(s => s.row.sent ?? 0),
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
  }
}
