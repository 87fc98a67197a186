// The run folder, format version 1 (docs/results.md is the column dictionary). One folder per run under
// results/runs/<run-id>/: run.json (what ran, where, and whether it finished), timeseries.csv (one row per second),
// events.csv, summary.csv (one row) and histograms.json (whole-run HDR histograms, for exact percentiles).
// This file holds only the shapes and names; run-writer.ts writes a folder, run-loader.ts reads one.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { HistogramJSON } from '../lib/metrics/histogram.ts'
import { projectRoot } from '../lib/home.ts'

export const RUN_FORMAT_VERSION = 1

export const files = {
  meta: 'run.json',
  timeseries: 'timeseries.csv',
  events: 'events.csv',
  summary: 'summary.csv',
  histograms: 'histograms.json',
} as const

/** Where runs go by default (ignored by git). */
export const defaultRunsDir = join(projectRoot, 'results', 'runs')

export interface ThresholdResult {
  /** e.g. 'e2e.p99' */
  metric: string
  /** As written in the experiment, e.g. '<500ms'. */
  source: string
  /** The measured value (ms, ratio or count); null when nothing was measured. */
  value: number | null
  passed: boolean
}

export interface RunMeta {
  formatVersion: typeof RUN_FORMAT_VERSION
  runId: string
  experiment: {
    /** The experiment file, relative to the project root when inside it. */
    file: string
    kind: string
    name: string
    description?: string
    /** The resolved experiment (units parsed, defaults filled) as JSON. */
    config: unknown
  }
  seed: number
  versions: { fleetlab: string, node: string, kafka: string }
  git: { commit: string, dirty: boolean } | null
  /** `loadAverage`: the 1, 5 and 15 minute load averages when the run started and ended (other work on the machine). */
  machine: { hostname: string, os: string, cpus: number, cpuModel: string, memoryBytes: number, loadAverage?: { start: number[], end?: number[] } }
  runtime: 'docker' | 'process'
  platform: { name: string, external: boolean }
  startedAt: string
  endedAt: string | null
  complete: boolean
  incompleteReason?: string
  thresholds: ThresholdResult[]
  /** What an adaptive workload found (capacity: the largest sustainable fleet). */
  result?: Record<string, unknown>
  /** The lab's own cost, so a reader can tell whether the runner was a bottleneck. */
  overhead?: { runnerCpuPct: number, runnerMemMb: number }
  /** The embedded LWM2M server's counters over the run (increments, by dotted name: lwm2m.notify.received, ...). */
  lwm2mServer?: Record<string, number>
  /** What the sink's control loop did: actions, changes of direction, replica-seconds, the capacity it learned and from what. */
  autoscaler?: { policy: string, actions: number, changesOfDirection: number, replicaSeconds: number, capacityPerReplica: number | undefined, capacitySource: string | undefined, rebalanceMs: number | undefined }
  /** The further sinks of the experiment (`sinks`): what each read, refused and wrote. */
  sinks?: Array<{ name: string, kind: string, input: string, replicas: number, records: number, rejected: number, undecodable: number, delivered: number, duplicates: number }>
}

export interface ServiceSample { cpuPct: number | null, memMb: number | null }

/** One second of timeseries.csv. null = no sample that second (an empty cell). */
export interface TimeseriesRow {
  t_s: number
  phase: string
  devices_target: number | null
  devices_active: number | null
  rate_target: number | null
  sent: number | null
  sent_late: number | null
  lateness_p99_ms: number | null
  edge_in: number | null
  udp_drops: number | null
  cloud_out: number | null
  delivered: number | null
  e2e_p50_ms: number | null
  e2e_p95_ms: number | null
  e2e_p99_ms: number | null
  e2e_max_ms: number | null
  consumer_lag: number | null
  mirror_lag: number | null
  consumer_replicas: number | null
  errors: number | null
  /** Sink replicas the control loop wants (the autoscaler's decision, or the fixed count). */
  consumer_desired: number | null
  /** The consumer group's largest partition time lag, seconds (kafka-lag-exporter's interpolation). */
  consumer_lag_s: number | null
  /** Keyed by service name; a loaded row uses the column form (edge-kafka -> edge_kafka). */
  services: Record<string, ServiceSample>
}

export type TimeseriesNumberColumn = Exclude<keyof TimeseriesRow, 't_s' | 'phase' | 'services'>

