import { AssignerProtocol, Kafka, logLevel, Partitioners } from 'kafkajs'
import type { Admin, Consumer, EachBatchPayload, KafkaMessage, Producer } from 'kafkajs'
import { KafkaError } from '../../lib/errors.ts'
import { sleep } from '../../lib/time.ts'
import type {
  ClusterDescription, ConsumeOptions, GroupDescription, GroupEvent, IncomingRecord, KafkaClient, KafkaClientOptions, KafkaConsumer, KafkaProducer,
  OutgoingRecord, PartitionPosition, TopicSpec,
} from './client.ts'

/** KafkaJS behind the client port. KafkaJS's own logging is off unless FLEETLAB_KAFKA_LOG=1. */
export class KafkaJsClient implements KafkaClient {
  readonly bootstrap: readonly string[]
  readonly #kafka: Kafka
  #admin: Admin | undefined
  readonly #open = new Set<{ disconnect (): Promise<void> }>()

  constructor (options: KafkaClientOptions) {
    this.bootstrap = options.bootstrap
    this.#kafka = new Kafka({
      clientId: options.clientId ?? 'fleetlab',
      brokers: [...options.bootstrap],
      connectionTimeout: options.connectionTimeoutMs ?? 3000,
      retry: { retries: options.retries ?? 5, initialRetryTime: 100, maxRetryTime: 2000 },
      logLevel: process.env.FLEETLAB_KAFKA_LOG === '1' ? logLevel.INFO : logLevel.NOTHING,
    })
  }

  async describeCluster (): Promise<ClusterDescription> {
    const admin = await this.#adminClient()
    const cluster = await wrap('describe cluster', () => admin.describeCluster())
    return { clusterId: cluster.clusterId, controller: cluster.controller, brokers: cluster.brokers }
  }

  async listTopics (): Promise<string[]> {
    const admin = await this.#adminClient()
    return wrap('list topics', () => admin.listTopics())
  }

  async createTopics (topics: TopicSpec[]): Promise<void> {
    const admin = await this.#adminClient()
    const existing = new Set(await this.listTopics())
    const missing = topics.filter(t => !existing.has(t.name))
    if (missing.length === 0) return
    // Not KafkaJS's waitForLeaders: it retries only LEADER_NOT_AVAILABLE, but a KRaft broker answers
    // UNKNOWN_TOPIC_OR_PARTITION until its metadata cache has caught up with the controller (KAFKA-15780), and on a
    // busy machine that made createTopics fail for topics it had just created.
    await wrap('create topics', () => admin.createTopics({
      waitForLeaders: false,
      topics: missing.map(t => ({ topic: t.name, numPartitions: t.partitions ?? 1 })),
    }))
    await this.#waitForLeaders(missing.map(t => t.name), 30_000)
  }

  async topicOffsets (topic: string): Promise<Array<{ partition: number, low: number, high: number }>> {
    const admin = await this.#adminClient()
    // A broker that just started, or a topic just created, answers NOT_LEADER / LEADER_NOT_AVAILABLE for a moment
    // (its metadata is catching up); KafkaJS's admin does not retry those for fetchTopicOffsets.
    for (let attempt = 0; ; attempt++) {
      try {
        const offsets = await admin.fetchTopicOffsets(topic)
        return offsets.map(o => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
      } catch (err) {
        // KafkaJS's admin retries an unknown topic, then throws KafkaJSNumberOfRetriesExceeded with the answer as `cause`
        const e = err as { type?: string, originalError?: { type?: string }, cause?: { type?: string } }
        const type = e.type ?? e.originalError?.type ?? e.cause?.type
        if (type === 'UNKNOWN_TOPIC_OR_PARTITION') return []
        if ((type === 'NOT_LEADER_FOR_PARTITION' || type === 'LEADER_NOT_AVAILABLE') && attempt < 10) {
          await sleep(100 * (attempt + 1))
          continue
        }
        throw new KafkaError(`offsets of ${topic} failed: ${(err as Error).message}`, { cause: err })
      }
    }
  }

  async groupOffsets (groupId: string, topics: readonly string[]): Promise<Array<{ topic: string, partition: number, offset: number }>> {
    if (topics.length === 0) return []
    const admin = await this.#adminClient()
    const result = await wrap(`committed offsets of group ${groupId}`, () => admin.fetchOffsets({ groupId, topics: [...topics] }))
    return result.flatMap(t => t.partitions.map(p => ({ topic: t.topic, partition: p.partition, offset: Number(p.offset) })))
  }

  async describeGroup (groupId: string): Promise<GroupDescription> {
    const admin = await this.#adminClient()
    const { groups } = await wrap(`describe group ${groupId}`, () => admin.describeGroups([groupId]))
    const g = groups[0]
    return {
      state: g?.state ?? 'Dead',
      members: (g?.members ?? []).map(m => ({ memberId: m.memberId, clientId: m.clientId, host: m.clientHost, assignments: decodeAssignment(m.memberAssignment) })),
    }
  }

  async producer (options: { acks?: -1 | 0 | 1 } = {}): Promise<KafkaProducer> {
    const producer: Producer = this.#kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true })
    await wrap('connect producer', () => producer.connect())
    this.#open.add(producer)
    const acks = options.acks ?? -1
    return {
      send: async (topic: string, records: OutgoingRecord[]) => {
        await wrap(`produce to ${topic}`, () => producer.send({ topic, acks, messages: records }))
      },
      close: async () => {
        this.#open.delete(producer)
        await producer.disconnect()
      },
    }
  }

  async consume (options: ConsumeOptions): Promise<KafkaConsumer> {
    await this.#waitForTopics(options.topics.filter((t): t is string => typeof t === 'string'), options.waitForTopicsMs ?? 30_000)
    // KafkaJS has only eager assignors (RoundRobin): every membership change is a stop-the-world rebalance (no
    // KIP-429 cooperative-sticky), so the consumer tells how long each one paused it (onGroupEvent 'resumed').
    const sessionTimeout = options.sessionTimeoutMs ?? 10_000
    const consumer: Consumer = this.#kafka.consumer({
      groupId: options.groupId, maxWaitTimeInMs: 100, sessionTimeout, heartbeatInterval: Math.max(500, Math.floor(sessionTimeout / 10)),
    })
    if (options.onGroupEvent !== undefined) watchGroup(consumer, options.onGroupEvent)
    await wrap('connect consumer', () => consumer.connect())
    this.#open.add(consumer)
    await wrap('subscribe', () => consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning ?? false }))
    if (options.onBatchEnd !== undefined) {
      await consumer.run({ eachBatchAutoResolve: false, eachBatch: payload => eachBatch(payload, options) })
    } else {
      await consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          await options.onRecord(incoming(topic, partition, message))
        },
      })
    }
    return {
      close: async () => {
        this.#open.delete(consumer)
        await consumer.disconnect()
      },
    }
  }

  async close (): Promise<void> {
    const all = [...this.#open]
    this.#open.clear()
    await Promise.allSettled(all.map(c => c.disconnect()))
    this.#admin = undefined
  }

  async #waitForTopics (names: string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const existing = new Set(await this.listTopics())
      const missing = names.filter(n => !existing.has(n))
      if (missing.length === 0) return
      if (Date.now() > deadline) throw new KafkaError(`topics do not exist after ${timeoutMs} ms: ${missing.join(', ')}`)
      await sleep(200)
    }
  }

  /** Until every partition of `names` has a leader in the metadata a broker answers with. */
  async #waitForLeaders (names: string[], timeoutMs: number): Promise<void> {
    const admin = await this.#adminClient()
    const deadline = Date.now() + timeoutMs
    for (;;) {
      let waiting: string
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: names })
        const leaderless = topics.filter(t => t.partitions.length === 0 || t.partitions.some(p => p.leader < 0)).map(t => t.name)
        if (leaderless.length === 0) return
        waiting = `no leader yet for ${leaderless.join(', ')}`
      } catch (err) {
        const type = (err as { type?: string }).type
        if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') throw new KafkaError(`waiting for topic leaders failed: ${(err as Error).message}`, { cause: err })
        waiting = (err as Error).message
      }
      if (Date.now() > deadline) throw new KafkaError(`topics created, but after ${timeoutMs} ms: ${waiting} (${names.join(', ')})`)
      await sleep(100)
    }
  }

  async #adminClient (): Promise<Admin> {
    if (this.#admin === undefined) {
      const admin = this.#kafka.admin()
      await wrap('connect admin', () => admin.connect())
      this.#admin = admin
      this.#open.add(admin)
    }
    return this.#admin
  }
}

