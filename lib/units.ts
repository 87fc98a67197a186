// Units of flags, specs and experiment files, parsed in one place (STYLE rule 2): durations ("30s", "5m", "250ms",
// "1h", a bare number is seconds) and rates ("1/s", "500/s", "2/m", "0.5", a bare number is per second).
// Each parser returns undefined for bad input, so the caller can collect every problem with its flag name.

const DURATION = /^([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)?$/
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** Milliseconds, or undefined when `text` is not a non-negative duration. */
export function parseDuration (text: string): number | undefined {
  const m = DURATION.exec(text.trim())
  if (m === null) return undefined
  const ms = Number(m[1]) * UNIT_MS[m[2] ?? 's']!
  return Number.isFinite(ms) ? ms : undefined
}

const RATE = /^([0-9]+(?:\.[0-9]+)?)\s*(?:\/\s*(ms|s|m|h|min|sec))?$/
const PER_MS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 }

/** Events per second, or undefined when `text` is not a non-negative rate ("1/s", "120/m", "0.2"). */
export function parseRate (text: string): number | undefined {
  const m = RATE.exec(text.trim())
  if (m === null) return undefined
  const perSecond = Number(m[1]) * 1000 / PER_MS[m[2] ?? 's']!
  return Number.isFinite(perSecond) ? perSecond : undefined
}

/** A whole number in [min, max], or undefined. Accepts "20000" and "20_000" / "20,000". */
export function parseCount (text: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const t = text.trim().replace(/[_,]/g, '')
  if (!/^[0-9]+$/.test(t)) return undefined
  const n = Number(t)
  return n >= min && n <= max ? n : undefined
}

/** "500/s", "1 per 5 s": for summaries. */
export function formatRate (perSecond: number): string {
  return perSecond >= 1 || perSecond === 0 ? `${Number(perSecond.toFixed(2))}/s` : `1 per ${Number((1 / perSecond).toFixed(2))} s`
}

const PERCENT = /^([0-9]+(?:\.[0-9]+)?)\s*(%)?$/

/** A fraction: "80%" -> 0.8, "0.1%" -> 0.001, a bare number is already a fraction ("0.001"); undefined for bad input. */
export function parsePercent (text: string): number | undefined {
  const m = PERCENT.exec(text.trim())
  if (m === null) return undefined
  const v = m[2] === undefined ? Number(m[1]) : Number(m[1]) / 100
  return Number.isFinite(v) ? v : undefined
}

/** `value` rounded to `digits` decimals, for figures written to results and progress lines. */
export function roundTo (value: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}
