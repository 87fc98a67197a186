// Outputs: every consumer of a run's per-second stream (the run folder's files, the progress line, the end-of-run
// summary, the terminal dashboard, the web view, Prometheus) has this one small contract. The runner hands each
// output the run's start, every second as it is assembled, every event line and the end; it keeps nothing of the
// past for them: an output that draws history keeps its own, bounded.
//
// Calls come in order: start once, then add/event interleaved in time order, then stop once (also for a run that
// failed or was interrupted: `end.meta.complete` says which). add and event are synchronous and must be cheap (the
// runner's one-second tick calls them); an output with slow work (a socket, a screen) queues it. An output that
// throws is reported and dropped, never stops the run.
import type { HistogramJSON } from '../../lib/metrics/histogram.ts'
import type { MetricWindow } from '../../lib/metrics/window.ts'
import type { RunEvent, RunMeta, SummaryRow, ThresholdResult, TimeseriesRow } from '../run-format.ts'

/** What every output knows when the run begins. */
export interface RunStart {
  /** run.json as first written (complete false): run id, experiment name, kind and config, seed, machine. */
  readonly meta: RunMeta
  readonly runDir: string
  /** Epoch ms of t_s 0. */
  readonly startMs: number
  /** The services of the timeseries' CPU and memory columns, in order. */
  readonly services: readonly string[]
  /** How long the workload is planned to run, ms (setup and drain not counted); undefined: adaptive, unknown. */
  readonly plannedWorkloadMs: number | undefined
}

/** One second of the run, as timeseries.csv gets it. */
export interface RunSecond {
  /** Epoch second. */
  readonly second: number
  readonly row: TimeseriesRow
  /**
   * The merged metric window of that second: every counter, gauge and histogram of every unit (per-gateway
   * gauges, the LWM2M server's counters, the sink replicas' metrics). Read it during add; do not keep it.
   */
  readonly window: MetricWindow
  /** The thresholds on the run so far; a metric known only at the end (loss) has value null. */
  readonly thresholds: readonly ThresholdResult[]
  /** Whole-run totals so far of the counters (sent, delivered, errors.*, ...), by metric name. */
  readonly totals: Readonly<Record<string, number>>
}

/** The run's end. */
export interface RunEnd {
  /** The final run.json. */
  readonly meta: RunMeta
  readonly summary: SummaryRow
  /** The whole-run histograms (histograms.json), by metric name. */
  readonly histograms: Readonly<Record<string, HistogramJSON>>
}

export interface Output {
  /** As `--out` names it: 'files', 'progress', 'dashboard', 'web', 'prometheus'. */
  readonly name: string
  start (run: RunStart): void | Promise<void>
  add (second: RunSecond): void
  event (e: RunEvent): void
  stop (end: RunEnd): void | Promise<void>
}
