// Observations (RFC 7641; LWM2M 1.1 §6.4) and the notification attributes that pace them (LWM2M 1.1 §5.1.2:
// pmin, pmax, gt, lt, st). Attributes are set by Write-Attributes on an object, instance or resource; the most
// specific level wins, and pmin/pmax fall back to the Server object's Default Minimum/Maximum Period (/1/0/2, /1/0/3).
// Timing: a sensor changes at each sample (the device's rate); an observation is checked at the first sample after
// its last notification and pmin, and forced at pmax. The due time is the intended send time of the notification:
// lateness is counted from it (open model).
import type { Lwm2mPath } from '../../lib/lwm2m/path.ts'

export interface Attributes {
  pmin?: number
  pmax?: number
  gt?: number
  lt?: number
  st?: number
}

export const attributeNames = ['pmin', 'pmax', 'gt', 'lt', 'st'] as const

export class Observation {
  readonly token: Buffer
  readonly path: Lwm2mPath
  /** Sensor slot whose samples change the observed value, -1 when nothing in it changes with the samples. */
  readonly sensor: number
  /** The observed resource id when it is a single numeric sensor resource (5700, 5601, 5602), else -1. */
  readonly resourceId: number
  readonly format: number
  /** Effective attributes, milliseconds for periods; 0 / NaN when unset. */
  pminMs = 0
  pmaxMs = 0
  gt = Number.NaN
  lt = Number.NaN
  st = Number.NaN
  /** Intended time of the last notification (monotonic ms). */
  lastAt: number
  /** Samples after this time are still to be checked (the last notification or the last check without change). */
  checkFrom: number
  /** The observed number at the last notification (NaN when none). */
  lastValue = Number.NaN
  /** Intended time of the next check or notification. */
  due = Infinity
  /** Whether `due` is the pmax deadline (a notification whatever the value). */
  forced = false
  /** Message id of the last notification, to match a Reset (RFC 7641 §3.6). */
  lastMid = -1

  constructor (token: Buffer, path: Lwm2mPath, sensor: number, resourceId: number, format: number, now: number) {
    this.token = token
    this.path = path
    this.sensor = sensor
    this.resourceId = resourceId
    this.format = format
    this.lastAt = now
    this.checkFrom = now
  }

  /** Applies attributes resolved for this path; `defaults` are the server's default periods in seconds. */
  applyAttributes (a: Attributes, defaultPminS: number, defaultPmaxS: number): void {
    this.pminMs = (a.pmin ?? defaultPminS) * 1000
    this.pmaxMs = (a.pmax ?? defaultPmaxS) * 1000
    this.gt = a.gt ?? Number.NaN
    this.lt = a.lt ?? Number.NaN
    this.st = a.st ?? Number.NaN
  }

  /**
   * Sets `due` from lastAt and checkFrom, for a device sampling at t0 + k * periodMs (periodMs Infinity: never).
   * A change sampled before lastAt + pmin is sent at lastAt + pmin.
   */
  schedule (t0: number, periodMs: number): void {
    const pmaxAt = this.pmaxMs > 0 && this.pmaxMs >= this.pminMs ? this.lastAt + this.pmaxMs : Infinity
    let check = Infinity
    if (this.sensor >= 0 && periodMs !== Infinity) check = Math.max(nextSampleAfter(this.checkFrom, t0, periodMs), this.lastAt + this.pminMs)
    this.forced = pmaxAt <= check
    this.due = this.forced ? pmaxAt : check
  }

  /** A notification was sent with intended time `at`. */
  notified (at: number, value: number): void {
    this.lastAt = at
    this.checkFrom = at
    this.lastValue = value
  }

  /** Whether `value` meets the change conditions against the last notified value (§5.1.2 gt, lt, st). */
  shouldNotify (value: number): boolean {
    const last = this.lastValue
    if (Number.isNaN(last)) return true
    if (value === last) return false
    const hasGt = !Number.isNaN(this.gt)
    const hasLt = !Number.isNaN(this.lt)
    const hasSt = !Number.isNaN(this.st)
    if (!hasGt && !hasLt && !hasSt) return true
    if (hasSt && Math.abs(value - last) >= this.st) return true
    if (hasGt && ((last <= this.gt) !== (value <= this.gt))) return true
    if (hasLt && ((last < this.lt) !== (value < this.lt))) return true
    return false
  }
}

// t0 + k * periodMs may round below the exact product: a sample time must map back to its own step.
const EPSILON = 1e-9

/** The first sample time strictly after t; sample k (k >= 1) is taken at t0 + k * periodMs. */
export function nextSampleAfter (t: number, t0: number, periodMs: number): number {
  return t0 + Math.max(1, Math.floor((t - t0) / periodMs + EPSILON) + 1) * periodMs
}

/** The sample step in effect at time t: `base` until t0 + periodMs, then base + 1, base + 2, ... */
export function sampleAt (t: number, t0: number, periodMs: number, base = 0): number {
  return periodMs === Infinity || t < t0 ? base : base + Math.floor((t - t0) / periodMs + EPSILON)
}

/** Path keys from the most general to the most specific: "/3303", "/3303/0", "/3303/0/5700". */
export function attributeKeys (path: Lwm2mPath): string[] {
  const keys: string[] = []
  if (path.objectId === undefined) return keys
  keys.push(`/${path.objectId}`)
  if (path.instanceId === undefined) return keys
  keys.push(`/${path.objectId}/${path.instanceId}`)
  if (path.resourceId === undefined) return keys
  keys.push(`/${path.objectId}/${path.instanceId}/${path.resourceId}`)
  return keys
}

/** Attributes in effect at `path`: each attribute from the most specific level that sets it. */
export function resolveAttributes (stored: ReadonlyMap<string, Attributes> | undefined, path: Lwm2mPath): Attributes {
  const out: Attributes = {}
  if (stored === undefined) return out
  for (const key of attributeKeys(path)) {
    const a = stored.get(key)
    if (a === undefined) continue
    for (const name of attributeNames) if (a[name] !== undefined) out[name] = a[name]
  }
  return out
}
