// A sink consumer: one replica of a sink's consumer group. It reads the mirrored topics from the cloud Kafka by
// pattern, decodes each record, measures end-to-end latency from a traced notification's intended send time
// (docs/architecture.md, measurement rules: open model, no coordinated omission), and hands the record to its store (store.ts: file, InfluxDB,
// PostgreSQL). At the end of every fetched batch it pays the configured processing cost, flushes the store, tells
// its arrivals (arrivals.ts) and only then lets the batch be committed: at-least-once, nothing committed unwritten.
// It emits metrics (house rule 3, docs/architecture.md) into a MetricsRecorder the caller drains; it never writes results itself.
import { performance } from 'node:perf_hooks'
import type { SinkReport } from './contract.ts'
import type { MetricsRecorder } from '../../lib/metrics/recorder.ts'
import { sleep } from '../../lib/time.ts'
import type { GroupEvent, IncomingRecord, KafkaClient, PartitionPosition } from '../kafka/client.ts'
import { registrationCodec } from '../lwm2m-server/avro/codec.ts'
import { SequenceAccounting } from './accounting.ts'
import { ArrivalCollector } from './arrivals.ts'
import type { Arrivals } from './arrivals.ts'
import { decodeObservation } from './observation.ts'
import type { Observation } from './observation.ts'
import { PatternConsumer } from './pattern-consumer.ts'
import type { SinkStore } from './store.ts'

/** Metric names of a sink replica (one place, so the runner and the dashboard spell them the same). */
export const sinkMetrics = {
  records: 'sink.records',
  delivered: 'sink.delivered',
  duplicates: 'sink.duplicates',
  untraced: 'sink.untraced',
  undecodable: 'errors.sink.undecodable',
  rejected: 'errors.sink.rejected',
  latency: 'e2e.latency',
  /** Records behind the high watermark as this replica's fetches saw them (summed over replicas). */
  fetchLag: 'sink.fetch_lag',
  /** How long a rebalance stopped this replica's consumption, ms (KafkaJS: every membership change). */
  rebalancePause: 'sink.rebalance.pause',
  rebalances: 'sink.rebalances',
  /** Partitions this replica owns (summed over replicas: the topic's partition count once the group is stable). */
  partitions: 'sink.partitions',
  /**
   * Useful time (DS2's term): ms from a batch's first record until it is flushed and handed over, fetch waits
   * excluded; and the records of those batches. Their ratio is the replica's true processing rate, known before
   * the replica is ever saturated (the autoscaler's Knowledge learns its capacity from it).
   */
  busyMs: 'sink.busy_ms',
  busyRecords: 'sink.busy_records',
} as const

/** The processing cost per record: CPU spun, or time waited (a database that answers slowly). */
export interface SinkCost {
  readonly ms: number
  readonly kind: 'cpu' | 'wait'
}

export interface SinkConsumerOptions {
  readonly topicPattern: string
  readonly groupId: string
  readonly cost?: SinkCost
}

export interface SinkConsumerDeps {
  kafka: KafkaClient
  store: SinkStore
  metrics: MetricsRecorder
  /** Wall clock for the receive time, epoch ms. Default Date.now. */
  now?: () => number
  /** Something worth an event line ('sink.subscribed', 'sink.undecodable', 'sink.error', 'sink.rebalance'). */
  event?: (kind: string, detail: string) => void
  /**
   * The batch's traced arrivals, after the store flushed and before the batch is committed; the batch is committed
   * once the promise resolves (the unit resolves it when the message has been handed to the kernel).
   */
  onArrivals?: (arrivals: Arrivals) => Promise<void> | void
  /** Undecodable records told through `event` before going quiet. Default 5. */
  undecodableEvents?: number
  /** How often to look for new matching topics. Default 2000 ms. */
  refreshMs?: number
  /** See ConsumeOptions.sessionTimeoutMs. */
  sessionTimeoutMs?: number
}