/**
 * A member's partitions from its assignment bytes (the consumer protocol's MemberAssignment: version, topics, user data).
 * Empty bytes (a rebalance in progress) or another protocol type (a Connect worker's group) read as no partitions.
 */
function decodeAssignment (bytes: Buffer): Array<{ topic: string, partitions: number[] }> {
  if (bytes.length === 0) return []
  let decoded: ReturnType<typeof AssignerProtocol.MemberAssignment.decode>
  try { decoded = AssignerProtocol.MemberAssignment.decode(bytes) } catch { return [] }
  return Object.entries(decoded?.assignment ?? {}).map(([topic, partitions]) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) }))
}

function incoming (topic: string, partition: number, message: KafkaMessage): IncomingRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers: normaliseHeaders(message.headers),
    timestamp: Number(message.timestamp),
  }
}

/** Heartbeat at least every this many records of a long batch (KafkaJS throttles the real heartbeats itself). */
const HEARTBEAT_EVERY = 1000
/** ... and at least this often while a slow onRecord (a sink's processing cost) works through one batch. */
const HEARTBEAT_MS = 1000
/** A batch that takes longer is flushed (onBatchEnd) and committed this often as it goes. */
const CHECKPOINT_MS = 1000

/**
 * Batch-wise consumption, for callers that want the lag or a flush per batch (onBatchEnd). Offsets are resolved
 * only after onBatchEnd's promise resolved, up to the last record onRecord has seen: a consumer stopped or
 * rebalanced in the middle of a batch commits only what was handed over and flushed (KafkaJS issue 18). A long
 * batch is checkpointed every CHECKPOINT_MS: flushed, resolved and committed so far.
 */
