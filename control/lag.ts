// Consumer lag as KEDA and Burrow read it: from the group's committed offsets (admin API), never from the consumer's
// own fetches, so a consumer that stalls shows its lag growing (research/autoscaling.md, "Lag monitoring").
// Pure: readings in, a snapshot out; the clock is the readings' time.
//
// - Lag per partition = log-end offset - committed offset. No commit yet: log end - low watermark (our sinks read
//   from the beginning: KEDA's offsetResetPolicy earliest). Never negative.
// - Time lag, as kafka-lag-exporter computes it: each poll records (log-end offset, time) per partition, up to
//   `historyPoints`; the oldest record not yet consumed (offset = committed) was produced when the log end passed
//   it, a time interpolated between the two points around it; lag seconds = now - that time. A committed offset
//   older than the history's first point gets the first point's time: a lower bound, said as such.
// - Status per partition over the last `window` samples, worst rule first (Burrow's evaluator, adapted to an
//   admin-API view that sees offsets, not commit times):
//     OK      lag was 0 at some sample of the window;
//     REWIND  the committed offset went backwards (a reset);
//     STOP    lag > 0 and no member in the group, or the offset has not moved for longer than `stopAfterMs`;
//     STALL   lag > 0 and the offset did not move over the whole window (a consumer that is there but not working);
//     WARN    the offset moves but the lag grew over the window (the consumer falls behind);
//     OK      otherwise.
//   The group's status is its worst partition's.

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
}

export interface PartitionLag {
  readonly topic: string
  readonly partition: number
  readonly logEnd: number
  readonly committed: number
  readonly lag: number
  readonly lagSeconds: number
  readonly status: PartitionStatus
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
      if (committed !== h.lastCommitted) h.lastMoveMs = atMs
      const lag = Math.max(0, r.logEnd - committed)
      if (h.ends.length === 0 || h.ends[h.ends.length - 1]!.offset !== r.logEnd) h.ends.push({ offset: r.logEnd, atMs })
      if (h.ends.length > this.#points) h.ends.shift()
      h.samples.push({ committed, lag })
      if (h.samples.length > this.#window) h.samples.shift()
      const status = this.#status(h, lag, atMs, members)
      h.lastCommitted = committed
      h.lastEnd = r.logEnd
      return { topic: r.topic, partition: r.partition, logEnd: r.logEnd, committed: r.committed, lag, lagSeconds: lag === 0 ? 0 : timeLag(h.ends, committed, atMs), status }
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
