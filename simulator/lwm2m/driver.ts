// The LWM2M driver: what every virtual device of a fleet shares, so a device itself stays a few hundred bytes plus
// its socket. One timer wheel wakes devices (registration updates, notifications due), one RetransmissionTracker
// retransmits every device's CON messages (RFC 7252 §4.2, §4.8), one DedupCache answers duplicate CON requests from
// the server (§4.5), one sensor store holds every sensor value, and the object tables and the registration links
// payload are built once.
import { DedupCache, RetransmissionTracker } from '../../lib/coap/index.ts'
import { formatRegistrationLinks } from '../../lib/lwm2m/link-format.ts'
import type { DeviceDriver, DeviceEvents, DeviceSpec, DriverContext } from '../driver.ts'
import { TimerWheel } from '../timer-wheel.ts'
import { deviceObjects } from './device-objects.ts'
import type { ObjectEntry } from './device-objects.ts'
import { Lwm2mDevice } from './device.ts'
import type { Exchange } from './keys.ts'
import { DEFAULT_UPDATE_WINDOW } from './options.ts'
import type { Lwm2mDriverOptions } from './options.ts'
import { SensorStore } from './sensors.ts'

/** Content formats the devices announce in the registration's rt="oma.lwm2m" link (LWM2M 1.1 §6.2.1). */
const ANNOUNCED_FORMATS = [110, 112, 11542]

export class Lwm2mDriver implements DeviceDriver {
  readonly protocol = 'lwm2m'
  readonly options: Lwm2mDriverOptions
  readonly ctx: DriverContext
  readonly objects: ReadonlyMap<number, ObjectEntry>
  readonly sensors: SensorStore
  /** The Register payload, the same for every device. */
  readonly links: Buffer
  /** Sampling period of every device in ms (Infinity: rate 0, paused); setRate changes it. */
  periodMs: number
  readonly updateWindow: readonly [number, number]
  readonly wheel: TimerWheel
  readonly tracker: RetransmissionTracker<number, Exchange>
  readonly dedup: DedupCache<number, Buffer>
  private readonly devices: Array<Lwm2mDevice | undefined> = []
  /** Per index: the sequence a device that left had reached, so it continues there when it joins again. */
  private sequences: Float64Array

  constructor (options: Lwm2mDriverOptions, ctx: DriverContext) {
    if (!(options.lifetimeS >= 1)) throw new RangeError(`lifetime must be at least 1 s, got ${options.lifetimeS}`)
    if (!(options.ratePerS >= 0)) throw new RangeError(`rate must not be negative, got ${options.ratePerS}`)
    this.options = options
    this.ctx = ctx
    this.periodMs = periodOf(options.ratePerS)
    this.updateWindow = options.updateWindow ?? DEFAULT_UPDATE_WINDOW
    this.objects = deviceObjects(options.objects)
    // generators turn steps into time with the starting period (a sine's phase); a later rate change keeps the steps
    this.sensors = new SensorStore(options.objects, options.generators ?? {}, this.periodMs === Infinity ? 1 : this.periodMs / 1000,
      ctx.seed, options.capacity ?? 1024)
    this.sequences = new Float64Array(Math.max(1, options.capacity ?? 1024))
    this.links = Buffer.from(formatRegistrationLinks({
      contentFormats: ANNOUNCED_FORMATS,
      objects: [...this.objects.values()].flatMap(o => [
        { objectId: o.def.id, version: o.def.version },
        ...Array.from({ length: o.instances }, (_, i) => ({ objectId: o.def.id, instanceId: i })),
      ]),
    }))
    this.wheel = new TimerWheel({ fire: (id, now) => this.devices[id]?.wake(now), now: ctx.now })
    this.tracker = new RetransmissionTracker<number, Exchange>({
      retransmit: (_key, ex) => ex.device.retransmit(ex.buf),
      giveUp: (_key, ex) => ex.device.gaveUp(ex),
      now: ctx.now,
      ...(options.ackTimeoutMs !== undefined ? { ackTimeoutMs: options.ackTimeoutMs } : {}),
    })
    // §4.5: a duplicate CON request gets the same response again; bounded so a request storm cannot grow it
    this.dedup = new DedupCache<number, Buffer>({ now: ctx.now, maxEntries: 200_000 })
  }

  createDevice (spec: DeviceSpec, events: DeviceEvents): Lwm2mDevice {
    if (!Number.isSafeInteger(spec.index) || spec.index < 0) throw new RangeError(`device index must be a non-negative integer, got ${spec.index}`)
    if (this.devices[spec.index] !== undefined) throw new RangeError(`a device with index ${spec.index} exists already`)
    this.sensors.init(spec.index)
    const device = new Lwm2mDevice(this, spec, events)
    device.seq = this.sequences[spec.index] ?? 0
    this.devices[spec.index] = device
    return device
  }

  /** The sampling rate of every device (per second, 0: paused); each device re-anchors at its next due sample. */
  setRate (ratePerS: number): void {
    if (!(ratePerS >= 0) || !Number.isFinite(ratePerS)) throw new RangeError(`rate must be a finite non-negative number, got ${ratePerS}`)
    const periodMs = periodOf(ratePerS)
    if (periodMs === this.periodMs) return
    this.periodMs = periodMs
    const now = this.ctx.now()
    for (const d of this.devices) d?.rebase(now, periodMs)
  }

  get ratePerS (): number {
    return this.periodMs === Infinity ? 0 : 1000 / this.periodMs
  }

  /** Traced notifications the device at `index` has sent over the driver's life (its next sequence number). */
  sequence (index: number): number {
    return this.devices[index]?.seq ?? this.sequences[index] ?? 0
  }

  /** Called by a device when it is closed for good. */
  forget (index: number): void {
    const device = this.devices[index]
    if (device !== undefined) {
      if (index >= this.sequences.length) {
        const bigger = new Float64Array(Math.max(index + 1, this.sequences.length * 2))
        bigger.set(this.sequences)
        this.sequences = bigger
      }
      this.sequences[index] = device.seq
    }
    this.devices[index] = undefined
    this.wheel.cancel(index)
  }

  close (): void {
    this.wheel.close()
    this.tracker.close()
    this.dedup.clear()
  }
}

function periodOf (ratePerS: number): number {
  return ratePerS > 0 ? 1000 / ratePerS : Infinity
}

export function createLwm2mDriver (options: Lwm2mDriverOptions, ctx: DriverContext): Lwm2mDriver {
  return new Lwm2mDriver(options, ctx)
}
