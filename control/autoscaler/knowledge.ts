// Knowledge: what the loop has seen and done, shared by the stages. Bounded: a long run keeps the last few minutes.
//
// Per-replica capacity is learned only from saturated periods: the backlog holds at least half a period of
// arrivals and SATURATED_LAG_PER_REPLICA records per replica, and the backlog at the period's start was at least
// what the period consumed, so every replica had work the whole period (a smaller lag is batching, not a queue); the group was Stable with every replica a member through the period (a rebalance
// stops everyone: on two cores, starting ten replicas kept a group rebalancing for seconds, and one such period once
// taught a capacity of a tenth of the true one); the replica count did not change since the period before; no scale step
// happened within the last rebalance pause + 1 s (a rebalance stops consumption and would read as a slow
// consumer). The capacity is the median of the last CAPACITY_SAMPLES such readings of consumedRate / replicas, and
// is known once MIN_SAMPLES readings agree on it: one period cut by a GC pause or a warming consumer is an
// outlier, not a slower consumer.
//
// Until then the replicas' useful time stands in (DS2's true processing rate, Kalavri et al., OSDI 2018): each
// replica counts the ms from a batch's first record until it is flushed and committed, and the records of those
// batches (noteWork); records / busy seconds is what one replica does when it never waits for a fetch. It is known
// from the baseline already, before any backlog, so a policy can size the first scale step of a burst at the
// period the burst arrives. It slightly overstates a saturated replica (fetching costs time too), which is why
// saturated readings replace it once there are enough.
//
// Both are kept per replica count: replicas share the machine (here two cores, the brokers and the fleet as well),
// so one of eight does less than one alone, and a count planned for is sized by what a group of that count did
// (capacityAt), not by what the current count does. A count never seen between two seen ones reads on the line
// between them; beyond the counts seen, the nearest.
import type { ControlInput, Decision, KnowledgeView } from './types.ts'

const HISTORY = 600
const CAPACITY_SAMPLES = 10
/** Lag per replica below which a period does not count as saturated. */
const SATURATED_LAG_PER_REPLICA = 50
const MIN_SAMPLES = 2
/** A useful-time sample is taken once this much busy time (summed over replicas) and this many records add up. */
const WORK_SAMPLE_MS = 1000
const WORK_SAMPLE_RECORDS = 20

export class Knowledge implements KnowledgeView {
  readonly inputs: ControlInput[] = []
  readonly decisions: Decision[] = []
  readonly recommendations: Array<{ atMs: number, replicas: number }> = []
  /** Saturated readings per replica count. */
  readonly #capacity = new Map<number, number[]>()
  readonly #rebalances: number[] = []
  /** Useful-time readings per replica count. */
  readonly #trueRate = new Map<number, number[]>()
  #work = { records: 0, ms: 0 }
  desired: number
  lastChange: { atMs: number, direction: 1 | -1 } | undefined
  /** Changes of the replica count opposite to the one before. */
  changesOfDirection = 0
  actions = 0
  #replicaMs = 0
  #settledAt = -Infinity

  constructor (initial: number) {
    this.desired = initial
  }

  /** The capacity per replica with the replicas running now (the last period's count). */
  get capacityPerReplica (): number | undefined {
    return this.#estimateAt(this.#running())?.rate
  }

  /** Where capacityPerReplica comes from now. */
  get capacitySource (): 'saturated' | 'useful-time' | undefined {
    return this.#estimateAt(this.#running())?.source
  }

  /** Records/s one replica consumes in a group of `replicas` (see the top of this file); undefined until any is seen. */
  capacityAt (replicas: number): number | undefined {
    return this.#estimateAt(replicas)?.rate
  }

  /** Where capacityAt(replicas) comes from. */
  capacitySourceAt (replicas: number): 'saturated' | 'useful-time' | undefined {
    return this.#estimateAt(replicas)?.source
  }

