// What a request handler returns, and the per-request view of a device that reads and writes share.
import { Code } from '../../lib/coap/index.ts'
import type { Lwm2mPath } from '../../lib/lwm2m/path.ts'
import { writeKey } from './device-objects.ts'
import type { ObjectEntry, ReadContext } from './device-objects.ts'
import type { Lwm2mDevice } from './device.ts'
import type { Reply } from './messages.ts'

/** Work that must wait until the reply is on the wire. */
export type After = 'reboot' | 'factoryReset' | 'update' | undefined
export interface Outcome { readonly reply: Reply, readonly after?: After }

export const reply = (code: number): Outcome => ({ reply: { code } })

/** The device's values as of monotonic time `t`. */
export function readContext (d: Lwm2mDevice, t: number): ReadContext {
  const { driver } = d
  return {
    index: d.index, endpoint: d.endpoint, lifetimeS: d.lifetimeS, sample: d.sampleAt(t),
    sensors: driver.sensors, wallMs: driver.ctx.toWallMs(t), writes: d.writes,
  }
}

/** Server defaults for pmin / pmax in seconds (/1/0/2, /1/0/3; 0 when unset). */
export function defaultPeriods (d: Lwm2mDevice): [number, number] {
  return [Number(d.writes?.get(writeKey(1, 0, 2)) ?? 0), Number(d.writes?.get(writeKey(1, 0, 3)) ?? 0)]
}

/** Why a path has no value: 4.05 for an executable resource, 4.04 for one the device does not have. */
export function noValue (o: ObjectEntry, path: Lwm2mPath): Outcome {
  return reply(o.resources.get(path.resourceId ?? -1)?.def.type === 'none' ? Code.METHOD_NOT_ALLOWED : Code.NOT_FOUND)
}

/** The reply format: Accept when the device can produce it for this node, else the driver's default. */
export function replyFormat (d: Lwm2mDevice, acc: number | undefined): number | undefined {
  if (acc === undefined) return d.driver.options.format
  return acc === 0 || acc === 110 || acc === 112 || acc === 11542 ? acc : undefined
}
