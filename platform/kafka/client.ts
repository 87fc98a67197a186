// The Kafka client port: the rest of the code talks to Kafka only through these interfaces, so the
// client library can be swapped (KafkaJS first; a later issue measures @platformatic/kafka against it).

export interface OutgoingRecord {
  key?: string | Buffer | null
  value: string | Buffer | null
  headers?: Record<string, string | Buffer>
  partition?: number
}

export interface IncomingRecord {
  topic: string
  partition: number
  offset: string
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, Buffer | undefined>
  /** Record timestamp (epoch ms) as stored by the broker. */
  timestamp: number
}

export interface KafkaProducer {
  send (topic: string, records: OutgoingRecord[]): Promise<void>
  close (): Promise<void>
}

export interface ConsumeOptions {
  groupId: string
  /** Topic names or patterns. */
  topics: Array<string | RegExp>
  fromBeginning?: boolean
  /**
   * Named topics that do not exist yet (a mirrored topic before MirrorMaker creates it) are waited for
   * this long before subscribing. Default 30000 ms.
   */
  waitForTopicsMs?: number
  /**
   * Called with every record, one at a time and in offset order per partition. While the promise it returns is
   * pending, that partition's consumption waits (backpressure: a full write buffer pauses the consumer).
   */
  onRecord (record: IncomingRecord): Promise<void> | void
  /**
   * Optional: called after each fetched batch of a partition has been handed to onRecord, and every second within
   * a batch that takes longer (a slow sink works through thousands of records of a backlog), with the partition's
   * high watermark as the broker reported it with the batch and the records still behind it (consumer lag).
   * Batches come only when records do: an idle, caught-up partition reports nothing new (its lag stays 0).
   * The records handed over so far are resolved and committed only once the promise it returns has resolved: a sink
   * flushes its store here, so nothing is committed before it is written (at-least-once), and a long batch's
   * progress shows in the group's committed offsets (the lag the monitors and the autoscaler read) as it goes,
   * not only at its end. A rejection leaves the records since the last one uncommitted; the client fetches them again.
   */
  onBatchEnd? (position: PartitionPosition): Promise<void> | void
  /** Told about the consumer's group membership: rebalances (with how long consumption paused), crashes. */
  onGroupEvent? (event: GroupEvent): void
  /**
   * How long the group coordinator waits for a member's heartbeat before it gives the member's partitions to the
   * others (a replica killed without leaving). Default 10000 ms; the broker's minimum is 6000 ms.
   */
  sessionTimeoutMs?: number
}

export type GroupEvent =
  /** The member was told to rejoin (another member joined or left): it stops fetching until it has joined again. */
  | { type: 'rebalancing', atMs: number }
  /** Joined (again): the partitions it owns now; rejoined is true after a 'rebalancing' (false on the first join). */
  | { type: 'joined', atMs: number, partitions: number, rejoined: boolean, memberId: string }
  /**
   * Fetching again after a rejoin: pauseMs from 'rebalancing' (the member stopped handing over records) to the end
   * of its first fetch after the join (offsets fetched, records in hand or none waiting); joinMs of it was the
   * JoinGroup and SyncGroup round, the rest the offset fetch and the fetch.
   */
  | { type: 'resumed', atMs: number, pauseMs: number, joinMs: number, partitions: number }
  /** The client gave up on an error (it restarts itself when the error is retriable). */
  | { type: 'crash', atMs: number, error: string, restart: boolean }

export interface PartitionPosition {
  topic: string
  partition: number
  /** Offset the next record written to the partition will get, when the batch was fetched. */
  highWatermark: number
  /** Records at or after the next offset to consume and before the high watermark. */
  lag: number
}

export interface KafkaConsumer {
  close (): Promise<void>
}

/** A consumer group as its coordinator describes it (DescribeGroups). */
export interface GroupDescription {
  /** 'Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty' (no members), 'Dead' (unknown group). */
  state: string
  members: GroupMember[]
}

export interface GroupMember {
  memberId: string
  clientId: string
  host: string
  /** Empty while the group rebalances (the leader has not handed out the assignment yet). */
  assignments: Array<{ topic: string, partitions: number[] }>
}

export interface ClusterDescription {
  clusterId: string
  controller: number | null
  brokers: Array<{ nodeId: number, host: string, port: number }>
}

export interface TopicSpec {
  name: string
  partitions?: number
}

export interface KafkaClient {
  readonly bootstrap: readonly string[]
  /** Asks the cluster for its metadata; throws KafkaError when no broker answers. */
  describeCluster (): Promise<ClusterDescription>
  listTopics (): Promise<string[]>
  /** Creates the topics that do not exist yet and waits for their leaders. */
  createTopics (topics: TopicSpec[]): Promise<void>
  /** Low and high watermark per partition; an unknown topic gives []. */
  topicOffsets (topic: string): Promise<Array<{ partition: number, low: number, high: number }>>
  /**
   * The group's committed offset per partition of `topics` (the next offset it will read), from the admin API:
   * what KEDA and Burrow read, so a stalled consumer shows growing lag. -1: the group never committed there.
   */
  groupOffsets (groupId: string, topics: readonly string[]): Promise<Array<{ topic: string, partition: number, offset: number }>>
  /** The group's state and members (empty when it has none: every replica left), with the partitions each owns. */
  describeGroup (groupId: string): Promise<GroupDescription>
  producer (options?: { acks?: -1 | 0 | 1 }): Promise<KafkaProducer>
  consume (options: ConsumeOptions): Promise<KafkaConsumer>
  /** Closes every producer, consumer and admin connection this client opened. */
  close (): Promise<void>
}

export interface KafkaClientOptions {
  bootstrap: readonly string[]
  clientId?: string
  /** Connection timeout per broker attempt; health checks use a short one. Default 3000 ms. */
  connectionTimeoutMs?: number
  /** Retries of the client library for one request. Default 5. */
  retries?: number
}
