// What the terminal dashboard knows about a run: the last seconds (bounded: HISTORY_S of them, so an hour-long run
// costs the same as a minute), the live thresholds and totals, the event log. Fed by the live stream (output.ts),
// by a run folder for replay (replay.ts) or by a growing run folder (follow.ts); drawn by view.ts. No screen here.
import { Ring } from '../../lib/ring.ts'
import type { RunEvent, SummaryRow, ThresholdResult, TimeseriesRow } from '../../results/run-format.ts'
import { nonWorkloadPhases } from '../../results/run-format.ts'
import type { DashboardSecond, GatewayDevices } from '../second.ts'

/** Seconds of history kept and drawn at most. */
export const HISTORY_S = 600
/** Lines of the event log kept. */
export const LOG_LINES = 500

/** What is known when the run begins. */
export interface DashboardRunInfo {
  readonly runId: string
  readonly experiment: string
  readonly kind: string
  /** Workload length, ms (setup and drain not counted); undefined: adaptive. */
  readonly plannedWorkloadMs: number | undefined
  /** Service keys of the CPU/memory columns, in order. */
  readonly services: readonly string[]
  /** The thresholds as configured, before anything is measured. */
  readonly thresholds: readonly ThresholdResult[]
}

/** Running sums over every row seen (also those that fell out of the history). */
export interface RowSums { sent: number, delivered: number, errors: number, seconds: number }

export class DashboardState {
  info: DashboardRunInfo
  readonly rows = new Ring<TimeseriesRow>(HISTORY_S)
  readonly log = new Ring<string>(LOG_LINES)
  readonly sums: RowSums = { sent: 0, delivered: 0, errors: 0, seconds: 0 }
  thresholds: readonly ThresholdResult[]
  totals: Readonly<Record<string, number>> | undefined
  registered: number | null = null
  gateways: readonly GatewayDevices[] = []
  /** t_s of the first workload second (the first row past setup). */
  workloadStartT: number | undefined
  /** The end of the run, once known. */
  summary: SummaryRow | undefined
  /** Whether the run is still going (a replay or a finished run: false). */
  live = true

  constructor (info: DashboardRunInfo) {
    this.info = info
    this.thresholds = info.thresholds
  }

  get latest (): TimeseriesRow | undefined {
    return this.rows.last(1)[0]
  }

  second (s: DashboardSecond): void {
    const r = s.row
    this.rows.push(r)
    this.sums.sent += r.sent ?? 0
    this.sums.delivered += r.delivered ?? 0
    this.sums.errors += r.errors ?? 0
    this.sums.seconds++
    if (this.workloadStartT === undefined && r.phase !== 'setup') this.workloadStartT = r.t_s
    if (s.thresholds !== undefined) this.thresholds = s.thresholds
    if (s.totals !== undefined) this.totals = s.totals
    if (s.registered !== undefined) this.registered = s.registered
    if (s.gateways !== undefined) this.gateways = s.gateways
  }

  event (e: RunEvent): void {
    this.line(`${eventTime(e.t_s)} ${e.kind.padEnd(9)} ${e.source}: ${e.detail}`, e.kind)
  }

  /** A progress line or event, with a colour by kind (errors red, scaling yellow, phases cyan). */
  line (text: string, kind = 'note'): void {
    const colour = kind === 'error' || kind === 'loss' || kind === 'replica-lost' ? 'red' : kind === 'autoscale' ? 'yellow' : kind === 'phase' || kind === 'run' ? 'cyan' : undefined
    const safe = text.replace(/[{}]/g, c => (c === '{' ? '{open}' : '{close}'))
    this.log.push(colour === undefined ? safe : `{${colour}-fg}${safe}{/${colour}-fg}`)
  }

  end (summary: SummaryRow, thresholds: readonly ThresholdResult[]): void {
    this.summary = summary
    this.thresholds = thresholds
    this.live = false
  }

  /** Workload seconds so far (0 during setup): a row covers its second, so the first workload row counts 1. */
  workloadElapsedS (): number {
    const r = this.latest
    if (r === undefined || this.workloadStartT === undefined) return 0
    return r.t_s - this.workloadStartT + 1
  }

  /** Whether the latest row is past the workload (drain) or before it (setup). */
  outsideWorkload (): boolean {
    const r = this.latest
    return r === undefined || nonWorkloadPhases.has(r.phase)
  }
}

function eventTime (t: number): string {
  return `[${t.toFixed(1).padStart(6)}s]`
}
