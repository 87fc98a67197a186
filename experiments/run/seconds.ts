// Assembles the run's seconds: windows arrive from every gateway, the sink and the runner's own recorder (monitors,
// workload targets); a second is turned into a timeseries row once every unit has had time to send it (a grace of
// two seconds), merged exactly (lib/metrics/window.ts). Whole-run totals (counters, histograms) take every window,
// also ones that arrive after their second was written, so the summary never misses a late window.
import { MetricWindow } from '../../lib/metrics/window.ts'
import type { MetricWindowJSON } from '../../lib/metrics/window.ts'
import { LatencyHistogram } from '../../lib/metrics/histogram.ts'
import type { HistogramJSON } from '../../lib/metrics/histogram.ts'
import type { TimeseriesRow } from '../../results/run-folder.ts'
import { serviceMetric } from '../../control/monitors.ts'
import { roundTo } from '../../lib/units.ts'

/** Metric names the row reads; units emit them (simulator/gateway.ts, platform/sinks/, control/monitors.ts, runner). */
export const metric = {
  sent: 'lwm2m.notify.sent',
  late: 'lwm2m.notify.late',
  lateness: 'lwm2m.notify.lateness',
  devicesActive: 'fleet.devices.active',
  devicesRegistered: 'fleet.devices.registered',
  devicesTarget: 'workload.devices.target',
  rateTarget: 'workload.rate.target',
  edgeIn: 'kafka.edge.records',
  cloudIn: 'kafka.cloud.records',
  sinkRecords: 'sink.records',
  delivered: 'sink.delivered',
  duplicates: 'sink.duplicates',
  e2e: 'e2e.latency',
  lag: 'kafka.consumer.lag',
  mirrorLag: 'kafka.mirror.lag',
  udpDrops: 'lwm2m.udp.drops',
  lagSeconds: 'kafka.consumer.lag_seconds',
  desired: 'autoscaler.desired',
  /** How long a rebalance stopped a sink replica (platform/sinks/sink-consumer.ts sinkMetrics.rebalancePause). */
  rebalancePause: 'sink.rebalance.pause',
} as const

/** Histograms kept for the whole run (histograms.json). */
export const runHistograms = [metric.e2e, metric.lateness, metric.rebalancePause] as const

/**
 * Gauges that are a state, not a reading: the value stands until the next one. The desired count is recorded once
 * per control period, and a period that takes longer than a second (a slow docker call) leaves a second without it;
 * its row shows the count that stood, not a gap.
 */
const heldGauges: readonly string[] = [metric.desired]

const GRACE_S = 2

export interface AssembledSecond {
  readonly second: number
  readonly window: MetricWindow
  readonly row: TimeseriesRow
}

export class SecondAssembler {
  readonly #pending = new Map<number, MetricWindow>()
  readonly #totals = new Map<string, number>()
  readonly #histograms = new Map<string, LatencyHistogram>()
  readonly #phases: Array<{ second: number, phase: string }> = []
  readonly #services: readonly string[]
  readonly #startSecond: number
  #written = -Infinity
  readonly #held = new Map<string, number>()

  /** `services`: the service names of the timeseries columns; `startSecond`: t_s = 0. */
  constructor (startSecond: number, services: readonly string[]) {
    this.#startSecond = startSecond
    this.#services = services
  }

  /** The phase from `second` on (until the next call). */
  phase (second: number, phase: string): void {
    this.#phases.push({ second, phase })
  }