export class SinkConsumer {
  readonly options: SinkConsumerOptions
  /** This replica's own view (duplicates it saw itself); the run's exact view is the runner's. */
  readonly accounting = new SequenceAccounting()
  readonly #deps: SinkConsumerDeps
  readonly #now: () => number
  readonly #lag = new Map<string, number>()
  readonly #batches = new Map<string, { arrivals: ArrivalCollector, records: number }>()
  #consumer: PatternConsumer | undefined
  #records = 0
  /** When the batch being handled began (batches run one at a time: partitionsConsumedConcurrently is 1). */
  #busySince: number | undefined
  #busyRecords = 0
  #untraced = 0
  #undecodable = 0

  constructor (options: SinkConsumerOptions, deps: SinkConsumerDeps) {
    this.options = options
    this.#deps = deps
    this.#now = deps.now ?? Date.now
  }

  get store (): SinkStore { return this.#deps.store }

  /** Starts consuming from the beginning of every matching topic (those that exist now and later). */
  async start (): Promise<void> {
    const event = this.#deps.event ?? (() => {})
    this.#consumer = new PatternConsumer({
      kafka: this.#deps.kafka,
      pattern: new RegExp(this.options.topicPattern),
      groupId: this.options.groupId,
      refreshMs: this.#deps.refreshMs ?? 2000,
      ...(this.#deps.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: this.#deps.sessionTimeoutMs } : {}),
      onRecord: record => this.#handle(record),
      onBatchEnd: position => this.#batchEnd(position),
      onGroupEvent: e => this.#group(e),
      onSubscribe: topics => event('sink.subscribed', `consuming ${topics.join(', ')} (group ${this.options.groupId}, store ${this.#deps.store.name})`),
      onError: err => event('sink.error', err.message),
    })
    await this.#consumer.start()
  }

  /** Stops consuming: the group's offsets of what was flushed are committed and the replica leaves the group. */
  async stop (): Promise<void> {
    await this.#consumer?.stop()
    this.#consumer = undefined
    this.sampleLag()
  }

