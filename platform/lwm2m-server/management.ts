// Device Management and Information Reporting towards a registered device (LWM2M 1.1 §6.3, §6.4; CoAP mapping §8.2.x):
//   Read GET (Accept) · Discover GET Accept 40 · Write PUT (replace) / POST (partial update) · Write-Attributes PUT ?pmin=..
//   Execute POST · Create POST /{object} · Delete DELETE · Observe GET Observe 0 · Cancel GET Observe 1 (proactive)
// Content formats: what the caller asks for; otherwise for Observe the SenML format the device announced (so the
// fleetlab trace rides along), for Write/Create TLV unless the device announced formats without it.
import { encodeNode, decodeNode } from '../../lib/lwm2m/content-format.ts'
import { isLwm2mFormatError } from '../../lib/lwm2m/errors.ts'
import { objectNode } from '../../lib/lwm2m/model.ts'
import type { DecodeOptions, Lwm2mNode, ObjectInstance } from '../../lib/lwm2m/model.ts'
import { formatPath, makePath, pathDepth } from '../../lib/lwm2m/path.ts'
import type { Lwm2mPath } from '../../lib/lwm2m/path.ts'
import type { DeviceReply, DeviceRequest, DeviceRequester } from './device-requests.ts'
import type { Observation, ObservationTable } from './observations.ts'
import type { Registration } from './registration-store.ts'

export type Operation = 'read' | 'discover' | 'write' | 'writeAttributes' | 'execute' | 'create' | 'delete' | 'observe' | 'observeCancel'

export interface DeviceResponse extends DeviceReply {
  /** The content of a successful Read or Observe, decoded (absent when undecodable: see decodeError). */
  node?: Lwm2mNode
  decodeError?: string
  /** The observation an Observe established. */
  observation?: Observation
}

export interface ObserveOptions {
  format?: number
  /** Correlates the notifications with the request that made them (Avro `ticket`). */
  ticket?: string
  auto?: boolean
}

export const TEXT = 0
export const LINK_FORMAT = 40
export const SENML_JSON = 110
export const SENML_CBOR = 112
export const TLV = 11542

export class DeviceManagement {
  readonly #requester: DeviceRequester
  readonly #observations: ObservationTable
  readonly #decode: DecodeOptions
  readonly #observeFormat: number | 'auto'
  readonly #now: () => number

  constructor (requester: DeviceRequester, observations: ObservationTable, decode: DecodeOptions, observeFormat: number | 'auto', now: () => number) {
    this.#requester = requester
    this.#observations = observations
    this.#decode = decode
    this.#observeFormat = observeFormat
    this.#now = now
  }

  async read (reg: Registration, path: Lwm2mPath, format?: number): Promise<DeviceResponse> {
    const reply = await this.#send(reg, 'read', { method: 'GET', path: formatPath(path), ...(format !== undefined ? { accept: format } : {}) })
    return this.#decoded(reply, path)
  }

  discover (reg: Registration, path: Lwm2mPath): Promise<DeviceResponse> {
    return this.#send(reg, 'discover', { method: 'GET', path: formatPath(path), accept: LINK_FORMAT })
  }

  /** Replace (PUT) or, on an object instance, partial update (POST) (LWM2M 1.1 §6.3.3). */
  write (reg: Registration, path: Lwm2mPath, node: Lwm2mNode, mode: 'replace' | 'update', format?: number): Promise<DeviceResponse> {
    const contentFormat = format ?? writeFormat(reg, node)
    return this.#send(reg, 'write', { method: mode === 'replace' ? 'PUT' : 'POST', path: formatPath(path), contentFormat, payload: encodeNode(contentFormat, path, node) })
  }

  /** `attributes` as the query: "pmin=10&pmax=60" (LWM2M 1.1 §5.1.2, §6.3.4). */
  writeAttributes (reg: Registration, path: Lwm2mPath, attributes: string): Promise<DeviceResponse> {
    return this.#send(reg, 'writeAttributes', { method: 'PUT', path: formatPath(path), query: attributes.replace(/^\?/, '') })
  }

  execute (reg: Registration, path: Lwm2mPath, args?: string): Promise<DeviceResponse> {
    return this.#send(reg, 'execute', { method: 'POST', path: formatPath(path), ...(args !== undefined && args !== '' ? { payload: Buffer.from(args) } : {}) })
  }

