// The consumer group's lag, read every period from the cloud Kafka's admin API (control/lag.ts says how), into the
// run's metric stream; the autoscaler reads the same snapshot. One poll at a time: a slow broker makes a reading
// late, never two readings race. MirrorLagMonitor does the same for the records the edge has and the cloud not yet.
import type { KafkaClient } from '../platform/kafka/client.ts'
import type { MetricsRecorder } from '../lib/metrics/recorder.ts'
import { LagTracker, MirrorLagTracker, partitionStatuses } from './lag.ts'
import type { LagSnapshot, LagTrackerOptions, MirrorHealthOptions, MirrorReading, MirrorSnapshot, PartitionReading } from './lag.ts'
import type { Monitor } from './monitor.ts'
import { withTimeout } from '../lib/time.ts'

/** Metric names of the lag monitor. */
export const lagMetric = {
  lag: 'kafka.consumer.lag',
  lagSeconds: 'kafka.consumer.lag_seconds',
  lagging: 'kafka.consumer.partitions_lagging',
  partitions: 'kafka.consumer.partitions',
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
  /** Why the latest failed poll failed. */
  lastError: Error | undefined

  constructor (o: ConsumerLagMonitorOptions) {
    this.#o = o
    this.#tracker = new LagTracker(o)
  }

  get latest (): LagSnapshot | undefined { return this.#latest }

  /** The latest reading (per partition: log end, committed, lag, lag seconds, status, owner; and the totals). */
  snapshot (): LagSnapshot | undefined { return this.#latest }

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
      const owners = new Map<string, string>()
      for (const m of group.members) for (const a of m.assignments) for (const p of a.partitions) owners.set(`${a.topic}\0${p}`, m.clientId)
      const readings: PartitionReading[] = ends.flatMap(({ topic, offsets }) => offsets.map(o => {
        const key = `${topic}\0${o.partition}`
        const owner = owners.get(key)
        const r = { topic, partition: o.partition, low: o.low, logEnd: o.high, committed: byPartition.get(key) ?? -1 }
        return owner === undefined ? r : { ...r, owner }
      }))
      const s = this.#tracker.observe(readings, now(), group.members.length, group.state)
      this.#latest = s
      this.#record(s)
      this.#o.onSnapshot?.(s)
      return s
    } catch (err) {
      this.failures++
      this.lastError = err as Error
      return undefined
    }
  }

  #record (s: LagSnapshot): void {
    const r = this.#o.recorder
    if (r === undefined) return
    r.gauge(lagMetric.lag, s.totalLag, 'max')
    r.gauge(lagMetric.lagSeconds, s.maxLagSeconds, 'max')
    r.gauge(lagMetric.lagging, s.partitionsWithLag, 'max')
    r.gauge(lagMetric.partitions, s.partitions.length, 'last')
    r.gauge(lagMetric.members, s.members, 'last')
    for (const status of partitionStatuses) r.gauge(lagMetric.status(status), s.partitions.filter(p => p.status === status).length, 'last')
    if (s.produced > 0) r.counter(lagMetric.produced, s.produced)
    if (s.consumed > 0) r.counter(lagMetric.consumed, s.consumed)
  }
}

/** Metric names of the mirror-lag monitor (`lag` is the timeseries' mirror_lag column, experiments/run/seconds.ts). */
export const mirrorMetric = {
  lag: 'kafka.mirror.lag',
  /** 1 while every partition keeps up, 0 otherwise (control/lag.ts says when). */
  healthy: 'kafka.mirror.healthy',
} as const

export interface MirrorLagMonitorOptions extends MirrorHealthOptions {
  readonly edge: KafkaClient
  readonly cloud: KafkaClient
  /** Edge topics to follow (MirrorMaker's edge->cloud topics); the cloud topics have the same names. */
  readonly topics: RegExp
  readonly recorder?: MetricsRecorder
  /** Default 1000 ms. */
  readonly periodMs?: number
  readonly now?: () => number
}

/** Edge end offsets minus cloud end offsets per partition, and MirrorMaker 2's health from how that lag moves. */
export class MirrorLagMonitor implements Monitor {
  readonly #o: MirrorLagMonitorOptions
  readonly #tracker: MirrorLagTracker
  #timer: NodeJS.Timeout | undefined
  #busy: Promise<MirrorSnapshot | undefined> | undefined
  #topics: string[] = []
  #listedAt = -Infinity
  #latest: MirrorSnapshot | undefined
  #inCloud = new Set<string>()
  /** Polls that failed (a broker that did not answer); the next poll tries again. */
  failures = 0
  /** Why the latest failed poll failed. */
  lastError: Error | undefined

  constructor (o: MirrorLagMonitorOptions) {
    this.#o = o
    this.#tracker = new MirrorLagTracker(o)
  }

  /** The latest reading; undefined before the first. */
  snapshot (): MirrorSnapshot | undefined { return this.#latest }

  /** False once a partition has stalled or fallen behind for the threshold; true before the first reading. */
  get mirrorHealthy (): boolean { return this.#latest?.healthy ?? true }

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
  poll (): Promise<MirrorSnapshot | undefined> {
    this.#busy ??= this.#read().finally(() => { this.#busy = undefined })
    return this.#busy
  }

  async #read (): Promise<MirrorSnapshot | undefined> {
    const { edge, cloud } = this.#o
    const now = this.#o.now ?? Date.now
    try {
      if (now() - this.#listedAt > TOPIC_LIST_MS) {
        this.#topics = (await edge.listTopics()).filter(t => this.#o.topics.test(t)).sort()
        this.#listedAt = now()
      }
      // a topic MirrorMaker has not created yet is not asked for (the admin client retries an unknown topic for
      // seconds), and the cloud is listed again until it has them all: a new topic counts from its creation on
      if (this.#topics.some(t => !this.#inCloud.has(t))) this.#inCloud = new Set(await cloud.listTopics())
      // edge and cloud read together: the further apart, the more records cross in between and skew the difference
      const sides = await withTimeout(Promise.all(this.#topics.map(async topic => {
        const [e, c] = await Promise.all([edge.topicOffsets(topic), this.#inCloud.has(topic) ? cloud.topicOffsets(topic) : []])
        const cloudEnd = new Map(c.map(o => [o.partition, o.high]))
        return e.map((o): MirrorReading => ({ topic, partition: o.partition, edgeEnd: o.high, cloudEnd: cloudEnd.get(o.partition) ?? 0 }))
      })), READ_TIMEOUT_MS, 'mirror lag')
      const s = this.#tracker.observe(sides.flat(), now())
      this.#latest = s
      this.#o.recorder?.gauge(mirrorMetric.lag, s.totalLag, 'max')
      this.#o.recorder?.gauge(mirrorMetric.healthy, s.healthy ? 1 : 0, 'last')
      return s
    } catch (err) {
      this.failures++
      this.lastError = err as Error
      return undefined
    }
  }
}
