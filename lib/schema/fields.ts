// Field types of every schema (experiment files, the platform config file): units parsed through lib/units.ts (the
// one place for units, house rule 2, docs/architecture.md), strict objects that reject unknown keys, and
// number-or-range fields. Each field reports exactly one problem with a message that says what was expected, so
// issues.ts can print `path: expected ..., got ...`.
import { z } from 'zod'
import { parseCount, parseDuration, parsePercent, parseRate } from '../units.ts'

/** Most devices one experiment may ask for (the CLI's cap too). */
export const MAX_DEVICES = 1_000_000
/** Highest sampling rate of one device. */
export const MAX_RATE_PER_DEVICE = 1000
/** Longest duration of any one part of an experiment. */
export const MAX_DURATION_MS = 7 * 86_400_000

/** Marks the message of an unrecognized_keys issue so issues.ts can name the known keys. */
export const KNOWN_KEYS = 'known:'

/** A z.object that rejects unknown keys, naming the keys it knows. */
export function strictObject<T extends z.ZodRawShape> (shape: T): z.ZodObject<T, 'strict'> {
  return z.object(shape).strict(KNOWN_KEYS + Object.keys(shape).join(','))
}

type Ctx = z.RefinementCtx
const fail = (ctx: Ctx, message: string, path: Array<string | number> = []): typeof z.NEVER => {
  ctx.addIssue({ code: z.ZodIssueCode.custom, message, path })
  return z.NEVER
}

/** A duration: "30s", "5m", "250ms", "1h"; a bare number (or numeric string) is seconds. Output: ms. */
export function duration (opts: { min?: number, max?: number, positive?: boolean, wholeSeconds?: boolean } = {}): z.ZodEffects<z.ZodType<string | number>, number, string | number> {
  const { min = 0, max = MAX_DURATION_MS, positive = false, wholeSeconds = false } = opts
  return z.custom<string | number>(() => true).transform((v, ctx) => {
    const ms = typeof v === 'number' ? (v >= 0 ? v * 1000 : undefined) : typeof v === 'string' ? parseDuration(v) : undefined
    if (ms === undefined) return fail(ctx, 'expected a duration such as 30s, 5m')
    if (positive && ms <= 0) return fail(ctx, 'expected a duration longer than 0, such as 30s')
    if (ms < min) return fail(ctx, `expected at least ${min / 1000} s`)
    if (ms > max) return fail(ctx, `expected at most ${max >= 86_400_000 ? `${max / 86_400_000} days` : `${max / 1000} s`}`)
    if (wholeSeconds && ms % 1000 !== 0) return fail(ctx, 'expected whole seconds, such as 300s or 5m')
    return ms
  })
}

/** A rate: "1/s", "120/m", "0.5"; a bare number is per second. Output: events per second. */
export function rate (opts: { max?: number, positive?: boolean, what?: string } = {}): z.ZodEffects<z.ZodType<string | number>, number, string | number> {
  const { max = Infinity, positive = false, what = 'a rate such as 1/s, 30/m or 0.5' } = opts
  return z.custom<string | number>(() => true).transform((v, ctx) => {
    const perS = typeof v === 'number' ? (v >= 0 && Number.isFinite(v) ? v : undefined) : typeof v === 'string' ? parseRate(v) : undefined
    if (perS === undefined) return fail(ctx, `expected ${what}`)
    if (positive && perS <= 0) return fail(ctx, `expected ${what}, above 0`)
    if (perS > max) return fail(ctx, `expected at most ${max}/s`)
    return perS
  })
}

/** A whole number in [min, max]: 500, "20_000", "20,000". */
export function count (min = 0, max = Number.MAX_SAFE_INTEGER, what = 'a whole number'): z.ZodEffects<z.ZodType<string | number>, number, string | number> {
  return z.custom<string | number>(() => true).transform((v, ctx) => {
    const n = typeof v === 'number' ? (Number.isInteger(v) ? v : undefined) : typeof v === 'string' ? parseCount(v, 0) : undefined
    if (n === undefined || n < min || n > max) return fail(ctx, `expected ${what} ${min}-${max.toLocaleString('en-US')}`)
    return n
  })
}

/** Devices: a whole number 0 (or 1) to 1,000,000. */
export const devices = (min = 1): ReturnType<typeof count> => count(min, MAX_DEVICES, 'a number of devices')

/** A fraction: 0.05, "5%". Output: 0..max. */
export function fraction (opts: { min?: number, max?: number, exclusiveMin?: boolean } = {}): z.ZodEffects<z.ZodType<string | number>, number, string | number> {
  const { min = 0, max = 1, exclusiveMin = false } = opts
  return z.custom<string | number>(() => true).transform((v, ctx) => {
    const f = typeof v === 'number' ? (Number.isFinite(v) ? v : undefined) : typeof v === 'string' ? parsePercent(v) : undefined
    if (f === undefined || f < min || f > max || (exclusiveMin && f === min)) {
      return fail(ctx, `expected a fraction ${exclusiveMin ? 'above' : 'from'} ${min} to ${max}, or a percentage such as 5%`)
    }
    return f
  })
}

/** A positive finite number (a multiplier, a factor). */
export function positiveNumber (opts: { min?: number, max?: number, what?: string } = {}): z.ZodEffects<z.ZodType<number>, number, number> {
  const { min = 0, max = Infinity, what = 'a number' } = opts
  return z.custom<number>(() => true).transform((v, ctx) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= min || v > max) return fail(ctx, `expected ${what} above ${min}${max < Infinity ? ` and at most ${max}` : ''}`)
    return v
  })
}

export interface Range { readonly from: number, readonly to: number }

/**
 * A constant or a ramp: `100` or `{ from: 10, to: 1000 }`. Output: always { from, to } (from === to when constant).
 * Checked by hand rather than with z.union so that every problem has one clear message and a path.
 */
export function range<I extends string | number> (field: z.ZodType<number, z.ZodTypeDef, I>, what: string): z.ZodEffects<z.ZodType<I | { from: I, to: I }>, Range, I | { from: I, to: I }> {
  return z.custom<I | { from: I, to: I }>(() => true).transform((v, ctx) => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const o = v as Record<string, unknown>
      let ok = true
      const out: Record<string, number> = {}
      for (const key of Object.keys(o)) {
        if (key !== 'from' && key !== 'to') { fail(ctx, `unknown key (${what} is a value or { from, to })`, [key]); ok = false }
      }
      for (const key of ['from', 'to'] as const) {
        if (o[key] === undefined) { fail(ctx, `required (${what})`, [key]); ok = false; continue }
        const r = field.safeParse(o[key])
        if (r.success) out[key] = r.data
        else { ok = false; for (const issue of r.error.issues) fail(ctx, issue.message, [key, ...issue.path]) }
      }
      return ok ? { from: out.from!, to: out.to! } : z.NEVER
    }
    const r = field.safeParse(v)
    if (!r.success) return fail(ctx, `${r.error.issues[0]?.message ?? 'invalid'} (or { from, to } for a ramp)`)
    return { from: r.data, to: r.data }
  })
}