  /** Creates `instance` under `objectPath` (/3303); the new instance's path is in the reply's Location-Path. */
  create (reg: Registration, objectPath: Lwm2mPath, instance: ObjectInstance, format?: number): Promise<DeviceResponse> {
    const node = objectNode(objectPath.objectId!, [instance])
    const contentFormat = format ?? writeFormat(reg, node)
    return this.#send(reg, 'create', { method: 'POST', path: formatPath(objectPath), contentFormat, payload: encodeNode(contentFormat, makePath(objectPath.objectId), node) })
  }

  delete (reg: Registration, path: Lwm2mPath): Promise<DeviceResponse> {
    return this.#send(reg, 'delete', { method: 'DELETE', path: formatPath(path) })
  }

  async observe (reg: Registration, path: Lwm2mPath, options: ObserveOptions = {}): Promise<DeviceResponse> {
    const accept = options.format ?? (this.#observeFormat === 'auto' ? observeFormat(reg) : this.#observeFormat)
    const reply = await this.#send(reg, 'observe', { method: 'GET', path: formatPath(path), accept, observe: 0 })
    const response = this.#decoded(reply, path)
    if (reply.outcome !== 'response' || !reply.code.startsWith('2.') || reply.observe === undefined || reply.token === undefined) return response
    const now = this.#now()
    const observation: Observation = {
      id: reply.token.toString('hex'), token: reply.token, registrationId: reg.id, endpoint: reg.endpoint,
      address: reg.address, port: reg.port, path, pathText: formatPath(path), format: accept,
      ticket: options.ticket ?? 'auto-observe', auto: options.auto === true, startedAt: now,
      lastObserve: reply.observe, lastAt: now, notifications: 0, recentIds: [],
    }
    // A device keeps one observation per path for a server (Leshan's client replaces it): the older one is stale.
    for (const o of this.#observations.of(reg.id)) if (o.pathText === observation.pathText) this.#observations.remove(o)
    this.#observations.add(observation)
    this.#observations.deliver(observation, reply.contentFormat, reply.payload, reply.observe, true)
    return { ...response, observation }
  }

  /** Cancels the observations of `path` (all of the registration's with "/"): forgotten here, then GET Observe 1. */
  async cancel (reg: Registration, path: Lwm2mPath): Promise<number> {
    const all = pathDepth(path) === 0
    const text = formatPath(path)
    const matching = this.#observations.of(reg.id).filter(o => all || o.pathText === text)
    for (const o of matching) this.#observations.remove(o)
    // Proactive cancel (RFC 7641 §3.6); a device that does not answer still gets RST for its next notification.
    await Promise.all(matching.map(o => this.#send(reg, 'observeCancel', { method: 'GET', path: o.pathText, observe: 1, token: o.token })))
    return matching.length
  }

  #send (reg: Registration, kind: Operation, request: DeviceRequest): Promise<DeviceReply> {
    return this.#requester.send({ address: reg.address, port: reg.port }, request, kind)
  }

  #decoded (reply: DeviceReply, path: Lwm2mPath): DeviceResponse {
    if (reply.code !== '2.05' || reply.payload.length === 0 || reply.contentFormat === LINK_FORMAT) return reply
    try {
      return { ...reply, node: decodeNode(reply.contentFormat ?? TEXT, path, reply.payload, this.#decode) }
    } catch (err) {
      if (!isLwm2mFormatError(err)) throw err
      return { ...reply, decodeError: err.message }
    }
  }
}

/** SenML for observations (the trace needs it): JSON or CBOR as announced; TLV only for a 1.0 client without SenML. */
export function observeFormat (reg: Registration): number {
  const ct = reg.links?.contentFormats ?? []
  if (ct.includes(SENML_JSON)) return SENML_JSON
  if (ct.includes(SENML_CBOR)) return SENML_CBOR
  if (ct.includes(TLV) || reg.lwm2mVersion === '1.0') return TLV
  return SENML_JSON
}

/** TLV unless the client announced formats without it; text/plain cannot carry more than one resource. */
export function writeFormat (reg: Registration, node: Lwm2mNode): number {
  const ct = reg.links?.contentFormats ?? []
  if (ct.length === 0 || ct.includes(TLV)) return TLV
  if (ct.includes(SENML_JSON)) return SENML_JSON
  if (ct.includes(SENML_CBOR)) return SENML_CBOR
  return node.kind === 'single' ? TEXT : TLV
}
