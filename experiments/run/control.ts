// The run's control loop over its sink: every period the consumer-lag monitor's snapshot and the Runtime's replica
// count become the autoscaler's input (control/autoscaler/), its decision goes to events.csv (changes always, holds
// when their reason changes) and to the metric stream (desired replicas), and the sink group (sink-group.ts) is the
// executor. Without an `autoscaler` in the experiment it runs the fixed policy: replicas stay as configured, a
// killed replica is replaced, a count set with `fleetlab scale` is kept.
import { Autoscaler } from '../../control/autoscaler/loop.ts'
import type { AutoscalerConfig, ControlInput, Decision } from '../../control/autoscaler/types.ts'
import { formatCount } from '../../control/autoscaler/format.ts'
import { ConsumerLagMonitor } from '../../control/lag-monitor.ts'
import type { LagSnapshot } from '../../control/lag.ts'
import type { MetricsRecorder } from '../../lib/metrics/recorder.ts'
import type { MetricWindowJSON } from '../../lib/metrics/window.ts'
import type { KafkaClient } from '../../platform/kafka/client.ts'
import { readScaleRequest } from '../../platform/scalable.ts'
import { sinkMetrics } from '../../platform/sinks/sink-consumer.ts'
import type { SinkGroup } from './sink-group.ts'
import { metric } from './seconds.ts'

/** Holds are logged at least this often, so a long steady phase still shows the loop is alive and why it holds. */
const HOLD_LOG_MS = 30_000
/** The lag monitor's status window and time-lag history, in time: Burrow's 10 samples and kafka-lag-exporter's 60 points at 1 s. */
const STATUS_WINDOW_MS = 10_000
const LAG_HISTORY_MS = 60_000

export interface SinkControlOptions {
  readonly config: AutoscalerConfig
  readonly group: SinkGroup
  readonly initial: number
  readonly partitions: number
  readonly cloud: KafkaClient
  readonly topics: RegExp
  readonly groupId: string
  readonly recorder: MetricsRecorder
  readonly event: (kind: string, source: string, detail: string, atMs?: number) => void
  readonly progress: (line: string) => void
  /** Where `fleetlab scale` leaves its request. */
  readonly home: string
  readonly platform: string
}

/** Records produced and consumed over `ms` of readings, and whether the group was Stable at each. */
interface PeriodSum { produced: number, consumed: number, ms: number, stable: boolean }

const emptySum = (): PeriodSum => ({ produced: 0, consumed: 0, ms: 0, stable: true })

function addReading (sum: PeriodSum, s: Pick<LagSnapshot, 'produced' | 'consumed' | 'elapsedMs' | 'groupState'>): void {
  sum.produced += s.produced
  sum.consumed += s.consumed
  sum.ms += s.elapsedMs
  sum.stable &&= s.groupState === 'Stable'
}

export class SinkControl {
  readonly autoscaler: Autoscaler
  readonly lag: ConsumerLagMonitor
  readonly #o: SinkControlOptions
  #timer: NodeJS.Timeout | undefined
  #busy = false
  #lastHold: { reason: string, atMs: number } | undefined
  #manualAt = 0
  #sum = emptySum()
  /** The readings of the last period, newest last: the rates a look between periods plans on. */
  readonly #recent: LagSnapshot[] = []

