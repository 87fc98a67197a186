// The `workload` of each kind: the fields users write and the parsed types (ms, per second) the workload functions take.
// Cross-field rules live next to the fields they relate (a burst shorter than its period, capacity max above start).
import { z } from 'zod'
import { devices, duration, fraction, MAX_DEVICES, MAX_RATE_PER_DEVICE, positiveNumber, range, rate, strictObject } from '../../lib/schema/fields.ts'
import type { Range } from '../../lib/schema/fields.ts'
import { parseCondition } from '../thresholds.ts'

const perDevice = (): ReturnType<typeof rate> => rate({ max: MAX_RATE_PER_DEVICE, what: 'samples per device such as 1/s, 10/m or 0.5' })

// ---------------------------------------------------------------------------------------------------------------
// linear

export type LinearWorkloadConfig =
  | {
    /** Devices and/or rate go linearly from `from` to `to` over rampMs, then hold. */
    readonly mode: 'ramp'
    readonly devices: Range
    readonly ratePerDevice: Range
    readonly rampMs: number
    readonly holdMs: number
  }
  | {
    /** EMU-IoT's linear experiment: a batch of devices joins every `everyMs` until `to`; each batch, the last too, runs everyMs. */
    readonly mode: 'batch'
    readonly batchSize: number
    readonly everyMs: number
    readonly to: number
    readonly ratePerDevice: number
    readonly holdMs: number
  }

export const linearWorkload = strictObject({
  devices: range(devices(0), 'devices').optional(),
  rate: range(perDevice(), 'rate').optional(),
  rampDuration: duration().optional(),
  batch: strictObject({ size: devices(1), every: duration({ positive: true }) }).optional(),
  to: devices(1).optional(),
  hold: duration().default(0),
}).transform((w, ctx): LinearWorkloadConfig => {
  const issue = (message: string, path: string[] = []): typeof z.NEVER => { ctx.addIssue({ code: 'custom', message, path }); return z.NEVER }
  if (w.batch !== undefined) {
    const extra = (['devices', 'rampDuration'] as const).filter(k => w[k] !== undefined)
    if (extra.length > 0) return issue(`batches (batch, to) and a ramp (devices, rampDuration) are two ways to grow the fleet: give one (remove ${extra.join(', ')})`)
    if (w.to === undefined) return issue('required with batch: the number of devices to grow to', ['to'])
    const r = w.rate ?? { from: 1, to: 1 }
    if (r.from !== r.to) return issue('with batches the rate per device is one value, such as 1/s', ['rate'])
    if (w.batch.size > w.to) return issue(`the batch size ${w.batch.size} is more than the ${w.to} devices to reach`, ['batch', 'size'])
    return { mode: 'batch', batchSize: w.batch.size, everyMs: w.batch.every, to: w.to, ratePerDevice: r.from, holdMs: w.hold }
  }
  if (w.to !== undefined) return issue('only with batch; for a ramp give devices: { from, to }', ['to'])
  if (w.devices === undefined) return issue('required: a number of devices or { from, to } (or batch and to, EMU-IoT style)', ['devices'])
  const r = w.rate ?? { from: 1, to: 1 }
  const ramps = w.devices.from !== w.devices.to || r.from !== r.to
  if (ramps && w.rampDuration === undefined) return issue('required when devices or rate go { from, to }, e.g. 60s', ['rampDuration'])
  const rampMs = w.rampDuration ?? 0
  if (rampMs + w.hold <= 0) return issue('rampDuration and hold are both 0: nothing would run; give hold: 30s', ['hold'])
  if (Math.max(w.devices.from, w.devices.to) === 0) return issue('at least one device at some point', ['devices'])
  return { mode: 'ramp', devices: w.devices, ratePerDevice: r, rampMs, holdMs: w.hold }
})

// ---------------------------------------------------------------------------------------------------------------
// burst

export interface BurstWorkloadConfig {
  readonly baseline: { readonly devices: number, readonly ratePerDevice: number }
  readonly burst: {
    readonly multiplier: number
    /** What the burst multiplies: the rate per device, or the devices (a registration storm). */
    readonly of: 'rate' | 'devices'
    readonly durationMs: number
    /** One cycle: baseline for everyMs - durationMs, then the burst. */
    readonly everyMs: number
    readonly repeat: number
  }
  /** Baseline after the last burst, to watch the recovery. */
  readonly recoveryMs: number
  /** Devices join all at once (at the start, and in a device burst) instead of paced at the registration rate. */
  readonly surge: boolean
}

