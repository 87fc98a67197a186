// What every device of one LWM2M driver shares: the server, lifetime, sampling rate, formats and objects.
// Validated once by the caller (the CLI or an experiment); the driver only fills in defaults.
import type { GeneratorSpec } from '../generators.ts'

/** IPSO sensor objects a virtual device can carry (besides the mandatory 1 Server and 3 Device). */
export const sensorObjectIds = [3303, 3304, 3301, 3315] as const

/** Notification and default read formats: SenML JSON (110), SenML CBOR (112), TLV (11542, carries no trace). */
export type NotifyFormat = 110 | 112 | 11542

export interface Lwm2mDriverOptions {
  readonly server: { readonly host: string, readonly port: number }
  /** Registration lifetime in seconds (LWM2M 1.1 §6.2.1 `lt`). */
  readonly lifetimeS: number
  /** Sensor samples per second per device; each sample that changes an observed value makes a notification due. 0: never. */
  readonly ratePerS: number
  /** Format of notifications and reads when the server sends no Accept. */
  readonly format: NotifyFormat
  /** Sensor objects and their instance counts, e.g. [{ objectId: 3303, instances: 1 }]. */
  readonly objects: ReadonlyArray<{ readonly objectId: number, readonly instances: number }>
  readonly generators?: Readonly<Partial<Record<number, GeneratorSpec>>>
  /** Notifications as CON (retransmitted per RFC 7252 §4.8) instead of NON. */
  readonly confirmable?: boolean
  /** Add the fleetlab trace (lib/lwm2m/trace.ts) to SenML notifications; default true. */
  readonly trace?: boolean
  /** The update is sent at a random point in this fraction of the lifetime (default [0.8, 0.9]). */
  readonly updateWindow?: readonly [number, number]
  /** LWM2M version in the register query (default "1.1"). */
  readonly lwm2mVersion?: string
  /** RFC 7252 §4.8 ACK_TIMEOUT in ms (default 2000); shorter only for tests against a known-dead server. */
  readonly ackTimeoutMs?: number
  /** Devices the driver expects, to size its tables once (they grow when exceeded). */
  readonly capacity?: number
}

export const DEFAULT_LIFETIME_S = 60
export const DEFAULT_UPDATE_WINDOW: readonly [number, number] = [0.8, 0.9]
/** A late notification: sent more than this after its intended time (docs/architecture.md, measurement rules: open model). */
export const LATE_MS = 10