export const timeseriesNumberColumns = [
  'devices_target', 'devices_active', 'rate_target', 'sent', 'sent_late', 'lateness_p99_ms', 'edge_in', 'udp_drops', 'cloud_out',
  'delivered', 'e2e_p50_ms', 'e2e_p95_ms', 'e2e_p99_ms', 'e2e_max_ms', 'consumer_lag', 'mirror_lag', 'consumer_replicas', 'errors',
  'consumer_desired', 'consumer_lag_s',
] as const satisfies readonly TimeseriesNumberColumn[]

/** Columns added to format 1 after its first runs: a run without them loads with empty cells. */
export const timeseriesLaterColumns: ReadonlySet<string> = new Set(['consumer_desired', 'consumer_lag_s'])

/** The fixed columns, in file order; the per-service columns follow. */
export const timeseriesFixedColumns = ['t_s', 'phase', ...timeseriesNumberColumns] as const

/** Phases that are not the workload (compare leaves them out of its per-second samples). */
export const nonWorkloadPhases: ReadonlySet<string> = new Set(['setup', 'drain'])

export interface RunEvent { t_s: number, kind: string, source: string, detail: string }
export const eventColumns = ['t_s', 'kind', 'source', 'detail'] as const

export interface SummaryRow {
  run_id: string
  experiment: string
  kind: string
  complete: boolean
  duration_s: number | null
  devices_peak: number | null
  sent: number | null
  delivered: number | null
  lost: number | null
  lost_not_in_edge: number | null
  lost_not_mirrored: number | null
  lost_not_consumed: number | null
  duplicates: number | null
  late: number | null
  loss_ratio: number | null
  rate_target_mean: number | null
  rate_achieved_mean: number | null
  rate_accuracy_pct: number | null
  e2e_p50_ms: number | null
  e2e_p95_ms: number | null
  e2e_p99_ms: number | null
  e2e_p999_ms: number | null
  e2e_max_ms: number | null
  e2e_mean_ms: number | null
  lateness_p99_ms: number | null
  consumer_lag_max: number | null
  errors: number | null
  thresholds_passed: number | null
  thresholds_failed: number | null
  /**
   * End-to-end latencies outside what the histogram holds, recorded at its edge: below 0 ms (a gateway's clock
   * ahead of the sink's: the two processes' clocks disagree) or above its top. Empty in runs made before it.
   */
  e2e_clamped: number | null
}

export const summaryTextColumns = ['run_id', 'experiment', 'kind'] as const
export type SummaryNumberColumn = Exclude<keyof SummaryRow, (typeof summaryTextColumns)[number] | 'complete'>
export const summaryNumberColumns = [
  'duration_s', 'devices_peak', 'sent', 'delivered', 'lost', 'lost_not_in_edge', 'lost_not_mirrored', 'lost_not_consumed',
  'duplicates', 'late', 'loss_ratio', 'rate_target_mean', 'rate_achieved_mean', 'rate_accuracy_pct', 'e2e_p50_ms',
  'e2e_p95_ms', 'e2e_p99_ms', 'e2e_p999_ms', 'e2e_max_ms', 'e2e_mean_ms', 'lateness_p99_ms', 'consumer_lag_max', 'errors',
  'thresholds_passed', 'thresholds_failed', 'e2e_clamped',
] as const satisfies readonly SummaryNumberColumn[]

/** Columns added to summary.csv after its first runs: a run without them loads with empty cells. */
export const summaryLaterColumns: ReadonlySet<string> = new Set(['e2e_clamped'])
export const summaryColumns = ['run_id', 'experiment', 'kind', 'complete', ...summaryNumberColumns] as const

export interface HistogramsFile {
  formatVersion: typeof RUN_FORMAT_VERSION
  /** Whole-run merged histograms by metric name: at least e2e.latency and lwm2m.notify.lateness when not empty. */
  histograms: Record<string, HistogramJSON>
}

/** The column-safe form of a service name: edge-kafka -> edge_kafka. */
export function serviceKey (service: string): string {
  return service.trim().replace(/[^A-Za-z0-9_]/g, '_')
}

export function serviceColumns (services: readonly string[]): string[] {
  return services.flatMap(s => [`cpu_pct_${serviceKey(s)}`, `mem_mb_${serviceKey(s)}`])
}

/** 2026-11-22T02-40-05-linear-3f9a: sorts by start time, unique by the random tail, safe as a folder name. */
export function newRunId (name: string, date: Date = new Date()): string {
  const stamp = date.toISOString().slice(0, 19).replace(/:/g, '-')
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'run'
  return `${stamp}-${slug}-${randomBytes(2).toString('hex')}`
}
