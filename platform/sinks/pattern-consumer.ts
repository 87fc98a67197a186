// Consumes every topic whose name matches a pattern, including topics created after the start: MirrorMaker 2
// creates iot.<gw>.observations in the cloud only after its next topic scan following the gateway's first record,
// and a run may add gateways. A consumer group's subscription is fixed while it runs (KafkaJS resolves a RegExp
// once, at subscribe), so the watcher lists the topics every `refreshMs` and, when new ones match, stops the
// consumer (committing what it consumed) and starts it again with the longer list. The group's committed offsets
// carry over; the new topics are read from the beginning.
import { KafkaError } from '../../lib/errors.ts'
import type { ConsumeOptions, KafkaClient, KafkaConsumer } from '../kafka/client.ts'

export interface PatternConsumerOptions {
  kafka: KafkaClient
  pattern: RegExp
  groupId: string
  onRecord: ConsumeOptions['onRecord']
  onBatchEnd?: ConsumeOptions['onBatchEnd']
  onGroupEvent?: ConsumeOptions['onGroupEvent']
  sessionTimeoutMs?: number
  /** How often to look for new topics. Default 2000 ms. */
  refreshMs?: number
  /** Told when the subscription changes. */
  onSubscribe?: (topics: readonly string[]) => void
  /** A failed topic listing or re-subscription (retried at the next refresh). */
  onError?: (err: Error) => void
}

export class PatternConsumer {
  readonly #o: PatternConsumerOptions
  #topics: string[] = []
  #consumer: KafkaConsumer | undefined
  #timer: NodeJS.Timeout | undefined
  #refreshing: Promise<void> | undefined
  #stopped = false

  constructor (options: PatternConsumerOptions) {
    this.#o = options
  }

  get topics (): readonly string[] { return this.#topics }

  /** Subscribes to the topics that match now (possibly none yet) and starts watching for more. */
  async start (): Promise<void> {
    await this.#refresh(true)
    this.#timer = setInterval(() => { this.#refreshing ??= this.#refresh(false).finally(() => { this.#refreshing = undefined }) }, this.#o.refreshMs ?? 2000)
    this.#timer.unref()
  }

  /** Stops watching and consuming; the group's offsets of what onRecord saw are committed. */
  async stop (): Promise<void> {
    this.#stopped = true
    clearInterval(this.#timer)
    await this.#refreshing
    await this.#consumer?.close()
    this.#consumer = undefined
  }

  async #refresh (first: boolean): Promise<void> {
    let names: string[]
    try {
      names = (await this.#o.kafka.listTopics()).filter(t => this.#o.pattern.test(t)).sort()
    } catch (err) {
      if (first) throw err
      this.#o.onError?.(err as Error)
      return
    }
    if (this.#stopped || names.length === 0 || names.every(n => this.#topics.includes(n))) return
    try {
      await this.#consumer?.close()
      this.#consumer = undefined
      if (this.#stopped) return
      this.#consumer = await this.#o.kafka.consume({
        groupId: this.#o.groupId,
        topics: names,
        fromBeginning: true,
        waitForTopicsMs: 10_000,
        onRecord: this.#o.onRecord,
        ...(this.#o.onBatchEnd !== undefined ? { onBatchEnd: this.#o.onBatchEnd } : {}),
        ...(this.#o.onGroupEvent !== undefined ? { onGroupEvent: this.#o.onGroupEvent } : {}),
        ...(this.#o.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: this.#o.sessionTimeoutMs } : {}),
      })
      this.#topics = names
      this.#o.onSubscribe?.(names)
    } catch (err) {
      const e = err instanceof KafkaError ? err : new KafkaError(`subscribing to ${names.join(', ')} failed: ${(err as Error).message}`, { cause: err })
      if (first) throw e
      this.#o.onError?.(e)
    }
  }
}