  #running (): number {
    return this.inputs.at(-1)?.replicas ?? this.desired
  }

  #estimateAt (replicas: number): { rate: number, source: 'saturated' | 'useful-time' } | undefined {
    const known: Array<{ count: number, rate: number, source: 'saturated' | 'useful-time' }> = []
    for (const count of new Set([...this.#capacity.keys(), ...this.#trueRate.keys()])) {
      const saturated = median(this.#capacity.get(count) ?? [])
      const rate = saturated ?? median(this.#trueRate.get(count) ?? [])
      if (rate !== undefined) known.push({ count, rate, source: saturated !== undefined ? 'saturated' : 'useful-time' })
    }
    known.sort((a, b) => a.count - b.count)
    const above = known.findIndex(k => k.count >= replicas)
    if (above === -1) return known.at(-1) // more than any count seen: the largest
    const hi = known[above]!
    if (hi.count === replicas || above === 0) return hi
    // between two counts seen: the rate per replica on the line between them
    const lo = known[above - 1]!
    const rate = lo.rate + (hi.rate - lo.rate) * (replicas - lo.count) / (hi.count - lo.count)
    return { rate, source: lo.source === 'saturated' && hi.source === 'saturated' ? 'saturated' : 'useful-time' }
  }

  /** The replicas handled `records` in `busyMs` of useful time (summed over replicas; from their metric windows). */
  noteWork (records: number, busyMs: number): void {
    if (!(records >= 0 && busyMs >= 0)) return
    this.#work.records += records
    this.#work.ms += busyMs
    if (this.#work.ms < WORK_SAMPLE_MS || this.#work.records < WORK_SAMPLE_RECORDS) return
    keep(this.#trueRate, this.#running(), this.#work.records / (this.#work.ms / 1000))
    this.#work = { records: 0, ms: 0 }
  }

  get rebalanceMs (): number | undefined {
    if (this.#rebalances.length === 0) return undefined
    const s = [...this.#rebalances].sort((a, b) => a - b)
    return s[Math.floor(s.length / 2)]
  }

  /** Replica-seconds so far (replicas running x time). */
  get replicaSeconds (): number { return this.#replicaMs / 1000 }

  /** Learns from this period's input before the policy plans with it: a saturated period is a capacity reading. */
  learn (input: ControlInput): void {
    const previous = this.inputs[this.inputs.length - 1]
    const settled = input.atMs - this.#settledAt >= (this.rebalanceMs ?? 0) + 1000
    const periodS = previous === undefined ? 1 : (input.atMs - previous.atMs) / 1000
    // the backlog at the period's start covered all it consumed: the replicas never ran dry (a small backlog left
    // by a rebalance, consumed at the arrival rate, is no saturation)
    const hadWork = previous === undefined || previous.lag >= input.consumedRate * periodS
    if (settled && hadWork && input.groupStable !== false && input.replicas > 0 && input.lag >= SATURATED_LAG_PER_REPLICA * input.replicas && input.lag >= input.arrivalRate * periodS / 2 && input.consumedRate > 0 && input.partitionsWithLag >= input.replicas &&
      (previous === undefined || previous.replicas === input.replicas)) {
      keep(this.#capacity, input.replicas, input.consumedRate / input.replicas)
    }
  }

  /** Keeps this period's input (after the decision). */
  observe (input: ControlInput): void {
    const previous = this.inputs[this.inputs.length - 1]
    if (previous !== undefined) this.#replicaMs += previous.replicas * (input.atMs - previous.atMs)
    this.inputs.push(input)
    if (this.inputs.length > HISTORY) this.inputs.shift()
  }

  recommend (atMs: number, replicas: number): void {
    this.recommendations.push({ atMs, replicas })
    if (this.recommendations.length > HISTORY) this.recommendations.shift()
  }

  decided (d: Decision): void {
    this.decisions.push(d)
    if (this.decisions.length > HISTORY) this.decisions.shift()
    if (d.desired !== this.desired) {
      const direction = d.desired > this.desired ? 1 : -1
      if (this.lastChange !== undefined && this.lastChange.direction !== direction) this.changesOfDirection++
      this.lastChange = { atMs: d.atMs, direction }
      this.actions++
      this.desired = d.desired
    }
  }

  /** A scale step completed (the new replicas connected): capacity readings wait for the rebalance after it. */
  scaled (atMs: number): void {
    this.#settledAt = atMs
  }

  /** A rebalance paused consumption for this long (told by the sink replicas). */
  noteRebalance (ms: number): void {
    this.#rebalances.push(ms)
    if (this.#rebalances.length > CAPACITY_SAMPLES) this.#rebalances.shift()
  }
}

/** Adds a reading to its count's last CAPACITY_SAMPLES. */
function keep (samples: Map<number, number[]>, replicas: number, value: number): void {
  let xs = samples.get(replicas)
  if (xs === undefined) samples.set(replicas, xs = [])
  xs.push(value)
  if (xs.length > CAPACITY_SAMPLES) xs.shift()
}

/** The median of at least MIN_SAMPLES readings; undefined with fewer. */
function median (xs: readonly number[]): number | undefined {
  if (xs.length < MIN_SAMPLES) return undefined
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}
