// Seeded value generators for virtual sensors: a bounded random walk, a sine (a diurnal cycle with amplitude, offset
// and noise) and a CSV replay in a loop (like leshan-client-demo's temperature models). A generator is shared by every
// device; a device's sensor is a stream seed plus a step number (prng.ts), so `at(stream, k, previous)` is a pure
// function and values are the same for a seed whatever the timing of reads and notifications.
import { readFileSync } from 'node:fs'
import { uniformAt } from '../lib/random.ts'
import { parseDuration } from '../lib/units.ts'

export type GeneratorSpec =
  /** Each step adds a uniform draw in [-step, step]; a move past a bound is reflected back inside. */
  | { kind: 'walk', min: number, max: number, step: number, start?: number }
  /** offset + amplitude * sin(2π t / period + phase) + a uniform draw in [-noise, noise], clamped to [min, max]. */
  | { kind: 'sine', periodS: number, amplitude: number, offset: number, noise: number, phaseSpreadS?: number, min?: number, max?: number }
  /** values[(start + k) mod n]; every device starts at its own seeded row. */
  | { kind: 'csv', values: readonly number[], source?: string }

export interface Generator {
  readonly spec: GeneratorSpec
  /** Value at step 0. */
  initial (stream: number): number
  /** Value at step k >= 1 given the value at step k - 1. */
  at (stream: number, k: number, previous: number): number
  /** Smallest and largest values the generator can produce (IPSO 5603/5604 Min/Max Range Value). */
  readonly range: readonly [number, number]
}

// Draws at step k use uniformAt(stream, k); one-off draws per stream use indices no run reaches (2^40 steps).
const DRAW_START = 2 ** 40
const DRAW_PHASE = 2 ** 40 + 1
const DRAW_ROW = 2 ** 40 + 2

/** A generator for a spec; `stepS` is the sampling period (seconds between steps) that turns k into time. */
export function createGenerator (spec: GeneratorSpec, stepS: number): Generator {
  switch (spec.kind) {
    case 'walk': {
      const { min, max, step } = spec
      return {
        spec,
        range: [min, max],
        initial: stream => spec.start ?? min + (max - min) * uniformAt(stream, DRAW_START),
        at: (stream, k, previous) => reflect(previous + step * (2 * uniformAt(stream, k) - 1), min, max),
      }
    }
    case 'sine': {
      const { periodS, amplitude, offset, noise } = spec
      const lo = spec.min ?? offset - Math.abs(amplitude) - noise
      const hi = spec.max ?? offset + Math.abs(amplitude) + noise
      const value = (stream: number, k: number): number => {
        const phase = (spec.phaseSpreadS ?? 0) * uniformAt(stream, DRAW_PHASE)
        const v = offset + amplitude * Math.sin(2 * Math.PI * (k * stepS + phase) / periodS) +
          (noise === 0 ? 0 : noise * (2 * uniformAt(stream, k) - 1))
        return v < lo ? lo : v > hi ? hi : v
      }
      return { spec, range: [lo, hi], initial: stream => value(stream, 0), at: (stream, k) => value(stream, k) }
    }
    case 'csv': {
      const values = spec.values
      const n = values.length
      let lo = Infinity
      let hi = -Infinity
      for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v }
      const start = (stream: number): number => Math.floor(uniformAt(stream, DRAW_ROW) * n)
      return { spec, range: [lo, hi], initial: stream => values[start(stream)]!, at: (stream, k) => values[(start(stream) + k) % n]! }
    }
  }
}

function reflect (v: number, min: number, max: number): number {
  if (max <= min) return min
  // a move is at most one step, far smaller than the range, but loop for safety with large steps
  for (let i = 0; i < 8 && (v < min || v > max); i++) v = v < min ? 2 * min - v : 2 * max - v
  return v < min ? min : v > max ? max : v
}

/** Defaults per IPSO object: plausible values, all varying at every step. */
export const defaultGenerators: Readonly<Record<number, GeneratorSpec>> = {
  3303: { kind: 'sine', periodS: 86_400, amplitude: 4, offset: 21, noise: 0.3, phaseSpreadS: 3600 }, // °C
  3304: { kind: 'walk', min: 20, max: 80, step: 0.5, start: 45 }, // %RH
  3301: { kind: 'sine', periodS: 86_400, amplitude: 400, offset: 400, noise: 10, phaseSpreadS: 3600, min: 0 }, // lx
  3315: { kind: 'walk', min: 980, max: 1040, step: 0.1, start: 1013 }, // hPa
}

