// Latency histogram for the metric stream (house rule 4, docs/architecture.md; docs/architecture.md, measurement rules: percentiles come from
// HDR histograms merged per window). Backed by hdr-histogram-js (pure JS, WebAssembly off).
//
// Values are recorded in milliseconds and stored as integer microseconds, so the finest resolution is 1 µs.
// Accuracy: with d significant digits, a percentile is reported within a relative error of 10^-d of the true
// sample value (HDR guarantee: every bucket is narrower than value / 10^d), plus the 0.5 µs rounding to integer
// microseconds. min, max, mean and count are exact (tracked beside the buckets), and percentiles are clamped
// to [min, max] so p0 and p100 are exact too.
// Merging adds bucket counts, so merge(a, b) is the histogram of the concatenated data, bit for bit, provided
// both sides share one configuration (merging different configurations throws rather than approximate).
// Out-of-range values are clamped into [0, highestMs] and counted in `clamped` (a negative latency means
// clock skew, one above an hour a broken run; neither should crash the recorder in its hot path).

import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, JsHistogram } from 'hdr-histogram-js'
import type { Histogram as HdrHistogram } from 'hdr-histogram-js'

const US_PER_MS = 1000
// 64-bit (float) counts: exact up to 2^53 per bucket, so whole-run merges never wrap.
const BIT_BUCKET_SIZE = 64

export type SignificantDigits = 1 | 2 | 3 | 4 | 5

export interface HistogramOptions {
  /** Significant decimal digits kept (1..5); default 3 (0.1 % relative error). */
  significantDigits?: SignificantDigits
  /** Smallest value told apart from 0, in ms; default 0.001 (1 µs). */
  lowestMs?: number
  /** Largest value tracked, in ms; default 3_600_000 (1 h). Larger values are clamped and counted. */
  highestMs?: number
}

interface HistogramConfig {
  significantDigits: SignificantDigits
  lowestUs: number
  highestUs: number
}

/** Plain, JSON-able form sent over IPC. `buckets` is the HdrHistogram V2 compressed encoding, base64. */
export interface HistogramJSON {
  v: 1
  digits: SignificantDigits
  lowestUs: number
  highestUs: number
  count: number
  /** Exact sum, min and max of the recorded (rounded, clamped) values, in µs; min/max are null when empty. */
  sumUs: number
  minUs: number | null
  maxUs: number | null
  clamped: number
  buckets: string
}

function resolveConfig (options: HistogramOptions): HistogramConfig {
  const significantDigits = options.significantDigits ?? 3
  const lowestUs = Math.max(1, Math.round((options.lowestMs ?? 0.001) * US_PER_MS))
  const highestUs = Math.round((options.highestMs ?? 3_600_000) * US_PER_MS)
  if (![1, 2, 3, 4, 5].includes(significantDigits)) throw new RangeError(`significantDigits must be 1..5, got ${significantDigits}`)
  if (!Number.isSafeInteger(highestUs) || highestUs < 2 * lowestUs) {
    throw new RangeError(`highestMs must be at least twice lowestMs (got lowestMs=${options.lowestMs}, highestMs=${options.highestMs})`)
  }
  return { significantDigits, lowestUs, highestUs }
}

function buildHdr (config: HistogramConfig): HdrHistogram {
  return build({
    lowestDiscernibleValue: config.lowestUs,
    highestTrackableValue: config.highestUs,
    numberOfSignificantValueDigits: config.significantDigits,
    bitBucketSize: BIT_BUCKET_SIZE,
    autoResize: false,
    useWebAssembly: false,
  })
}

export class LatencyHistogram {
  readonly #config: HistogramConfig
  #hdr: HdrHistogram
  #count = 0
  #sumUs = 0
  #minUs = Infinity
  #maxUs = -Infinity
  #clamped = 0

  constructor (options: HistogramOptions = {}) {
    this.#config = resolveConfig(options)
    this.#hdr = buildHdr(this.#config)
  }

