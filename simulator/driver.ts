// The simulator's driver contract (house rule 1, docs/architecture.md): one driver per device protocol, registered by name. A driver is
// created once per fleet with the options every device shares, then makes devices with `createDevice(spec, events)`.
// Devices report only through `events` (rule 3): counters and histograms with dotted names (`lwm2m.register.sent`,
// `lwm2m.notify.sent`, `lwm2m.notify.late`, `errors.<code>`) and status changes; they never write results.
// An EventEmitter satisfies DeviceEvents, so outputs subscribe with `events.on('counter', (name, value) => ...)`.
import { createSocket } from 'node:dgram'
import type { Socket } from 'node:dgram'
import { InvalidConfigError } from '../lib/errors.ts'
import { createLwm2mDriver } from './lwm2m/driver.ts'
import type { Lwm2mDriverOptions } from './lwm2m/options.ts'

export type DeviceStatus = 'idle' | 'starting' | 'registering' | 'registered' | 'stopping' | 'stopped' | 'failed'

export interface DeviceEvents {
  emit (event: 'counter', name: string, value: number): unknown
  emit (event: 'histogram', name: string, value: number): unknown
  /** A device changed status; `index` is its DeviceSpec.index. 'failed' is reported at every failed attempt. */
  emit (event: 'status', index: number, status: DeviceStatus): unknown
}

/** What differs from one device to the next; everything else is the driver's shared options. */
export interface DeviceSpec {
  /** Position in the fleet, 0-based and unique per driver: it seeds the device's randomness and keys its state. */
  readonly index: number
  /** The device's name at the server (LWM2M endpoint client name). */
  readonly endpoint: string
  /** Source address of the device's own socket (placement.ts). */
  readonly bindAddress: string
  /** Source port; 0 or absent: an ephemeral port. */
  readonly bindPort?: number
}

export interface Device {
  readonly index: number
  readonly endpoint: string
  readonly status: DeviceStatus
  /** Opens the device's socket and registers; progress is reported through events. */
  start (): void
  /** Deregisters (when registered) and closes the socket; resolves true when that went cleanly, false when given up. */
  stop (): Promise<boolean>
  /** Closes at once, without deregistering (the stop deadline passed). */
  close (): void
}

export interface DeviceDriver {
  readonly protocol: string
  /** Makes the device at `spec.index`; an index may be used again once its previous device has stopped. */
  createDevice (spec: DeviceSpec, events: DeviceEvents): Device
  /** Samples (messages) per second of every device from now on; 0 pauses them. Open model: no catch-up burst. */
  setRate (ratePerS: number): void
  /** Traced messages the device at `index` has sent over the driver's life, across leave and rejoin. */
  sequence (index: number): number
  /** Stops the driver's shared timers; devices must be stopped or closed first. */
  close (): void
}

/** Boundaries a driver uses (house rule 5, docs/architecture.md): clocks, sockets, the run seed. */
export interface DriverContext {
  /** Monotonic milliseconds. */
  readonly now: () => number
  /** Unix milliseconds of a monotonic time (for timestamps on the wire). */
  readonly toWallMs: (monotonicMs: number) => number
  readonly createSocket: () => Socket
  /** Seeds every random choice of every device. */
  readonly seed: number
}

export function defaultDriverContext (seed: number): DriverContext {
  return {
    now: () => performance.now(),
    toWallMs: t => performance.timeOrigin + t,
    createSocket: () => createSocket({ type: 'udp4' }),
    seed,
  }
}

/** Options of each protocol's driver. */
export interface ProtocolOptions {
  lwm2m: Lwm2mDriverOptions
}
export type Protocol = keyof ProtocolOptions

type DriverFactory<P extends Protocol> = (options: ProtocolOptions[P], ctx: DriverContext) => DeviceDriver

const drivers: { readonly [P in Protocol]: DriverFactory<P> } = {
  lwm2m: createLwm2mDriver,
}

export function protocols (): Protocol[] {
  return Object.keys(drivers) as Protocol[]
}

/** The protocol named `name`, or an InvalidConfigError that lists the ones that exist. */
export function protocolNamed (name: string): Protocol {
  if (Object.hasOwn(drivers, name)) return name as Protocol
  throw new InvalidConfigError([`unknown device protocol "${name}" (available: ${protocols().join(', ')})`],
    { hint: `use one of: ${protocols().join(', ')}; HTTP and MQTT devices come later` })
}

export function createDriver<P extends Protocol> (protocol: P, options: ProtocolOptions[P], ctx: DriverContext): DeviceDriver {
  const factory = drivers[protocolNamed(protocol)] as DriverFactory<P>
  return factory(options, ctx)
}
