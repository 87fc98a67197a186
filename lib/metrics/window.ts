// One second of the metric stream (house rules 3 and 4, docs/architecture.md): counters, gauges and latency histograms under
// dotted names, keyed by the wall-clock second floor(epochMs / 1000). Gateways send their windows to the runner,
// which merges windows of the same second exactly.
//
// Merge rules:
// - counters add;
// - histograms merge (bucket counts add; see histogram.ts);
// - gauges merge by the mode they were recorded with, which travels with the value:
//   'sum'  for amounts spread across gateways (devices active, queue depth per gateway): values add, and the max
//          adds too, so a merged 'sum' max is an upper bound (per-gateway peaks need not coincide);
//   'max'  for levels where the worst one matters (lag, memory): value and max are the largest of the parts;
//   'last' for one global reading (phase, target rate): the reading taken latest (atMs) wins; ties go to the
//          larger value so merging is order-independent.
//   A name recorded with two different modes is a programming error and throws.

import { LatencyHistogram } from './histogram.ts'
import type { HistogramJSON, HistogramOptions } from './histogram.ts'

export const gaugeModes = ['sum', 'max', 'last'] as const
export type GaugeMode = (typeof gaugeModes)[number]

export interface Gauge {
  mode: GaugeMode
  /** The last value (for 'sum' and 'max' after a merge: the combined value, see above). */
  value: number
  /** Highest value seen in the window. */
  max: number
  /** Epoch ms of the reading behind `value`. */
  atMs: number
}

export interface MetricWindowJSON {
  second: number
  counters: Record<string, number>
  gauges: Record<string, Gauge>
  histograms: Record<string, HistogramJSON>
}

/** The aligned second of an epoch-ms time. */
export function secondOf (epochMs: number): number {
  return Math.floor(epochMs / 1000)
}

export class MetricWindow {
  readonly second: number
  readonly counters = new Map<string, number>()
  readonly gauges = new Map<string, Gauge>()
  readonly histograms = new Map<string, LatencyHistogram>()
  readonly #histogramOptions: HistogramOptions

  constructor (second: number, histogramOptions: HistogramOptions = {}) {
    if (!Number.isSafeInteger(second)) throw new RangeError(`window second must be an integer, got ${second}`)
    this.second = second
    this.#histogramOptions = histogramOptions
  }

  /** Start of the window, epoch ms. */
  get startMs (): number { return this.second * 1000 }

  get isEmpty (): boolean {
    return this.counters.size === 0 && this.gauges.size === 0 && this.histograms.size === 0
  }

  counter (name: string, n = 1): void {
    if (!Number.isFinite(n)) throw new RangeError(`counter ${name}: increment must be finite, got ${n}`)
    this.counters.set(name, (this.counters.get(name) ?? 0) + n)
  }

  gauge (name: string, value: number, mode: GaugeMode, atMs: number): void {
    if (!Number.isFinite(value)) throw new RangeError(`gauge ${name}: value must be finite, got ${value}`)
    const g = this.gauges.get(name)
    if (g === undefined) {
      this.gauges.set(name, { mode, value, max: value, atMs })
      return
    }
    checkMode(name, g.mode, mode)
    g.value = value
    g.atMs = atMs
    if (value > g.max) g.max = value
  }

  histogram (name: string, ms: number, count = 1): void {
    let h = this.histograms.get(name)
    if (h === undefined) {
      h = new LatencyHistogram(this.#histogramOptions)
      this.histograms.set(name, h)
    }
    h.record(ms, count)
  }

  /** Adds another window of the same second into this one, exactly (rules at the top of the file). */
  merge (other: MetricWindow): this {
    if (other.second !== this.second) throw new RangeError(`cannot merge window ${other.second} into window ${this.second}`)
    for (const [name, n] of other.counters) this.counters.set(name, (this.counters.get(name) ?? 0) + n)
    for (const [name, g] of other.gauges) {
      const mine = this.gauges.get(name)
      if (mine === undefined) this.gauges.set(name, { ...g })
      else mergeGauge(name, mine, g)
    }
    for (const [name, h] of other.histograms) {
      const mine = this.histograms.get(name)
      if (mine === undefined) this.histograms.set(name, h.clone())
      else mine.merge(h)
    }
    return this
  }

  toJSON (): MetricWindowJSON {
    return {
      second: this.second,
      counters: Object.fromEntries(this.counters),
      gauges: Object.fromEntries([...this.gauges].map(([name, g]) => [name, { ...g }])),
      histograms: Object.fromEntries([...this.histograms].map(([name, h]) => [name, h.toJSON()])),
    }
  }

  static fromJSON (json: MetricWindowJSON, histogramOptions: HistogramOptions = {}): MetricWindow {
    const w = new MetricWindow(json.second, histogramOptions)
    for (const [name, n] of Object.entries(json.counters)) w.counters.set(name, n)
    for (const [name, g] of Object.entries(json.gauges)) {
      if (!gaugeModes.includes(g.mode)) throw new RangeError(`gauge ${name}: unknown mode ${String(g.mode)}`)
      w.gauges.set(name, { mode: g.mode, value: g.value, max: g.max, atMs: g.atMs })
    }
    for (const [name, h] of Object.entries(json.histograms)) w.histograms.set(name, LatencyHistogram.fromJSON(h))
    return w
  }
}

function checkMode (name: string, have: GaugeMode, got: GaugeMode): void {
  if (have !== got) throw new RangeError(`gauge ${name} is recorded as '${have}', not '${got}'; one name takes one merge mode`)
}

function mergeGauge (name: string, into: Gauge, from: Gauge): void {
  checkMode(name, into.mode, from.mode)
  switch (into.mode) {
    case 'sum':
      into.value += from.value
      into.max += from.max
      into.atMs = Math.max(into.atMs, from.atMs)
      break
    case 'max':
      if (from.value > into.value || (from.value === into.value && from.atMs > into.atMs)) {
        into.value = from.value
        into.atMs = from.atMs
      }
      into.max = Math.max(into.max, from.max)
      break
    case 'last':
      if (from.atMs > into.atMs || (from.atMs === into.atMs && from.value > into.value)) {
        into.value = from.value
        into.atMs = from.atMs
      }
      into.max = Math.max(into.max, from.max)
      break
  }
}