/** Numbers of one column of CSV text; a first line that is not numeric is a header. `column` is an index or a header name. */
export function parseCsvValues (text: string, column: number | string = 0): number[] {
  const lines = text.split(/\r?\n/).filter(l => l.trim() !== '' && !l.trimStart().startsWith('#'))
  const split = (l: string): string[] => l.split(/[,;\t]/).map(c => c.trim())
  let index = typeof column === 'number' ? column : -1
  const first = lines[0] === undefined ? [] : split(lines[0])
  const header = first.length > 0 && first.some(c => c !== '' && !Number.isFinite(Number(c)))
  if (typeof column === 'string') {
    index = /^[0-9]+$/.test(column) ? Number(column) : first.indexOf(column)
    if (index < 0) throw new Error(`no column named "${column}" in the header (${first.join(', ')})`)
  }
  const values: number[] = []
  for (let i = header ? 1 : 0; i < lines.length; i++) {
    const cell = split(lines[i]!)[index]
    const v = cell === undefined || cell === '' ? Number.NaN : Number(cell)
    if (!Number.isFinite(v)) throw new Error(`line ${i + 1}: column ${index} is ${cell === undefined ? 'missing' : `not a number: "${cell}"`}`)
    values.push(v)
  }
  if (values.length === 0) throw new Error('no values')
  return values
}

const NUMBER_KEYS: Record<string, ReadonlySet<string>> = {
  walk: new Set(['min', 'max', 'step', 'start']),
  sine: new Set(['period', 'amplitude', 'offset', 'noise', 'phase-spread', 'min', 'max']),
  csv: new Set(['file', 'column']),
}

/**
 * A generator from its flag text, e.g. "walk:min=15,max=30,step=0.2", "sine:period=24h,amplitude=4,offset=21,noise=0.3",
 * "csv:file=temps.csv,column=1". Every problem is returned at once (empty when the spec is valid).
 */
export function parseGeneratorSpec (text: string, readFile: (file: string) => string = f => readFileSync(f, 'utf8')):
  { spec?: GeneratorSpec, problems: string[] } {
  const colon = text.indexOf(':')
  const kind = (colon < 0 ? text : text.slice(0, colon)).trim()
  const problems: string[] = []
  const allowed = NUMBER_KEYS[kind]
  if (allowed === undefined) return { problems: [`unknown generator "${kind}" (choose walk, sine or csv)`] }
  const params = new Map<string, string>()
  for (const part of colon < 0 ? [] : text.slice(colon + 1).split(',')) {
    const eq = part.indexOf('=')
    const key = (eq < 0 ? part : part.slice(0, eq)).trim()
    if (key === '') continue
    if (!allowed.has(key)) problems.push(`${kind}: unknown parameter "${key}" (allowed: ${[...allowed].join(', ')})`)
    else params.set(key, eq < 0 ? '' : part.slice(eq + 1).trim())
  }
  const num = (key: string, fallback?: number): number | undefined => {
    const raw = params.get(key)
    if (raw === undefined) {
      if (fallback === undefined) problems.push(`${kind}: ${key}= is required`)
      return fallback
    }
    const v = Number(raw)
    if (raw === '' || !Number.isFinite(v)) { problems.push(`${kind}: ${key}=${raw} is not a number`); return fallback }
    return v
  }
  let spec: GeneratorSpec | undefined
  if (kind === 'walk') {
    const min = num('min'); const max = num('max'); const step = num('step', 1); const start = params.has('start') ? num('start') : undefined
    if (min !== undefined && max !== undefined && min >= max) problems.push(`walk: min=${min} must be below max=${max}`)
    if (step !== undefined && step <= 0) problems.push(`walk: step=${step} must be positive`)
    if (start !== undefined && min !== undefined && max !== undefined && (start < min || start > max)) problems.push(`walk: start=${start} is outside [${min}, ${max}]`)
    if (min !== undefined && max !== undefined && step !== undefined) spec = { kind, min, max, step, ...(start !== undefined ? { start } : {}) }
  } else if (kind === 'sine') {
    const rawPeriod = params.get('period') ?? '24h'
    const periodMs = parseDuration(rawPeriod)
    if (periodMs === undefined || periodMs <= 0) problems.push(`sine: period=${rawPeriod} is not a duration such as 24h or 90s`)
    const spreadRaw = params.get('phase-spread')
    const spreadMs = spreadRaw === undefined ? 0 : parseDuration(spreadRaw)
    if (spreadMs === undefined) problems.push(`sine: phase-spread=${spreadRaw} is not a duration`)
    const amplitude = num('amplitude'); const offset = num('offset', 0); const noise = num('noise', 0)
    const min = params.has('min') ? num('min') : undefined; const max = params.has('max') ? num('max') : undefined
    if (noise !== undefined && noise < 0) problems.push(`sine: noise=${noise} must not be negative`)
    if (periodMs !== undefined && periodMs > 0 && amplitude !== undefined && offset !== undefined && noise !== undefined) {
      spec = {
        kind, periodS: periodMs / 1000, amplitude, offset, noise, phaseSpreadS: (spreadMs ?? 0) / 1000,
        ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}),
      }
    }
  } else {
    const file = params.get('file')
    if (file === undefined || file === '') problems.push('csv: file= is required')
    else {
      try {
        spec = { kind: 'csv', values: parseCsvValues(readFile(file), params.get('column') ?? 0), source: file }
      } catch (err) {
        problems.push(`csv: ${file}: ${err instanceof Error ? err.message : String(err)}`)
      }
    }
  }
  return problems.length > 0 ? { problems } : { spec: spec!, problems }
}
