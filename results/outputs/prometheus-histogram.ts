// A prom-client Histogram filled with counts per bucket rather than one observation at a time. The stream's latencies
// arrive as HDR histograms (lib/metrics/histogram.ts), a second of them at once: prom-client's observe() takes one
// value per call, so a second of 1,000 records would be 1,000 calls, and an exact copy of the HDR data would need
// one call per record anyway. Here a second costs one addCounts() with the cumulative counts at the bucket bounds
// (LatencyHistogram.countsAtOrBelow), whatever the rate. The exposition is prom-client's own (the registry renders
// `_bucket{le}`, `_sum`, `_count` from get()), so default labels and content types work as for any metric.
// No label names of its own: one series per registry (the run's labels are the registry's default labels).
import { Histogram } from 'prom-client'
import type { HistogramConfiguration } from 'prom-client'

type Exported = Awaited<ReturnType<Histogram<string>['get']>>

export interface BucketHistogramConfiguration extends Omit<HistogramConfiguration<string>, 'labelNames' | 'collect' | 'buckets'> {
  /** Upper bounds, ascending, in the metric's unit; +Inf is implied. */
  readonly buckets: readonly number[]
}

export class BucketHistogram extends Histogram<string> {
  readonly bounds: readonly number[]
  readonly #metricName: string
  readonly #help: string
  readonly #aggregator: Exported['aggregator']
  /** Cumulative counts at each bound, then the total (the +Inf bucket). */
  readonly #cumulative: number[]
  #sum = 0

  constructor (c: BucketHistogramConfiguration) {
    super({ ...c, buckets: [...c.buckets] })
    for (let i = 1; i < c.buckets.length; i++) {
      if (!(c.buckets[i]! > c.buckets[i - 1]!)) throw new RangeError(`${c.name}: buckets must ascend, got ${c.buckets[i - 1]} then ${c.buckets[i]}`)
    }
    this.bounds = [...c.buckets]
    this.#metricName = c.name
    this.#help = c.help
    this.#aggregator = c.aggregator ?? 'sum'
    this.#cumulative = new Array<number>(c.buckets.length + 1).fill(0)
    // prom-client's constructor sets observe as an instance property (with or without exemplars): ours goes over it.
    this.observe = this.#observeOne.bind(this)
  }

  /**
   * Adds `count` values whose cumulative counts at the bounds are `atOrBelow` (one per bound, non-decreasing, at most
   * `count`) and whose sum is `sum`.
   */
  addCounts (atOrBelow: readonly number[], count: number, sum: number): void {
    if (atOrBelow.length !== this.bounds.length) throw new RangeError(`${this.#metricName}: expected ${this.bounds.length} bucket counts, got ${atOrBelow.length}`)
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`${this.#metricName}: count must be a whole number >= 0, got ${count}`)
    if (!Number.isFinite(sum)) throw new RangeError(`${this.#metricName}: sum must be finite, got ${sum}`)
    let prev = 0
    for (const n of atOrBelow) {
      if (!(n >= prev && n <= count)) throw new RangeError(`${this.#metricName}: bucket counts must be cumulative and at most count ${count}, got [${atOrBelow.join(', ')}]`)
      prev = n
    }
    for (let i = 0; i < atOrBelow.length; i++) this.#cumulative[i]! += atOrBelow[i]!
    this.#cumulative[atOrBelow.length]! += count
    this.#sum += sum
  }

  /** One value at a time, as prom-client's own (tests, rare events). */
  #observeOne (labelsOrValue: number | object, value?: number): void {
    const v = typeof labelsOrValue === 'number' ? labelsOrValue : value
    if (v === undefined || !Number.isFinite(v)) throw new TypeError(`${this.#metricName}: value must be finite, got ${String(v)}`)
    this.addCounts(this.bounds.map(b => (v <= b ? 1 : 0)), 1, v)
  }

  override reset (): void {
    // prom-client's Metric constructor calls reset() before this class's fields exist.
    if (!(#cumulative in this)) return
    this.#cumulative.fill(0)
    this.#sum = 0
  }

  /** The registry renders from this (prom-client calls it before get() where it exists). */
  async getForPromString (): Promise<Exported> {
    return this.#exported()
  }

  override async get (): Promise<Exported> {
    return this.#exported()
  }

  #exported (): Exported {
    const bucket = `${this.#metricName}_bucket`
    const total = this.#cumulative[this.bounds.length]!
    const values: Exported['values'] = this.bounds.map((le, i) => ({ labels: { le }, value: this.#cumulative[i]!, metricName: bucket }))
    values.push(
      { labels: { le: '+Inf' }, value: total, metricName: bucket },
      { labels: {}, value: this.#sum, metricName: `${this.#metricName}_sum` },
      { labels: {}, value: total, metricName: `${this.#metricName}_count` },
    )
    // prom-client's typings call `type` a numeric enum; at run time (and in its own histogram.js) it is the string.
    const type = 'histogram' as unknown as Exported['type']
    return { name: this.#metricName, help: this.#help, type, values, aggregator: this.#aggregator, collect: () => {} }
  }
}