export const burstWorkload = strictObject({
  baseline: strictObject({ devices: devices(1), rate: perDevice().default('1/s') }),
  burst: strictObject({
    multiplier: positiveNumber({ min: 1, max: 1000, what: 'a multiplier' }),
    of: z.enum(['rate', 'devices']).default('rate'),
    duration: duration({ positive: true }),
    every: duration({ positive: true }),
    repeat: devices(1).default(1).pipe(z.number().max(1000, 'expected at most 1000 repeats')),
  }),
  recovery: duration().optional(),
  surge: z.boolean().default(false),
}).transform((w, ctx): BurstWorkloadConfig => {
  const b = w.burst
  if (b.duration >= b.every) {
    ctx.addIssue({ code: 'custom', message: `the burst (${b.duration / 1000} s) must be shorter than its period every (${b.every / 1000} s)`, path: ['burst', 'duration'] })
  }
  if (b.of === 'devices' && Math.ceil(w.baseline.devices * b.multiplier) > MAX_DEVICES) {
    ctx.addIssue({ code: 'custom', message: `${w.baseline.devices} devices x ${b.multiplier} is more than ${MAX_DEVICES.toLocaleString('en-US')} devices`, path: ['burst', 'multiplier'] })
  }
  if (b.of === 'rate' && w.baseline.rate * b.multiplier > MAX_RATE_PER_DEVICE) {
    ctx.addIssue({ code: 'custom', message: `${w.baseline.rate}/s x ${b.multiplier} is more than ${MAX_RATE_PER_DEVICE}/s per device`, path: ['burst', 'multiplier'] })
  }
  return {
    baseline: { devices: w.baseline.devices, ratePerDevice: w.baseline.rate },
    burst: { multiplier: b.multiplier, of: b.of, durationMs: b.duration, everyMs: b.every, repeat: b.repeat },
    recoveryMs: w.recovery ?? b.every - b.duration,
    surge: w.surge,
  }
})

// ---------------------------------------------------------------------------------------------------------------
// step

export interface StepWorkloadConfig {
  readonly steps: ReadonlyArray<{ readonly devices: number, readonly ratePerDevice: number, readonly durationMs: number }>
}

export const stepWorkload = strictObject({
  steps: z.array(strictObject({ devices: devices(0), rate: perDevice().optional(), duration: duration({ positive: true }) }))
    .min(1, 'expected at least one step').max(1000, 'expected at most 1000 steps'),
}).transform((w, ctx): StepWorkloadConfig => {
  let rate = 1
  if (w.steps.every(s => s.devices === 0)) ctx.addIssue({ code: 'custom', message: 'every step has 0 devices: nothing would run', path: ['steps'] })
  // A step without a rate keeps the previous step's (the first: 1/s).
  return { steps: w.steps.map(s => { rate = s.rate ?? rate; return { devices: s.devices, ratePerDevice: rate, durationMs: s.duration } }) }
})

// ---------------------------------------------------------------------------------------------------------------
// capacity

export interface CapacitySlo {
  /** Worst per-second e2e p99 allowed over a plateau, ms. */
  readonly e2eP99Ms?: number
  /** Largest loss (fraction) allowed over a plateau. */
  readonly loss?: number
  /** Consumer lag may not grow faster than this (records/s, least squares over the plateau); 'auto': 5 % of the offered rate, at least 10/s. */
  readonly lagGrowth?: { readonly maxSlope: number | 'auto' }
  /** Mean CPU of one service over the plateau must stay below this percent of one core (EMU-IoT's stop rule). */
  readonly cpu?: { readonly service: string, readonly belowPercent: number }
  /** At least this fraction of the target devices must be registered (default 0.99). */
  readonly registered: number
}

export interface CapacityWorkloadConfig {
  readonly start: number
  readonly maxDevices: number
  readonly growth: { readonly factor: number } | { readonly add: number }
  readonly stepMs: number
  /** The first part of each plateau, not measured (devices joining, caches warming). */
  readonly warmupMs: number
  /** Also not measured, added to the warmup of the plateau after one that broke (the backlog drains). */
  readonly cooldownMs: number
  readonly ratePerDevice: number
  readonly slo: CapacitySlo
  /** The search stops when first breaking - largest sustainable <= resolution x largest sustainable. */
  readonly resolution: number
  /** Safety bound on plateaus. */
  readonly maxPlateaus: number
}

