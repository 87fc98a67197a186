// Consumer lag as KEDA and Burrow read it: from the group's committed offsets (admin API), never from the consumer's
// own fetches, so a consumer that stalls shows its lag growing (research/autoscaling.md, "Lag monitoring").
// Pure: readings in, a snapshot out; the clock is the readings' time.
//
// - Lag per partition = log-end offset - committed offset. No commit yet: log end - low watermark (our sinks read
//   from the beginning: KEDA's offsetResetPolicy earliest). Never negative.
// - Time lag, as kafka-lag-exporter computes it: each poll records (log-end offset, time) per partition, up to
//   `historyPoints`; the oldest record not yet consumed (offset = committed) was produced when the log end passed
//   it, a time interpolated between the two points around it; lag seconds = now - that time. A committed offset
//   older than the history's first point gets the first point's time, not an extrapolation at the oldest rate: a
//   rate from two points of a burst can put the record anywhere, the first point's time is a sure lower bound.
//   A full history drops its densest interior point, never the first: kafka-lag-exporter polls every 30 s, we poll
//   every second, and dropping the oldest of 60 points would cap a stalled group's time lag at about a minute.
// - Status per partition over the last `window` samples, worst rule first (Burrow's evaluator, adapted to an
//   admin-API view that sees offsets, not commit times):
//     OK      lag was 0 at some sample of the window;
//     REWIND  the committed offset went backwards (a reset);
//     STOP    lag > 0 and no member in the group, or the offset has not moved for longer than `stopAfterMs`
//             (counted from the last sample that moved or had no lag: a caught-up, idle consumer commits nothing);
//     STALL   lag > 0 and the offset did not move over the whole window (a consumer that is there but not working);
//     WARN    the offset moves but the lag grew over the window (the consumer falls behind);
//     OK      otherwise.
//   The group's status is its worst partition's.
// - Mirror lag (MirrorLagTracker below): per partition, edge log end - cloud log end, and whether MirrorMaker keeps up.

export const partitionStatuses = ['OK', 'WARN', 'STALL', 'STOP', 'REWIND'] as const
export type PartitionStatus = (typeof partitionStatuses)[number]
const SEVERITY: Record<PartitionStatus, number> = { OK: 0, WARN: 1, STALL: 2, STOP: 3, REWIND: 4 }

export interface PartitionReading {
  readonly topic: string
  readonly partition: number
  readonly low: number
  readonly logEnd: number
  /** The group's committed offset (the next record it reads); -1: none. */
  readonly committed: number
  /** Client id of the member that owns the partition, when the group says. */
  readonly owner?: string
}

export interface PartitionLag {
  readonly topic: string
  readonly partition: number
  readonly logEnd: number
  readonly committed: number
  readonly lag: number
  readonly lagSeconds: number
  readonly status: PartitionStatus
  readonly owner?: string
}

export interface LagSnapshot {
  readonly atMs: number
  readonly partitions: readonly PartitionLag[]
  readonly totalLag: number
  /** The largest partition time lag. */
  readonly maxLagSeconds: number
  readonly partitionsWithLag: number
  readonly status: PartitionStatus
  /** Records appended to the partitions since the previous snapshot (the arrival). */
  readonly produced: number
  /** Records the group's committed offsets advanced since the previous snapshot (the consumption). */
  readonly consumed: number
  /** Milliseconds since the previous snapshot (0 for the first). */
  readonly elapsedMs: number
  readonly members: number
  /** The group coordinator's state: 'Stable' once a rebalance is over ('PreparingRebalance', 'CompletingRebalance', 'Empty', ...). */
  readonly groupState: string
}

export interface LagTrackerOptions {
  /** Samples of the status window. Default 10 (Burrow's). */
  readonly window?: number
  /** (log end, time) points kept per partition for time lag. Default 60 (kafka-lag-exporter's). */
  readonly historyPoints?: number
  /** An offset that has not moved for this long with lag is STOP. Default 30 s. */
  readonly stopAfterMs?: number
}

interface History {
  ends: Array<{ offset: number, atMs: number }>
  samples: Array<{ committed: number, lag: number }>
  lastMoveMs: number
  lastCommitted: number
  lastEnd: number
}

export class LagTracker {
  readonly #window: number
  readonly #points: number
  readonly #stopAfterMs: number
  readonly #history = new Map<string, History>()
  #lastMs: number | undefined

