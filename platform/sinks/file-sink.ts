// The NDJSON file sink: the measuring end of a run. It reads the mirrored observations from the cloud Kafka,
// measures end-to-end latency from each notification's intended send time (DESIGN.md: open model, no coordinated
// omission), accounts every traced sequence number per device, and appends one JSON line per record to a file.
// It emits metrics (STYLE.md rule 3) into a MetricsRecorder the caller drains; it never writes results itself.
import type { SinkConfig, SinkReport } from '../../experiments/contracts.ts'
import type { MetricsRecorder } from '../../lib/metrics/recorder.ts'
import type { IncomingRecord, KafkaClient, PartitionPosition } from '../kafka/client.ts'
import { SequenceAccounting } from './accounting.ts'
import { NdjsonWriter } from './ndjson-writer.ts'
import { decodeObservation } from './observation.ts'
import type { Observation } from './observation.ts'
import { PatternConsumer } from './pattern-consumer.ts'

/** Metric names of the sink (one place, so the runner and the dashboard spell them the same). */
export const sinkMetrics = {
  records: 'sink.records',
  delivered: 'sink.delivered',
  duplicates: 'sink.duplicates',
  untraced: 'sink.untraced',
  undecodable: 'errors.sink.undecodable',
  latency: 'e2e.latency',
  lag: 'kafka.consumer.lag',
} as const

/** One line of the NDJSON file. `seq` and `sentAtMs` are null for an untraced record. */
export interface SinkLine {
  endpoint: string
  seq: number | null
  sentAtMs: number | null
  receivedAtMs: number
  topic: string
  partition: number
  offset: string
  values: Observation['values']
}

export interface FileSinkDeps {
  kafka: KafkaClient
  metrics: MetricsRecorder
  /** Wall clock for the receive time, epoch ms. Default Date.now. */
  now?: () => number
  /** Something worth an event line (`kind`: 'sink.subscribed', 'sink.undecodable', 'sink.error'). */
  event?: (kind: string, detail: string) => void
  /** Undecodable records told through `event` before going quiet. Default 5. */
  undecodableEvents?: number
  /** How often to look for new matching topics. Default 2000 ms. */
  refreshMs?: number
}

export class FileSink {
  readonly config: SinkConfig
  readonly accounting = new SequenceAccounting()
  readonly #deps: FileSinkDeps
  readonly #now: () => number
  readonly #lag = new Map<string, number>()
  #consumer: PatternConsumer | undefined
  #writer: NdjsonWriter | undefined
  #records = 0
  #untraced = 0
  #undecodable = 0

  constructor (config: SinkConfig, deps: FileSinkDeps) {
    this.config = config
    this.#deps = deps
    this.#now = deps.now ?? Date.now
  }

  /** Opens the file and starts consuming from the beginning of every matching topic (those that exist now and later). */
  async start (): Promise<void> {
    const pattern = new RegExp(this.config.topicPattern)
    this.#writer = await NdjsonWriter.open(this.config.outFile)
    const event = this.#deps.event ?? (() => {})
    this.#consumer = new PatternConsumer({
      kafka: this.#deps.kafka,
      pattern,
      groupId: this.config.groupId,
      refreshMs: this.#deps.refreshMs ?? 2000,
      onRecord: record => this.#handle(record),
      onBatchEnd: position => this.#position(position),
      onSubscribe: topics => event('sink.subscribed', `consuming ${topics.join(', ')} (group ${this.config.groupId})`),
      onError: err => event('sink.error', err.message),
    })
    try {
      await this.#consumer.start()
    } catch (err) {
      await this.#writer.close().catch(() => {})
      throw err
    }
  }

  /** Stops consuming (the group commits what was consumed) and flushes and closes the file. */
  async stop (): Promise<void> {
    await this.#consumer?.stop()
    this.#consumer = undefined
    await this.#writer?.close()
    this.sampleLag()
  }

  /** Records the lag gauge from the last known position of every partition (called once a second, and per batch). */
  sampleLag (): void {
    let sum = 0
    for (const v of this.#lag.values()) sum += v
    this.#deps.metrics.gauge(sinkMetrics.lag, sum, 'sum')
  }

  /** Topics being consumed. */
  get topics (): readonly string[] { return this.#consumer?.topics ?? [] }

  get records (): number { return this.#records }

  report (): SinkReport {
    return { devices: this.accounting.report(), records: this.#records, untraced: this.#untraced, undecodable: this.#undecodable }
  }

  #handle (record: IncomingRecord): Promise<void> | undefined {
    const receivedAtMs = this.#now()
    const metrics = this.#deps.metrics
    this.#records++
    metrics.counter(sinkMetrics.records)
    let observation: Observation
    try {
      observation = decodeObservation(record.value, record.topic)
    } catch (err) {
      this.#undecodable++
      metrics.counter(sinkMetrics.undecodable)
      if (this.#undecodable <= (this.#deps.undecodableEvents ?? 5)) {
        this.#deps.event?.('sink.undecodable', `${record.topic} partition ${record.partition} offset ${record.offset}: ${(err as Error).message}`)
      }
      return undefined
    }
    const trace = observation.trace
    if (trace === undefined) {
      this.#untraced++
      metrics.counter(sinkMetrics.untraced)
    } else if (this.accounting.record(trace.deviceId, trace.seq) === 'delivered') {
      metrics.counter(sinkMetrics.delivered)
      metrics.histogram(sinkMetrics.latency, receivedAtMs - trace.sentAtMs)
    } else {
      metrics.counter(sinkMetrics.duplicates)
    }
    const line: SinkLine = {
      endpoint: observation.endpoint,
      seq: trace?.seq ?? null,
      sentAtMs: trace?.sentAtMs ?? null,
      receivedAtMs,
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      values: observation.values,
    }
    return this.#writer?.write(line)
  }

  #position (p: PartitionPosition): void {
    this.#lag.set(`${p.topic}\0${p.partition}`, p.lag)
    this.sampleLag()
  }
}