async function eachBatch (payload: EachBatchPayload, options: ConsumeOptions): Promise<void> {
  const { batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary } = payload
  const { topic, partition } = batch
  const highWatermark = Number(batch.highWatermark)
  let next = Number(batch.firstOffset() ?? 0)
  let last: string | undefined
  let n = 0
  let beat = Date.now()
  let checkpoint = beat
  const position = (): PartitionPosition => ({ topic, partition, highWatermark, lag: Math.max(0, highWatermark - next) })
  try {
    // KafkaJS hands a fetch's batches (one per partition) to eachBatch one after the other and rejoins a rebalancing
    // group only once all of them are done, even after one failed: a slow sink with eight partitions of backlog kept
    // the whole group waiting 6 s. A heartbeat that finds the group rebalancing throws here, before any work
    // (KafkaJS sends it again after a failed one), so the queued batches end at once and the member rejoins.
    await heartbeat()
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break
      await options.onRecord(incoming(topic, partition, message))
      last = message.offset
      next = Number(message.offset) + 1
      const now = Date.now()
      if (now - checkpoint >= CHECKPOINT_MS) {
        checkpoint = now
        await options.onBatchEnd?.(position())
        resolveOffset(last)
        await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: String(next) }] }] })
      }
      // a heartbeat that finds the group rebalancing throws: the records handled so far are still flushed below
      if (++n % HEARTBEAT_EVERY === 0 || now - beat >= HEARTBEAT_MS) { beat = now; await heartbeat() }
    }
  } finally {
    await options.onBatchEnd?.(position())
  }
  if (last !== undefined) resolveOffset(last)
}

/**
 * Rebalances and crashes of one consumer, from KafkaJS's instrumentation events. KafkaJS emits REBALANCING once its
 * fetch loop has stopped on the coordinator's "rebalance in progress" (every batch in hand ended), GROUP_JOIN after
 * the SyncGroup, and FETCH after each fetch: the pause told is REBALANCING to the first FETCH after the join, the
 * whole time this member handed over no records. (The join alone was a few ms to a second here; the offset fetch
 * and the first fetch after it are part of the pause too.)
 */
function watchGroup (consumer: Consumer, tell: (e: GroupEvent) => void): void {
  let since: number | undefined
  let joined: { atMs: number, since: number, partitions: number } | undefined
  consumer.on(consumer.events.REBALANCING, () => {
    since ??= Date.now()
    tell({ type: 'rebalancing', atMs: since })
  })
  consumer.on(consumer.events.GROUP_JOIN, e => {
    const now = Date.now()
    const assigned = Object.values(e.payload.memberAssignment).reduce((n, parts) => n + parts.length, 0)
    tell({ type: 'joined', atMs: now, partitions: assigned, rejoined: since !== undefined, memberId: e.payload.memberId })
    joined = since === undefined ? undefined : { atMs: now, since, partitions: assigned }
    since = undefined
  })
  consumer.on(consumer.events.FETCH, () => {
    if (joined === undefined) return
    const now = Date.now()
    tell({ type: 'resumed', atMs: now, pauseMs: now - joined.since, joinMs: joined.atMs - joined.since, partitions: joined.partitions })
    joined = undefined
  })
  consumer.on(consumer.events.CRASH, e => {
    tell({ type: 'crash', atMs: Date.now(), error: e.payload.error.message, restart: e.payload.restart })
  })
}

function normaliseHeaders (headers: Record<string, unknown> | undefined): Record<string, Buffer | undefined> {
  const out: Record<string, Buffer | undefined> = {}
  for (const [k, v] of Object.entries(headers ?? {})) {
    out[k] = Buffer.isBuffer(v) ? v : typeof v === 'string' ? Buffer.from(v) : undefined
  }
  return out
}

async function wrap<T> (what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw new KafkaError(`${what} failed: ${(err as Error).message}`, { cause: err })
  }
}