  constructor (o: LagTrackerOptions = {}) {
    this.#window = o.window ?? 10
    this.#points = o.historyPoints ?? 60
    this.#stopAfterMs = o.stopAfterMs ?? 30_000
    // a window of one sample cannot tell movement; a history needs its first, newest and one point to drop
    if (!(this.#window >= 2)) throw new RangeError(`lag window must be at least 2 samples, got ${this.#window}`)
    if (!(this.#points >= 3)) throw new RangeError(`lag history must keep at least 3 points, got ${this.#points}`)
  }

  observe (readings: readonly PartitionReading[], atMs: number, members: number, groupState = 'Stable'): LagSnapshot {
    let produced = 0
    let consumed = 0
    const partitions = readings.map((r): PartitionLag => {
      const key = `${r.topic}\0${r.partition}`
      const committed = r.committed >= 0 ? r.committed : r.low
      let h = this.#history.get(key)
      if (h === undefined) {
        h = { ends: [], samples: [], lastMoveMs: atMs, lastCommitted: committed, lastEnd: r.logEnd }
        this.#history.set(key, h)
      } else {
        produced += Math.max(0, r.logEnd - h.lastEnd)
        consumed += Math.max(0, committed - h.lastCommitted)
      }
      const lag = Math.max(0, r.logEnd - committed)
      if (committed !== h.lastCommitted || lag === 0) h.lastMoveMs = atMs
      // a log end that did not move keeps two points, when it was first and last seen there: a record appended after
      // an idle stretch was produced after the last one, not somewhere along the stretch
      const n = h.ends.length
      if (n >= 2 && h.ends[n - 1]!.offset === r.logEnd && h.ends[n - 2]!.offset === r.logEnd) h.ends[n - 1]!.atMs = atMs
      else {
        h.ends.push({ offset: r.logEnd, atMs })
        if (h.ends.length > this.#points) thin(h.ends)
      }
      h.samples.push({ committed, lag })
      if (h.samples.length > this.#window) h.samples.shift()
      const status = this.#status(h, lag, atMs, members)
      h.lastCommitted = committed
      h.lastEnd = r.logEnd
      const p: PartitionLag = { topic: r.topic, partition: r.partition, logEnd: r.logEnd, committed: r.committed, lag, lagSeconds: lag === 0 ? 0 : timeLag(h.ends, committed, atMs), status }
      return r.owner === undefined ? p : { ...p, owner: r.owner }
    })
    const elapsedMs = this.#lastMs === undefined ? 0 : atMs - this.#lastMs
    this.#lastMs = atMs
    let status: PartitionStatus = 'OK'
    for (const p of partitions) if (SEVERITY[p.status] > SEVERITY[status]) status = p.status
    return {
      atMs,
      partitions,
      totalLag: partitions.reduce((s, p) => s + p.lag, 0),
      maxLagSeconds: partitions.reduce((m, p) => Math.max(m, p.lagSeconds), 0),
      partitionsWithLag: partitions.filter(p => p.lag > 0).length,
      status,
      produced,
      consumed,
      elapsedMs,
      members,
      groupState,
    }
  }

  #status (h: History, lag: number, atMs: number, members: number): PartitionStatus {
    const s = h.samples
    if (s.some(x => x.lag === 0)) return 'OK'
    for (let i = 1; i < s.length; i++) if (s[i]!.committed < s[i - 1]!.committed) return 'REWIND'
    if (lag > 0 && (members === 0 || atMs - h.lastMoveMs > this.#stopAfterMs)) return 'STOP'
    if (s.length < this.#window) return 'OK'
    if (s[0]!.committed === s[s.length - 1]!.committed) return 'STALL'
    if (s[s.length - 1]!.lag > s[0]!.lag) return 'WARN'
    return 'OK'
  }
}

/**
 * Drops the interior point whose neighbours are closest in time (where the history is densest), so the first point
 * and the newest stay and the interpolation error grows least.
 */
function thin (ends: Array<{ offset: number, atMs: number }>): void {
  let drop = 1
  for (let i = 2; i < ends.length - 1; i++) {
    if (ends[i + 1]!.atMs - ends[i - 1]!.atMs < ends[drop + 1]!.atMs - ends[drop - 1]!.atMs) drop = i
  }
  ends.splice(drop, 1)
}

/**
 * Seconds since the record at `committed` was produced: the time the log end passed committed + 1, interpolated
 * between the (offset, time) points around it; before the first point, the first point's time (a lower bound).
 */
export function timeLag (ends: ReadonlyArray<{ offset: number, atMs: number }>, committed: number, nowMs: number): number {
  const target = committed + 1
  if (ends.length === 0) return 0
  const last = ends[ends.length - 1]!
  if (target > last.offset) return 0
  const first = ends[0]!
  if (target <= first.offset) return Math.max(0, (nowMs - first.atMs) / 1000)
  for (let i = 1; i < ends.length; i++) {
    const a = ends[i - 1]!
    const b = ends[i]!
    if (target <= b.offset) {
      const t = a.atMs + (target - a.offset) / (b.offset - a.offset) * (b.atMs - a.atMs)
      return Math.max(0, (nowMs - t) / 1000)
    }
  }
  return 0
}

// Mirror lag: MirrorMaker 2 with IdentityReplicationPolicy (platform/mirror/mirror.ts) copies edge partition p of a
// topic to cloud partition p of the same name, so the records not yet in the cloud are edge end - cloud end (a
// missing cloud topic has end 0). It assumes only MirrorMaker writes the cloud topic and the edge log was not
// truncated before it was copied, true of a lab run's fresh topics; the difference is clamped at 0.
//
// Health, per partition, unhealthy after `unhealthyAfterMs` (default 30 s) of either:
//   stalled         lag > 0 and the cloud end has not moved (a dead task, a lost connection, a topic not yet found);
//   falling-behind  the lag grew at every reading while the edge grew (copying slower than arrival).
// A reading with lag 0, a lag no larger than the previous one, or no new edge records is headway and restarts the
// clock: a mirror that keeps pace at a steady in-flight lag is healthy. The mirror is healthy when every partition is.

export interface MirrorReading {
  readonly topic: string
  readonly partition: number
  readonly edgeEnd: number
  /** 0 when the cloud has no such partition yet. */
  readonly cloudEnd: number
}

export type MirrorProblem = 'stalled' | 'falling-behind'

export interface MirrorPartitionLag extends MirrorReading {
  readonly lag: number
  /** Why the partition is unhealthy; absent when it is not. */
  readonly problem?: MirrorProblem
}

export interface MirrorSnapshot {
  readonly atMs: number
  readonly partitions: readonly MirrorPartitionLag[]
  readonly totalLag: number
  readonly healthy: boolean
}

export interface MirrorHealthOptions {
  /** Default 30000 ms. */
  readonly unhealthyAfterMs?: number
}

interface MirrorHistory { lag: number, edgeEnd: number, cloudEnd: number, headwayMs: number, cloudMovedMs: number }

export class MirrorLagTracker {
  readonly #afterMs: number
  readonly #history = new Map<string, MirrorHistory>()

  constructor (o: MirrorHealthOptions = {}) {
    this.#afterMs = o.unhealthyAfterMs ?? 30_000
  }

  observe (readings: readonly MirrorReading[], atMs: number): MirrorSnapshot {
    const partitions = readings.map((r): MirrorPartitionLag => {
      const key = `${r.topic}\0${r.partition}`
      const lag = Math.max(0, r.edgeEnd - r.cloudEnd)
      const h = this.#history.get(key) ?? { lag, edgeEnd: r.edgeEnd, cloudEnd: r.cloudEnd, headwayMs: atMs, cloudMovedMs: atMs }
      if (lag === 0 || lag <= h.lag || r.edgeEnd <= h.edgeEnd) h.headwayMs = atMs
      if (lag === 0 || r.cloudEnd !== h.cloudEnd) h.cloudMovedMs = atMs
      h.lag = lag
      h.edgeEnd = r.edgeEnd
      h.cloudEnd = r.cloudEnd
      this.#history.set(key, h)
      const problem: MirrorProblem | undefined = atMs - h.cloudMovedMs > this.#afterMs
        ? 'stalled'
        : atMs - h.headwayMs > this.#afterMs ? 'falling-behind' : undefined
      return problem === undefined ? { ...r, lag } : { ...r, lag, problem }
    })
    return {
      atMs,
      partitions,
      totalLag: partitions.reduce((s, p) => s + p.lag, 0),
      healthy: partitions.every(p => p.problem === undefined),
    }
  }
}
