// A fixed-size log-linear histogram in the manner of HDR histograms (DESIGN.md: percentiles from mergeable
// histograms, not averages): values in microseconds, exact below 128 µs, then 64 sub-buckets per power of two
// (relative error under 1.6 %) up to 2^31 µs (about 36 minutes; larger values land in the last bucket).
// Merging is adding counts, so per-window or per-process histograms combine exactly.
// (The metrics stream will own one of these; the simulator keeps its own until it lands.)

const LINEAR = 128
const SUB = 64
const MAX_SHIFT = 24 // exponents 7..30
const SIZE = LINEAR + MAX_SHIFT * SUB

function indexOf (us: number): number {
  if (us < LINEAR) return us < 0 ? 0 : us
  if (us >= 2 ** 31) return SIZE - 1
  const shift = 31 - Math.clz32(us) - 6
  return shift * SUB + (us >>> shift)
}

/** Smallest and largest microsecond values of bucket i. */
function bounds (i: number): [number, number] {
  if (i < LINEAR) return [i, i]
  const shift = Math.floor(i / SUB) - 1
  const s = i - shift * SUB
  return [s * 2 ** shift, (s + 1) * 2 ** shift - 1]
}

export class Histogram {
  readonly counts = new Float64Array(SIZE)
  count = 0
  sum = 0
  min = Infinity
  max = -Infinity

  /** Records a value in milliseconds (negative values count as 0). */
  record (ms: number): void {
    const v = ms < 0 ? 0 : ms
    this.counts[indexOf(Math.round(v * 1000))]!++
    this.count++
    this.sum += v
    if (v < this.min) this.min = v
    if (v > this.max) this.max = v
  }

  merge (other: Histogram): this {
    for (let i = 0; i < SIZE; i++) this.counts[i]! += other.counts[i]!
    this.count += other.count
    this.sum += other.sum
    if (other.min < this.min) this.min = other.min
    if (other.max > this.max) this.max = other.max
    return this
  }

  reset (): void {
    this.counts.fill(0)
    this.count = 0
    this.sum = 0
    this.min = Infinity
    this.max = -Infinity
  }

  /** The p-th percentile (nearest rank) in milliseconds, NaN when empty; exact below 0.128 ms, within 1.6 % above. */
  percentile (p: number): number {
    if (this.count === 0) return Number.NaN
    const rank = Math.max(1, Math.ceil((p / 100) * this.count))
    let seen = 0
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i]!
      if (seen >= rank) {
        if (rank === this.count || i === SIZE - 1) return this.max
        const [lo, hi] = bounds(i)
        const mid = (lo + hi) / 2000
        // the true extremes are known exactly
        return Math.min(Math.max(mid, this.min), this.max)
      }
    }
    return this.max
  }

  mean (): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count
  }
}