  add (json: MetricWindowJSON | MetricWindow): void {
    const w = json instanceof MetricWindow ? json : MetricWindow.fromJSON(json)
    for (const [name, n] of w.counters) this.#totals.set(name, (this.#totals.get(name) ?? 0) + n)
    for (const name of runHistograms) {
      const h = w.histograms.get(name)
      if (h === undefined) continue
      const total = this.#histograms.get(name)
      if (total === undefined) this.#histograms.set(name, h.clone())
      else total.merge(h)
    }
    if (w.second <= this.#written) return // its row is out; the totals above have it
    const mine = this.#pending.get(w.second)
    // a window handed in is the caller's no longer (parsed here, or drained from a recorder): kept as it is
    if (mine === undefined) this.#pending.set(w.second, w)
    else mine.merge(w)
  }

  /**
   * Rows of every second from the last one written up to the grace before `nowSecond` (with `all`: up to the last
   * full second, or the newest window if later), oldest first. A second nothing was recorded in still gets its row
   * (the platform starting, say), so timeseries.csv has one row per second from t_s 0.
   */
  take (nowSecond: number, all = false): AssembledSecond[] {
    for (const s of this.#pending.keys()) if (s < this.#startSecond) this.#pending.delete(s)
    const upTo = all ? Math.max(nowSecond - 1, ...this.#pending.keys()) : nowSecond - GRACE_S
    const out: AssembledSecond[] = []
    for (let second = Math.max(this.#startSecond, this.#written + 1); second <= upTo; second++) {
      const window = this.#pending.get(second) ?? new MetricWindow(second)
      this.#pending.delete(second)
      this.#written = second
      out.push({ second, window, row: this.#row(second, window) })
    }
    return out
  }

  /** Whole-run counter total. */
  total (name: string): number {
    return this.#totals.get(name) ?? 0
  }

  /** Sum of whole-run counters whose name starts with `prefix`. */
  totalPrefixed (prefix: string): number {
    let n = 0
    for (const [name, v] of this.#totals) if (name.startsWith(prefix)) n += v
    return n
  }

  counterTotals (): Record<string, number> {
    return Object.fromEntries(this.#totals)
  }

  histogram (name: string): LatencyHistogram | undefined {
    return this.#histograms.get(name)
  }

  histogramsJSON (): Record<string, HistogramJSON> {
    return Object.fromEntries([...this.#histograms].map(([name, h]) => [name, h.toJSON()]))
  }

  #phaseAt (second: number): string {
    let phase = 'setup'
    for (const p of this.#phases) if (p.second <= second) phase = p.phase
    return phase
  }

  #row (second: number, w: MetricWindow): TimeseriesRow {
    const counter = (name: string): number => w.counters.get(name) ?? 0
    for (const name of heldGauges) {
      const g = w.gauges.get(name)
      if (g !== undefined) this.#held.set(name, g.value)
    }
    const gauge = (name: string): number | null => w.gauges.get(name)?.value ?? this.#held.get(name) ?? null
    const pct = (name: string, p: number): number | null => {
      const h = w.histograms.get(name)
      return h === undefined || h.count === 0 ? null : roundTo(h.percentile(p), 3)
    }
    const e2e = w.histograms.get(metric.e2e)
    let errors = 0
    for (const [name, n] of w.counters) if (name.startsWith('errors.')) errors += n
    const services: Record<string, { cpuPct: number | null, memMb: number | null }> = {}
    for (const s of this.#services) {
      const cpu = gauge(serviceMetric.cpu(s))
      const mem = gauge(serviceMetric.memory(s))
      services[s] = { cpuPct: cpu === null ? null : roundTo(cpu, 3), memMb: mem === null ? null : roundTo(mem, 3) }
    }
    return {
      t_s: second - this.#startSecond,
      phase: this.#phaseAt(second),
      devices_target: gauge(metric.devicesTarget),
      devices_active: gauge(metric.devicesActive),
      rate_target: gauge(metric.rateTarget) === null ? null : roundTo(gauge(metric.rateTarget)!, 3),
      sent: counter(metric.sent),
      sent_late: counter(metric.late),
      lateness_p99_ms: pct(metric.lateness, 99),
      edge_in: counter(metric.edgeIn),
      udp_drops: w.counters.get(metric.udpDrops) ?? null,
      cloud_out: counter(metric.sinkRecords),
      delivered: counter(metric.delivered),
      e2e_p50_ms: pct(metric.e2e, 50),
      e2e_p95_ms: pct(metric.e2e, 95),
      e2e_p99_ms: pct(metric.e2e, 99),
      e2e_max_ms: e2e === undefined || e2e.count === 0 ? null : roundTo(e2e.max, 3),
      consumer_lag: gauge(metric.lag),
      mirror_lag: gauge(metric.mirrorLag),
      consumer_replicas: gauge(serviceMetric.replicas('sink')),
      errors,
      consumer_desired: gauge(metric.desired),
      consumer_lag_s: gauge(metric.lagSeconds) === null ? null : roundTo(gauge(metric.lagSeconds)!, 3),
      services,
    }
  }
}