  /** Records the fetch-lag gauge from the last known position of every partition (called once a second, and per batch). */
  sampleLag (): void {
    let sum = 0
    for (const v of this.#lag.values()) sum += v
    this.#deps.metrics.gauge(sinkMetrics.fetchLag, sum, 'sum')
  }

  /** Topics being consumed. */
  get topics (): readonly string[] { return this.#consumer?.topics ?? [] }

  get records (): number { return this.#records }

  report (): SinkReport {
    return { devices: this.accounting.report(), records: this.#records, untraced: this.#untraced, undecodable: this.#undecodable, rejected: this.#deps.store.rejected }
  }

  #batch (topic: string, partition: number): { arrivals: ArrivalCollector, records: number } {
    const k = `${topic}\0${partition}`
    let b = this.#batches.get(k)
    if (b === undefined) this.#batches.set(k, b = { arrivals: new ArrivalCollector(), records: 0 })
    return b
  }

  #handle (record: IncomingRecord): Promise<void> | void {
    const receivedAtMs = this.#now()
    const metrics = this.#deps.metrics
    this.#busySince ??= performance.now()
    this.#busyRecords++
    this.#records++
    metrics.counter(sinkMetrics.records)
    const batch = this.#batch(record.topic, record.partition)
    const store = this.#deps.store
    const cost = this.options.cost
    if (cost !== undefined && cost.ms > 0 && ++batch.records * cost.ms >= COST_SLICE_MS) {
      // paid in slices while the batch is handled, so the consumer keeps heartbeating through a long batch
      const records = batch.records
      batch.records = 0
      return payCost(cost, records).then(() => this.#store(record, receivedAtMs))
    }
    return this.#store(record, receivedAtMs)
  }

  #store (record: IncomingRecord, receivedAtMs: number): Promise<void> | void {
    const metrics = this.#deps.metrics
    const batch = this.#batch(record.topic, record.partition)
    const store = this.#deps.store
    if (store.input === 'registrations') {
      let decoded: unknown
      try {
        decoded = registrationCodec.decode(record.value ?? Buffer.alloc(0), record.topic)
      } catch (err) {
        this.#bad(record, err as Error)
        return undefined
      }
      return store.add({ kind: 'registration', record: decoded, topic: record.topic, partition: record.partition, offset: record.offset, receivedAtMs })
    }
    let observation: Observation
    try {
      observation = decodeObservation(record.value, record.topic)
    } catch (err) {
      this.#bad(record, err as Error)
      return undefined
    }
    const trace = observation.trace
    if (trace === undefined) {
      this.#untraced++
      metrics.counter(sinkMetrics.untraced)
    } else {
      batch.arrivals.add(trace.deviceId, trace.seq)
      // first arrival at this replica: its latency (a record re-delivered to another replica after a rebalance
      // really arrived twice, and is measured at both)
      if (this.accounting.record(trace.deviceId, trace.seq) === 'delivered') metrics.histogram(sinkMetrics.latency, receivedAtMs - trace.sentAtMs)
    }
    return store.add({ kind: 'observation', observation, topic: record.topic, partition: record.partition, offset: record.offset, receivedAtMs })
  }

  #bad (record: IncomingRecord, err: Error): void {
    this.#undecodable++
    this.#deps.metrics.counter(sinkMetrics.undecodable)
    if (this.#undecodable <= (this.#deps.undecodableEvents ?? 5)) {
      this.#deps.event?.('sink.undecodable', `${record.topic} partition ${record.partition} offset ${record.offset}: ${err.message}`)
    }
  }

  async #batchEnd (p: PartitionPosition): Promise<void> {
    this.#lag.set(`${p.topic}\0${p.partition}`, p.lag)
    this.sampleLag()
    const batch = this.#batch(p.topic, p.partition)
    const records = batch.records
    batch.records = 0
    const cost = this.options.cost
    try {
      if (cost !== undefined && cost.ms > 0 && records > 0) await payCost(cost, records)
      const rejectedBefore = this.#deps.store.rejected
      await this.#deps.store.flush()
      const rejected = this.#deps.store.rejected - rejectedBefore
      if (rejected > 0) this.#deps.metrics.counter(sinkMetrics.rejected, rejected)
      if (batch.arrivals.count > 0) await this.#deps.onArrivals?.(batch.arrivals.take())
    } finally {
      if (this.#busySince !== undefined) {
        this.#deps.metrics.counter(sinkMetrics.busyMs, performance.now() - this.#busySince)
        this.#deps.metrics.counter(sinkMetrics.busyRecords, this.#busyRecords)
        this.#busySince = undefined
        this.#busyRecords = 0
      }
    }
  }

  #group (e: GroupEvent): void {
    const metrics = this.#deps.metrics
    const event = this.#deps.event ?? (() => {})
    const partitions = (n: number): string => `${n} partition${n === 1 ? '' : 's'}`
    if (e.type === 'joined') {
      metrics.gauge(sinkMetrics.partitions, e.partitions, 'last')
      if (!e.rejoined) event('sink.joined', `joined the group with ${partitions(e.partitions)}`)
    } else if (e.type === 'resumed') {
      metrics.counter(sinkMetrics.rebalances)
      metrics.histogram(sinkMetrics.rebalancePause, e.pauseMs)
      // "after a <ms> ms pause" is read back by the run (the autoscaler's knowledge) and bench:autoscale
      event('sink.rebalance', `joined the group with ${partitions(e.partitions)} after a ${e.pauseMs} ms pause (stopped to first fetch; the join took ${e.joinMs} ms)`)
    } else if (e.type === 'crash') {
      event('sink.error', `consumer crashed: ${e.error}${e.restart ? ' (restarting)' : ''}`)
    }
  }
}

/** The cost is paid for this many ms of records at a time: timers are too coarse to wait 2 ms per record one by one. */
const COST_SLICE_MS = 20

/** `records` x cost: spun on the CPU, or waited. */
async function payCost (cost: SinkCost, records: number): Promise<void> {
  const ms = cost.ms * records
  if (cost.kind === 'wait') { await sleep(ms); return }
  const until = performance.now() + ms
  while (performance.now() < until) { /* spinning is the cost */ }
}
