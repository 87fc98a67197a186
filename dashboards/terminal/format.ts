// How the terminal dashboard writes numbers, durations and thresholds: short, fixed width where it matters, and
// '-' for a value nothing measured (an empty cell of the timeseries).
import type { ThresholdResult } from '../../results/run-format.ts'

/** The unit a threshold's value is in ('ms', 'fraction' or 'count'); the caller knows the metrics (cli passes it). */
export type ThresholdUnitOf = (metric: string) => 'ms' | 'fraction' | 'count' | undefined

/** 1234567 -> "1.23M", 12345 -> "12.3k", 999 -> "999", 0.5 -> "0.5"; null -> "-". */
export function compact (v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-'
  const a = Math.abs(v)
  if (a >= 1e9) return `${trim(v / 1e9, 2)}G`
  if (a >= 1e6) return `${trim(v / 1e6, 2)}M`
  if (a >= 1e4) return `${trim(v / 1e3, 1)}k`
  if (a >= 100) return String(Math.round(v))
  return String(trim(v, a >= 10 ? 1 : 2))
}

function trim (v: number, digits: number): number {
  return Number(v.toFixed(digits))
}

/** Milliseconds as a latency: "850 ms", "1.25 s", "-". */
export function latency (ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-'
  if (ms >= 10_000) return `${trim(ms / 1000, 1)} s`
  if (ms >= 1000) return `${trim(ms / 1000, 2)} s`
  return `${trim(ms, ms >= 100 ? 0 : 1)} ms`
}

/** Seconds as a clock: 75 -> "1:15", 3725 -> "1:02:05". */
export function clock (seconds: number): string {
  const s = Math.max(0, Math.floor(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const ss = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`
}

/** A text progress bar of `width` cells: "█████░░░░░". */
export function bar (fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0))
  const full = Math.round(f * width)
  return '█'.repeat(full) + '░'.repeat(Math.max(0, width - full))
}

/** A threshold's measured value in its unit: "512 ms", "0.12%", "3". */
export function thresholdValue (t: ThresholdResult, unitOf: ThresholdUnitOf): string {
  if (t.value === null) return 'at end'
  const unit = unitOf(t.metric)
  if (unit === 'ms') return latency(t.value)
  if (unit === 'fraction') return `${trim(t.value * 100, 3)}%`
  return compact(t.value)
}

/** "✓ e2e.p99 < 1s (512 ms)" with blessed colour tags: green held, red crossed, grey not known yet. */
export function thresholdCell (t: ThresholdResult, unitOf: ThresholdUnitOf): string {
  const mark = t.value === null ? '{gray-fg}…{/gray-fg}' : t.passed ? '{green-fg}✓{/green-fg}' : '{red-fg}✗{/red-fg}'
  return `${mark} ${escapeTags(t.source)} (${thresholdValue(t, unitOf)})`
}

/** Text shown inside a tagged blessed element: its braces would otherwise be read as tags. */
export function escapeTags (text: string): string {
  return text.replace(/[{}]/g, c => (c === '{' ? '{open}' : '{close}'))
}

/** A line cut to `width` characters (with an ellipsis). */
export function cut (text: string, width: number): string {
  if (width <= 0) return ''
  return text.length <= width ? text : text.slice(0, Math.max(0, width - 1)) + '…'
}
