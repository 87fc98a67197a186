// One Kafka producer for the whole bridge, batched for throughput: records are queued per topic and sent when
// `lingerMs` passed since the first queued one or `maxBatch` are waiting, with at most one send in flight per topic
// (so a topic's records reach the broker in the order they were queued; records queued meanwhile make the next,
// larger batch). Acks are counted (`lwm2m.kafka.acked`); a queue past `maxQueued` drops the newest records rather
// than grow without bound while the broker is away (`lwm2m.kafka.dropped`).
import type { KafkaProducer, OutgoingRecord } from '../kafka/client.ts'
import type { Counters } from './metrics.ts'

export interface BatchOptions {
  /** Default 5 ms. */
  lingerMs?: number
  /** Records per send. Default 2000. */
  maxBatch?: number
  /** Records waiting across topics. Default 200,000. */
  maxQueued?: number
  /** A send failed after the client's own retries. */
  onError?: (err: Error, topic: string, records: number) => void
}

export class BatchingProducer {
  readonly #producer: KafkaProducer
  readonly #metrics: Counters
  readonly #lingerMs: number
  readonly #maxBatch: number
  readonly #maxQueued: number
  readonly #onError: (err: Error, topic: string, records: number) => void
  readonly #queues = new Map<string, OutgoingRecord[]>()
  readonly #inFlight = new Map<string, Promise<void>>()
  #queued = 0
  #timer: NodeJS.Timeout | undefined
  #closed = false

  constructor (producer: KafkaProducer, metrics: Counters, options: BatchOptions = {}) {
    this.#producer = producer
    this.#metrics = metrics
    this.#lingerMs = options.lingerMs ?? 5
    this.#maxBatch = options.maxBatch ?? 2000
    this.#maxQueued = options.maxQueued ?? 200_000
    this.#onError = options.onError ?? (() => {})
  }

  /** Records waiting to be sent (not counting those in flight). */
  get queued (): number {
    return this.#queued
  }

  add (topic: string, record: OutgoingRecord): void {
    if (this.#closed || this.#queued >= this.#maxQueued) {
      this.#metrics.inc('lwm2m.kafka.dropped')
      return
    }
    let queue = this.#queues.get(topic)
    if (queue === undefined) this.#queues.set(topic, queue = [])
    queue.push(record)
    this.#queued++
    this.#metrics.inc('lwm2m.kafka.queued')
    if (queue.length >= this.#maxBatch) this.#send(topic)
    else this.#timer ??= setTimeout(() => { this.#timer = undefined; this.#sendAll() }, this.#lingerMs)
  }

  /** Sends everything queued and resolves when the broker acknowledged it (or the sends failed). */
  async flush (): Promise<void> {
    while (this.#queued > 0 || this.#inFlight.size > 0) {
      this.#sendAll()
      await Promise.all([...this.#inFlight.values()])
    }
  }

  async close (): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.flush()
  }

  #sendAll (): void {
    for (const topic of this.#queues.keys()) this.#send(topic)
  }

  #send (topic: string): void {
    if (this.#inFlight.has(topic)) return
    const queue = this.#queues.get(topic)
    if (queue === undefined || queue.length === 0) return
    const batch = queue.length <= this.#maxBatch ? queue : queue.splice(0, this.#maxBatch)
    if (batch === queue) this.#queues.set(topic, [])
    this.#queued -= batch.length
    const sending = this.#producer.send(topic, batch).then(() => {
      this.#metrics.inc('lwm2m.kafka.acked', batch.length)
      this.#metrics.inc('lwm2m.kafka.batches')
    }, (err: unknown) => {
      this.#metrics.inc('lwm2m.kafka.failed', batch.length)
      this.#onError(err instanceof Error ? err : new Error(String(err)), topic, batch.length)
    }).finally(() => {
      this.#inFlight.delete(topic)
      // Records queued while this batch was in flight go at once: under load the batches grow by themselves.
      if ((this.#queues.get(topic)?.length ?? 0) > 0) this.#send(topic)
    })
    this.#inFlight.set(topic, sending)
  }
}