  get significantDigits (): SignificantDigits { return this.#config.significantDigits }
  get count (): number { return this.#count }
  /** Values that fell outside [0, highestMs] and were recorded at the nearest bound. */
  get clamped (): number { return this.#clamped }
  get min (): number { return this.#count === 0 ? Number.NaN : this.#minUs / US_PER_MS }
  get max (): number { return this.#count === 0 ? Number.NaN : this.#maxUs / US_PER_MS }
  get mean (): number { return this.#count === 0 ? Number.NaN : this.#sumUs / this.#count / US_PER_MS }

  /** Records `count` occurrences of a value in milliseconds. */
  record (ms: number, count = 1): void {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`)
    if (Number.isNaN(ms)) throw new RangeError('cannot record NaN')
    if (count === 0) return
    let us = Math.round(ms * US_PER_MS)
    if (us < 0 || us > this.#config.highestUs) {
      us = us < 0 ? 0 : this.#config.highestUs
      this.#clamped += count
    }
    this.#hdr.recordValueWithCount(us, count)
    this.#count += count
    this.#sumUs += us * count
    if (us < this.#minUs) this.#minUs = us
    if (us > this.#maxUs) this.#maxUs = us
  }

  /** Value in ms at percentile p (0..100): at least p % of recorded values are at or below it. NaN when empty. */
  percentile (p: number): number {
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`)
    if (this.#count === 0) return Number.NaN
    const us = this.#hdr.getValueAtPercentile(p)
    return Math.min(this.#maxUs, Math.max(this.#minUs, us)) / US_PER_MS
  }

  /**
   * Cumulative counts at the upper bounds `boundsMs` (ascending): out[i] is the number of values at or below
   * boundsMs[i], as a Prometheus histogram's `le` buckets count. A value is placed by the lowest value of its HDR
   * bucket, so a bound is exact to the histogram's precision (values within 10^-digits of a bound, relatively, may
   * fall on either side). Cost: one pass over the buckets up to the largest value recorded, none per value.
   */
  countsAtOrBelow (boundsMs: readonly number[]): number[] {
    for (let i = 1; i < boundsMs.length; i++) {
      if (!(boundsMs[i]! > boundsMs[i - 1]!)) throw new RangeError(`bounds must ascend, got ${boundsMs[i - 1]} then ${boundsMs[i]}`)
    }
    const out = new Array<number>(boundsMs.length).fill(0)
    if (this.#count === 0 || boundsMs.length === 0) return out
    const hdr = this.#hdr
    if (!(hdr instanceof JsHistogram)) throw new TypeError('countsAtOrBelow needs the JavaScript HDR histogram (WebAssembly is off)')
    const boundsUs = boundsMs.map(b => b * US_PER_MS)
    const last = hdr.countsArrayIndex(this.#maxUs)
    let k = 0
    for (let i = 0; i <= last; i++) {
      const c = hdr.getCountAtIndex(i)
      if (c === 0) continue
      const lowest = hdr.valueFromIndex(i)
      while (k < boundsUs.length && boundsUs[k]! < lowest) k++
      if (k === boundsUs.length) break
      out[k]! += c
    }
    for (let i = 1; i < out.length; i++) out[i]! += out[i - 1]!
    return out
  }

  /** Exact sum of the recorded (rounded, clamped) values, ms. */
  get sum (): number { return this.#sumUs / US_PER_MS }

  reset (): void {
    this.#hdr.reset()
    this.#count = 0
    this.#sumUs = 0
    this.#minUs = Infinity
    this.#maxUs = -Infinity
    this.#clamped = 0
  }

  /** Adds other's data to this one, exactly. Both must have the same configuration. */
  merge (other: LatencyHistogram): this {
    const a = this.#config
    const b = other.#config
    if (a.significantDigits !== b.significantDigits || a.lowestUs !== b.lowestUs || a.highestUs !== b.highestUs) {
      throw new RangeError(`cannot merge histograms of different configurations (${describe(a)} vs ${describe(b)})`)
    }
    if (other.#count === 0) return this
    this.#hdr.add(other.#hdr)
    this.#count += other.#count
    this.#sumUs += other.#sumUs
    this.#clamped += other.#clamped
    if (other.#minUs < this.#minUs) this.#minUs = other.#minUs
    if (other.#maxUs > this.#maxUs) this.#maxUs = other.#maxUs
    return this
  }

  clone (): LatencyHistogram {
    return LatencyHistogram.fromJSON(this.toJSON())
  }

  toJSON (): HistogramJSON {
    const c = this.#config
    return {
      v: 1,
      digits: c.significantDigits,
      lowestUs: c.lowestUs,
      highestUs: c.highestUs,
      count: this.#count,
      sumUs: this.#sumUs,
      minUs: this.#count === 0 ? null : this.#minUs,
      maxUs: this.#count === 0 ? null : this.#maxUs,
      clamped: this.#clamped,
      buckets: encodeIntoCompressedBase64(this.#hdr),
    }
  }

  static fromJSON (json: HistogramJSON): LatencyHistogram {
    if (json.v !== 1) throw new RangeError(`unknown histogram encoding version ${String(json.v)}`)
    const h = new LatencyHistogram({
      significantDigits: json.digits,
      lowestMs: json.lowestUs / US_PER_MS,
      highestMs: json.highestUs / US_PER_MS,
    })
    const decoded = decodeFromCompressedBase64(json.buckets, BIT_BUCKET_SIZE, false)
    if (decoded.totalCount !== json.count) {
      throw new RangeError(`histogram encoding is inconsistent: buckets hold ${decoded.totalCount} values, header says ${json.count}`)
    }
    // Add into a histogram of our own configuration, so later merges see identical bucket layouts.
    h.#hdr.add(decoded)
    h.#count = json.count
    h.#sumUs = json.sumUs
    h.#minUs = json.minUs ?? Infinity
    h.#maxUs = json.maxUs ?? -Infinity
    h.#clamped = json.clamped
    return h
  }

  /** True when both hold the same data: same configuration, counts per bucket and exact statistics. */
  equals (other: LatencyHistogram): boolean {
    const a = this.toJSON()
    const b = other.toJSON()
    return a.digits === b.digits && a.lowestUs === b.lowestUs && a.highestUs === b.highestUs &&
      a.count === b.count && a.sumUs === b.sumUs && a.minUs === b.minUs && a.maxUs === b.maxUs &&
      a.clamped === b.clamped && a.buckets === b.buckets
  }
}

function describe (c: HistogramConfig): string {
  return `${c.significantDigits} digits, ${c.lowestUs}..${c.highestUs} µs`
}
