// Writes metrics into the window of the current wall-clock second (house rule 4, docs/architecture.md). The clock is passed in
// (rule 5) so tests drive seconds by hand. One recorder per process (gateway, runner); the runner merges the
// drained windows of every gateway with mergeWindows.
//
// Nothing is lost across drain: a write always lands in the window of its own second. If the wall clock steps
// back into a second that was already drained, that second opens again and is returned by a later drain, so the
// same second can reach the runner twice; mergeWindows adds such pieces together like windows of two gateways.

import { MetricWindow, secondOf } from './window.ts'
import type { GaugeMode } from './window.ts'
import type { HistogramOptions } from './histogram.ts'

export interface MetricsRecorderOptions {
  /** Wall clock, epoch ms. Default Date.now. */
  now?: () => number
  histogram?: HistogramOptions
}

export class MetricsRecorder {
  readonly #now: () => number
  readonly #histogramOptions: HistogramOptions
  readonly #open = new Map<number, MetricWindow>()
  readonly #gaugeModes = new Map<string, GaugeMode>()
  #current: MetricWindow | undefined

  constructor (options: MetricsRecorderOptions = {}) {
    this.#now = options.now ?? Date.now
    this.#histogramOptions = options.histogram ?? {}
  }

  counter (name: string, n = 1): void {
    this.#window(this.#now()).counter(name, n)
  }

  /** Sets a gauge; `mode` says how gateways' values combine (window.ts) and must not change for a name. */
  gauge (name: string, value: number, mode: GaugeMode): void {
    const known = this.#gaugeModes.get(name)
    if (known === undefined) this.#gaugeModes.set(name, mode)
    else if (known !== mode) throw new RangeError(`gauge ${name} is recorded as '${known}', not '${mode}'; one name takes one merge mode`)
    const now = this.#now()
    this.#window(now).gauge(name, value, mode, now)
  }

  /** Records a latency in ms (count times). */
  histogram (name: string, ms: number, count = 1): void {
    this.#window(this.#now()).histogram(name, ms, count)
  }

  /** Current second of the injected clock. */
  currentSecond (): number {
    return secondOf(this.#now())
  }

  /**
   * Removes and returns, oldest first, every window whose second is before `beforeSecond` (default: the current
   * second, i.e. every closed window). A window exists only once something was written in its second, so idle
   * seconds return nothing.
   */
  drain (beforeSecond: number = this.currentSecond()): MetricWindow[] {
    const closed = [...this.#open.values()].filter(w => w.second < beforeSecond).sort((a, b) => a.second - b.second)
    for (const w of closed) {
      this.#open.delete(w.second)
      if (this.#current === w) this.#current = undefined
    }
    return closed
  }

  #window (epochMs: number): MetricWindow {
    const second = secondOf(epochMs)
    if (this.#current?.second === second) return this.#current
    let w = this.#open.get(second)
    if (w === undefined) {
      w = new MetricWindow(second, this.#histogramOptions)
      this.#open.set(second, w)
    }
    this.#current = w
    return w
  }
}

/**
 * Merges windows (from several gateways, or several drains) into one window per second, in ascending order.
 * The inputs are left unchanged.
 */
export function mergeWindows (windows: Iterable<MetricWindow>, histogramOptions: HistogramOptions = {}): MetricWindow[] {
  const bySecond = new Map<number, MetricWindow>()
  for (const w of windows) {
    let merged = bySecond.get(w.second)
    if (merged === undefined) {
      merged = new MetricWindow(w.second, histogramOptions)
      bySecond.set(w.second, merged)
    }
    merged.merge(w)
  }
  return [...bySecond.values()].sort((a, b) => a.second - b.second)
}
