// The consumer group's lag, read every period from the cloud Kafka's admin API (control/lag.ts says how), into the
// run's metric stream; the autoscaler reads the same snapshot. One poll at a time: a slow broker makes a reading
// late, never two readings race.
import type { KafkaClient } from '../platform/kafka/client.ts'
import type { MetricsRecorder } from '../lib/metrics/recorder.ts'
import { LagTracker, partitionStatuses } from './lag.ts'
import type { LagSnapshot, LagTrackerOptions, PartitionReading } from './lag.ts'
import type { Monitor } from './monitors.ts'
import { withTimeout } from '../lib/time.ts'

/** Metric names of the lag monitor. */
export const lagMetric = {
  lag: 'kafka.consumer.lag',
  lagSeconds: 'kafka.consumer.lag_seconds',
  lagging: 'kafka.consumer.partitions_lagging',
  status: (s: string): string => `kafka.consumer.status.${s}`,
  produced: 'kafka.topic.produced',
  consumed: 'kafka.consumer.committed',
  members: 'kafka.consumer.members',
} as const

const TOPIC_LIST_MS = 10_000
/** A reading that takes longer is given up (and counted in `failures`); the next period reads again. */
const READ_TIMEOUT_MS = 5000

export interface ConsumerLagMonitorOptions extends LagTrackerOptions {
  readonly kafka: KafkaClient
  readonly topics: RegExp
  readonly groupId: string
  readonly recorder?: MetricsRecorder
  /** Default 1000 ms. */
  readonly periodMs?: number
  readonly now?: () => number
  /** Every snapshot, as it is taken. */
  readonly onSnapshot?: (s: LagSnapshot) => void
}

export class ConsumerLagMonitor implements Monitor {
  readonly #o: ConsumerLagMonitorOptions
  readonly #tracker: LagTracker
  #timer: NodeJS.Timeout | undefined
  #busy: Promise<LagSnapshot | undefined> | undefined
  #topics: string[] = []
  #listedAt = -Infinity
  #latest: LagSnapshot | undefined
  /** Polls that failed (a broker that did not answer); the next poll tries again. */
  failures = 0

  constructor (o: ConsumerLagMonitorOptions) {
    this.#o = o
    this.#tracker = new LagTracker(o)
  }

  get latest (): LagSnapshot | undefined { return this.#latest }

  start (): void {
    void this.poll()
    this.#timer = setInterval(() => { void this.poll() }, this.#o.periodMs ?? 1000)
  }

  async stop (): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#busy
  }

  /** One reading now (or the one in flight). */
  poll (): Promise<LagSnapshot | undefined> {
    this.#busy ??= this.#read().finally(() => { this.#busy = undefined })
    return this.#busy
  }

  async #read (): Promise<LagSnapshot | undefined> {
    const { kafka, groupId } = this.#o
    const now = this.#o.now ?? Date.now
    try {
      if (now() - this.#listedAt > TOPIC_LIST_MS) {
        this.#topics = (await kafka.listTopics()).filter(t => this.#o.topics.test(t)).sort()
        this.#listedAt = now()
      }
      const [ends, committed, group] = await withTimeout(Promise.all([
        Promise.all(this.#topics.map(async t => ({ topic: t, offsets: await kafka.topicOffsets(t) }))),
        kafka.groupOffsets(groupId, this.#topics),
        kafka.describeGroup(groupId),
      ]), READ_TIMEOUT_MS, `lag of group ${groupId}`)
      const byPartition = new Map(committed.map(c => [`${c.topic}\0${c.partition}`, c.offset]))
      const readings: PartitionReading[] = ends.flatMap(({ topic, offsets }) => offsets.map(o => ({
        topic, partition: o.partition, low: o.low, logEnd: o.high, committed: byPartition.get(`${topic}\0${o.partition}`) ?? -1,
      })))
      const s = this.#tracker.observe(readings, now(), group.members, group.state)
      this.#latest = s
      this.#record(s)
      this.#o.onSnapshot?.(s)
      return s
    } catch {
      this.failures++
      return undefined
    }
  }

  #record (s: LagSnapshot): void {
    const r = this.#o.recorder
    if (r === undefined) return
    r.gauge(lagMetric.lag, s.totalLag, 'max')
    r.gauge(lagMetric.lagSeconds, s.maxLagSeconds, 'max')
    r.gauge(lagMetric.lagging, s.partitionsWithLag, 'max')
    r.gauge(lagMetric.members, s.members, 'last')
    for (const status of partitionStatuses) r.gauge(lagMetric.status(status), s.partitions.filter(p => p.status === status).length, 'last')
    if (s.produced > 0) r.counter(lagMetric.produced, s.produced)
    if (s.consumed > 0) r.counter(lagMetric.consumed, s.consumed)
  }
}
