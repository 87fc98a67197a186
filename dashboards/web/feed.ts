// What the web view draws, as JSON: the run's start, its seconds (the timeseries row's numbers, the live
// thresholds, running totals), its events and its end. The live page gets these one by one over server-sent
// events; the file left in the run folder embeds them all. The seconds are kept up to MAX_SECONDS (a day at one
// a second, about 1 KB each), the events up to MAX_EVENTS: the view's memory is bounded however long the run.
import { Ring } from '../../lib/ring.ts'
import type { RunEnd, RunSecond, RunStart } from '../../results/outputs/contract.ts'
import type { RunEvent, ThresholdResult, TimeseriesRow } from '../../results/run-format.ts'
import { fromRunSecond } from '../second.ts'
import type { DashboardMetricNames, GatewayDevices } from '../second.ts'

export const MAX_SECONDS = 86_400
export const MAX_EVENTS = 5000

export interface FeedStart {
  readonly runId: string
  readonly experiment: string
  readonly kind: string
  readonly services: readonly string[]
  /** The planned workload, s; null when adaptive. */
  readonly plannedS: number | null
}

export type FeedSecond = Omit<TimeseriesRow, 't_s'> & {
  readonly t: number
  /** Seconds of workload so far (setup not counted), for the progress bar. */
  readonly workloadS: number
  readonly thresholds: readonly ThresholdResult[]
  readonly totals: FeedTotals
  /** Devices registered across the fleet, and per gateway (active and registered), as the terminal's fleet panel. */
  readonly registered: number | null
  readonly gateways: readonly GatewayDevices[]
}

export interface FeedTotals {
  readonly sent: number
  readonly delivered: number
  readonly errors: number
  readonly udpDrops: number
  /** From the run's counter totals: null when the names were not given or nothing was counted yet. */
  readonly registerFailed: number | null
  readonly retransmits: number | null
  readonly duplicates: number | null
}

export interface FeedEvent { readonly t: number, readonly kind: string, readonly source: string, readonly detail: string }

export interface FeedEnd {
  readonly complete: boolean
  readonly thresholds: readonly ThresholdResult[]
  readonly lost: number | null
  readonly lossRatio: number | null
  readonly duplicates: number | null
}

export interface WebFeed {
  readonly start: FeedStart | null
  readonly seconds: readonly FeedSecond[]
  readonly events: readonly FeedEvent[]
  readonly end: FeedEnd | null
}

/** Turns the output calls into feed items and keeps the bounded history. */
export class FeedBuilder {
  start: FeedStart | null = null
  readonly #seconds = new Ring<FeedSecond>(MAX_SECONDS)
  readonly #events = new Ring<FeedEvent>(MAX_EVENTS)
  end: FeedEnd | null = null
  #totals = { sent: 0, delivered: 0, errors: 0, udpDrops: 0 }
  #workloadS = 0
  readonly #names: DashboardMetricNames | undefined

  /** `names`: the metric names of the fleet and accounting figures (cli/dashboard-names.ts); without, those are null. */
  constructor (names?: DashboardMetricNames) {
    this.#names = names
  }

  get seconds (): FeedSecond[] { return this.#seconds.last() }
  get events (): FeedEvent[] { return this.#events.last() }

  onStart (run: RunStart): FeedStart {
    this.start = {
      runId: run.meta.runId, experiment: run.meta.experiment.name, kind: run.meta.experiment.kind, services: run.services,
      plannedS: run.plannedWorkloadMs === undefined ? null : Math.round(run.plannedWorkloadMs / 1000),
    }
    return this.start
  }

  onSecond (s: RunSecond): FeedSecond {
    const { t_s: t, ...row } = s.row
    const tot = this.#totals
    tot.sent += row.sent ?? 0
    tot.delivered += row.delivered ?? 0
    tot.errors += row.errors ?? 0
    tot.udpDrops += row.udp_drops ?? 0
    if (row.phase !== 'setup' && row.phase !== 'drain') this.#workloadS++
    const names = this.#names
    const live = names === undefined ? undefined : fromRunSecond(s, names)
    const counted = (name: string | undefined): number | null => (name === undefined ? null : live?.totals?.[name] ?? null)
    const item: FeedSecond = {
      ...row, t, workloadS: this.#workloadS, thresholds: s.thresholds,
      totals: { ...tot, registerFailed: counted(names?.registerFailed), retransmits: counted(names?.retransmits), duplicates: counted(names?.duplicates) },
      registered: live?.registered ?? null,
      gateways: live?.gateways ?? [],
    }
    this.#seconds.push(item)
    return item
  }

  onEvent (e: RunEvent): FeedEvent {
    const item = { t: e.t_s, kind: e.kind, source: e.source, detail: e.detail }
    this.#events.push(item)
    return item
  }

  onEnd (end: RunEnd): FeedEnd {
    this.end = {
      complete: end.meta.complete, thresholds: end.meta.thresholds, lost: end.summary.lost ?? null,
      lossRatio: end.summary.loss_ratio ?? null, duplicates: end.summary.duplicates ?? null,
    }
    return this.end
  }

  feed (): WebFeed {
    return { start: this.start, seconds: this.seconds, events: this.events, end: this.end }
  }
}
