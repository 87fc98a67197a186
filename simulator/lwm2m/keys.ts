// Small shared pieces of the driver and its devices, kept apart so the modules import each other without cycles.
import type { Socket } from 'node:dgram'
import type { Lwm2mDevice } from './device.ts'
import type { CoapEndpoint } from './endpoint.ts'
import type { Observation } from './observation.ts'

/** A CON message in flight: a request (register, update, deregister) when `obs` is undefined, else a notification. */
export interface Exchange {
  readonly device: Lwm2mDevice
  readonly buf: Buffer
  readonly obs: Observation | undefined
}

/** Tracker and dedup keys: the device index and a message id in one safe integer. */
export function exchangeKey (index: number, mid: number): number {
  return index * 65536 + mid
}

/** The device a socket belongs to, so one shared listener serves every socket. */
export const DEVICE = Symbol('fleetlab.lwm2m.device')
export type DeviceSocket = Socket & { [DEVICE]?: CoapEndpoint | undefined }