  constructor (o: SinkControlOptions) {
    this.#o = o
    // the lag is read every second for the records whatever the control period, and at `reactMs` when the loop
    // looks between periods; a period's rates add its readings up
    const sampleMs = Math.min(1000, o.config.periodMs, o.config.reactMs ?? Infinity)
    this.lag = new ConsumerLagMonitor({
      kafka: o.cloud, topics: o.topics, groupId: o.groupId, recorder: o.recorder, periodMs: sampleMs,
      // the status window and the time-lag history span the same time however often the lag is read
      window: Math.max(2, Math.round(STATUS_WINDOW_MS / sampleMs)), historyPoints: Math.max(3, Math.round(LAG_HISTORY_MS / sampleMs)),
      onSnapshot: s => {
        addReading(this.#sum, s)
        if (o.config.reactMs !== undefined) this.#look(s)
      },
    })
    this.autoscaler = new Autoscaler({
      config: o.config,
      initial: o.initial,
      executor: { scale: n => o.group.scale(n) },
      onDecision: d => this.#log(d),
      onError: (err, n) => o.event('error', 'autoscaler', `scaling to ${n} failed: ${err.message.split('\n')[0]}`),
    })
    o.recorder.gauge(metric.desired, o.initial, 'last')
  }

  start (): void {
    this.lag.start()
    this.#schedule()
  }

  /** The next period a whole period from now. */
  #schedule (): void {
    clearInterval(this.#timer)
    this.#timer = setInterval(() => { void this.#period() }, this.#o.config.periodMs)
  }

  /**
   * A reading between two periods: planned on the rates of the last period's readings (the same span a period
   * plans on, so no noisier); when the policy would scale up on it, the period comes now and the next one a whole
   * period later. A look never scales in.
   */
  #look (s: LagSnapshot): void {
    const recent = this.#recent
    recent.push(s)
    let ms = 0
    let keep = 0
    for (let i = recent.length - 1; i >= 0 && ms < this.#o.config.periodMs; i--) { ms += recent[i]!.elapsedMs; keep++ }
    recent.splice(0, recent.length - keep)
    if (this.#busy || this.#timer === undefined || ms < this.#o.config.periodMs) return
    // the replicas as the last period counted them: asking the Runtime costs a docker call per look
    const running = this.autoscaler.knowledge.inputs.at(-1)?.replicas ?? this.#o.initial
    const sum = emptySum()
    for (const r of recent) addReading(sum, r)
    if (!this.autoscaler.wantsScaleUp(this.#input(s, running, sum))) return
    this.#schedule()
    void this.#period()
  }

  #input (snapshot: LagSnapshot, running: number, sum: PeriodSum): ControlInput {
    const perS = 1000 / sum.ms
    return {
      atMs: snapshot.atMs,
      replicas: running,
      partitions: this.#o.partitions,
      lag: snapshot.totalLag,
      lagSeconds: snapshot.maxLagSeconds,
      partitionsWithLag: snapshot.partitionsWithLag,
      groupStatus: snapshot.status,
      arrivalRate: sum.produced * perS,
      consumedRate: sum.consumed * perS,
      groupStable: sum.stable && snapshot.groupState === 'Stable' && snapshot.members === running,
    }
  }

  async stop (): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    while (this.#busy) await new Promise(resolve => setTimeout(resolve, 20))
    await this.autoscaler.settled()
    await this.lag.stop()
  }

  /** A replica's metric windows: their useful time teaches Knowledge the per-replica capacity (knowledge.ts). */
  noteWindows (windows: readonly MetricWindowJSON[]): void {
    for (const w of windows) {
      const ms = w.counters[sinkMetrics.busyMs]
      if (ms !== undefined) this.autoscaler.knowledge.noteWork(w.counters[sinkMetrics.busyRecords] ?? 0, ms)
    }
  }

  /** A rebalance paused a replica's consumption for this long (from its 'sink.rebalance' event). */
  noteRebalance (ms: number): void {
    this.autoscaler.knowledge.noteRebalance(ms)
  }

  async #period (): Promise<void> {
    if (this.#busy || this.#timer === undefined) return
    this.#busy = true
    try {
      const manual = await readScaleRequest(this.#o.home, this.#o.platform, this.#o.group.service)
      if (manual !== undefined && manual.atMs > this.#manualAt) {
        this.#manualAt = manual.atMs
        this.autoscaler.override(manual.replicas)
        this.#o.event('autoscale', 'fleetlab scale', `${manual.replicas} replicas set by hand; policy ${this.autoscaler.policy.name} ${this.autoscaler.policy.name === 'fixed' ? 'keeps it' : 'decides again from here'}`, manual.atMs)
      }
      const [snapshot, running] = await Promise.all([this.lag.poll(), this.#o.group.running()])
      // the first reading only starts the rates: a period's arrival needs two
      if (snapshot === undefined || this.#sum.ms <= 0) return
      const sum = this.#sum
      this.#sum = emptySum()
      const input = this.#input(snapshot, running.length, sum)
      const d = this.autoscaler.step(input)
      this.#o.recorder.gauge(metric.desired, d.desired, 'last')
    } catch (err) {
      this.#o.event('error', 'autoscaler', `control period failed: ${(err as Error).message}`)
    } finally {
      this.#busy = false
    }
  }

  #log (d: Decision): void {
    const i = d.input
    const inputs = `lag ${formatCount(i.lag)} (${i.lagSeconds.toFixed(1)} s, ${i.partitionsWithLag}/${i.partitions} partitions, ${i.groupStatus}), ` +
      `arrival ${formatCount(i.arrivalRate)}/s, consumed ${formatCount(i.consumedRate)}/s, ${i.replicas} running`
    const symptoms = d.symptoms.length > 0 ? ` [${d.symptoms.map(s => s.detail).join('; ')}]` : ''
    if (d.action === 'hold') {
      // the same hold in other numbers is not logged again (a trend that comes and goes by noise neither)
      const key = d.reason.replace(/ rising [-\d,.]+\/s²/g, '').replace(/[\d,.]+/g, '#')
      const last = this.#lastHold
      if (last !== undefined && last.reason === key && d.atMs - last.atMs < HOLD_LOG_MS) return
      this.#lastHold = { reason: key, atMs: d.atMs }
    } else {
      this.#lastHold = undefined
      this.#o.progress(`autoscaler (${d.policy}): ${d.action} to ${d.desired}: ${d.reason}`)
    }
    this.#o.event('autoscale', d.policy, `${d.action} ${d.current} -> ${d.desired}: ${d.reason}; ${inputs}${symptoms}`, d.atMs)
  }
}