const sloSchema = strictObject({
  'e2e.p99': z.custom<string>(() => true).optional(),
  loss: z.custom<string | number>(() => true).optional(),
  lagGrowth: z.custom<boolean | string | number>(() => true).optional(),
  cpu: strictObject({ service: z.string().min(1), below: fraction({ max: 64, exclusiveMin: true }) }).optional(),
  registered: fraction({ exclusiveMin: true }).default(0.99),
}).default({ 'e2e.p99': '<1s', loss: '<0.1%', lagGrowth: true }).transform((s, ctx): CapacitySlo => {
  const out: { -readonly [K in keyof CapacitySlo]: CapacitySlo[K] } = { registered: s.registered }
  const below = (metric: string, key: string, text: unknown): number | undefined => {
    const r = parseCondition(metric, typeof text === 'number' ? `<${text}` : text)
    if (r.problem !== undefined) { ctx.addIssue({ code: 'custom', message: r.problem, path: [key] }); return undefined }
    if (r.threshold!.op !== '<' && r.threshold!.op !== '<=') { ctx.addIssue({ code: 'custom', message: `expected an upper bound such as "<${r.threshold!.value}", got ${JSON.stringify(text)}`, path: [key] }); return undefined }
    return r.threshold!.value
  }
  if (s['e2e.p99'] !== undefined) out.e2eP99Ms = below('e2e.p99', 'e2e.p99', s['e2e.p99'])
  if (s.loss !== undefined) out.loss = below('loss', 'loss', s.loss)
  if (s.lagGrowth === true) out.lagGrowth = { maxSlope: 'auto' }
  else if (s.lagGrowth !== undefined && s.lagGrowth !== false) {
    const r = rate({ what: 'true or the largest lag growth allowed, such as 100/s' }).safeParse(s.lagGrowth)
    if (r.success) out.lagGrowth = { maxSlope: r.data }
    else ctx.addIssue({ code: 'custom', message: r.error.issues[0]!.message, path: ['lagGrowth'] })
  }
  if (s.cpu !== undefined) out.cpu = { service: s.cpu.service, belowPercent: s.cpu.below * 100 }
  if (s['e2e.p99'] === undefined && s.loss === undefined && (s.lagGrowth === undefined || s.lagGrowth === false) && s.cpu === undefined) {
    ctx.addIssue({ code: 'custom', message: 'expected at least one SLO: e2e.p99, loss, lagGrowth or cpu' })
  }
  return out
})

export const capacityWorkload = strictObject({
  start: devices(1),
  maxDevices: devices(1),
  growth: strictObject({ factor: positiveNumber({ min: 1, max: 100, what: 'a growth factor' }).optional(), add: devices(1).optional() }).default({ factor: 2 }),
  stepDuration: duration({ min: 2000 }).default('30s'),
  warmup: duration().default('10s'),
  cooldown: duration().optional(),
  rate: perDevice().default('1/s'),
  slo: sloSchema,
  resolution: fraction({ max: 0.5, exclusiveMin: true }).default(0.05),
  maxPlateaus: devices(2).default(40).pipe(z.number().max(1000, 'expected at most 1000 plateaus')),
}).transform((w, ctx): CapacityWorkloadConfig => {
  const issue = (message: string, path: string[]): void => { ctx.addIssue({ code: 'custom', message, path }) }
  if (w.maxDevices <= w.start) issue(`must be more than start (${w.start})`, ['maxDevices'])
  if (w.warmup >= w.stepDuration) issue(`must be shorter than stepDuration (${w.stepDuration / 1000} s), leaving seconds to measure`, ['warmup'])
  const g = w.growth
  if ((g.factor === undefined) === (g.add === undefined)) issue('expected one of { factor: 2 } (multiply) or { add: 500 } (add devices)', ['growth'])
  return {
    start: w.start,
    maxDevices: w.maxDevices,
    growth: g.factor !== undefined ? { factor: g.factor } : { add: g.add ?? 1 },
    stepMs: w.stepDuration,
    warmupMs: w.warmup,
    cooldownMs: w.cooldown ?? w.warmup,
    ratePerDevice: w.rate,
    slo: w.slo,
    resolution: w.resolution,
    maxPlateaus: w.maxPlateaus,
  }
})
