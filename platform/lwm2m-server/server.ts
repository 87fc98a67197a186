// fleetlab's LWM2M server (LWM2M 1.1 over CoAP/UDP) on node-coap: the registration interface on node-coap's Server,
// device management through node-coap's Agent, both on one UDP socket (coap-socket.ts), notifications on lib/coap
// (observations.ts). Devices are told apart by address:port. It emits events and counters; it writes no results.
import { EventEmitter } from 'node:events'
import { isIPv6 } from 'node:net'
import type { AddressInfo } from 'node:net'
import { Agent, createServer } from 'coap'
import type { Server as CoapServer } from 'coap'
import { defaultRegistry } from '../../lib/lwm2m/model.ts'
import type { Lwm2mNode, ObjectInstance, ObjectRegistry } from '../../lib/lwm2m/model.ts'
import { formatPath, parsePath } from '../../lib/lwm2m/path.ts'
import type { Lwm2mPath } from '../../lib/lwm2m/path.ts'
import { SharedCoapSocket } from './coap-socket.ts'
import { DeviceRequester } from './device-requests.ts'
import { DeviceManagement } from './management.ts'
import type { DeviceResponse, ObserveOptions } from './management.ts'
import { Counters } from './metrics.ts'
import type { MetricsSnapshot } from './metrics.ts'
import { ObservationTable } from './observations.ts'
import type { Notification, Observation } from './observations.ts'
import { handleRegistrationRequest } from './registration-interface.ts'
import { RegistrationStore } from './registration-store.ts'
import type { Registration, RegistrationChanges } from './registration-store.ts'

/** Observed as soon as a device registers the object instance (issue 3: IPSO sensor values). */
export const defaultAutoObserve: readonly string[] = ['/3303/0/5700', '/3304/0/5700', '/3301/0/5700', '/3315/0/5700']

export interface Lwm2mServerOptions {
  /** Default 127.0.0.1; an IPv6 address makes it a udp6 server. */
  host?: string
  /** Default 5683; 0 picks a free port. */
  port?: number
  /** Paths observed when a device registers their object (instance); [] turns auto-observe off. */
  autoObserve?: readonly string[]
  /** Accept of Observe requests: a content format id, or 'auto' (SenML as announced, TLV for 1.0 clients). */
  observeFormat?: number | 'auto'
  /** How long a request to a device may take, retransmissions included. Default 30 s. */
  requestTimeoutMs?: number
  /** Extra time after a lifetime before the registration is removed. Default 0. */
  expiryGraceMs?: number
  /** Default 1000 ms. */
  sweepIntervalMs?: number
  /** Kernel receive buffer of the socket. Default 4 MiB (the kernel may cap it at net.core.rmem_max). */
  recvBufferSize?: number
  /** Bytes of responses node-coap keeps to answer retransmitted requests (RFC 7252 §4.5). Default 64 KiB (below). */
  responseCacheBytes?: number
  registry?: ObjectRegistry
  now?: () => number
}

export interface Lwm2mServerEvents {
  registered: [registration: Registration, replaced: Registration | undefined]
  updated: [registration: Registration, changes: RegistrationChanges]
  deregistered: [registration: Registration]
  expired: [registration: Registration]
  notification: [notification: Notification]
  observationEnded: [observation: Observation, reason: string]
}

export type { DeviceResponse, Notification, Observation, Registration }

const EMPTY = Buffer.alloc(0)

/**
 * node-coap's Server keeps every response it sends for EXCHANGE_LIFETIME (247 s), to answer a retransmitted request
 * again (RFC 7252 §4.5), up to 32 MiB of response bytes by default. Each entry also holds the request, the response
 * stream and a 202 s timer, ~4 KB of heap (measured), so that bound is ~500,000 entries, gigabytes: 1,000 requests a
 * second (a registration storm, a peer sending junk) grew the heap ~4 MB a second (fuzz.test.ts: +136 MB over 90,000
 * datagrams). 64 KiB holds ~3,000 Register replies (2.01, ~20 bytes; a few MB of heap): a Register retransmitted after
 * its reply left the cache is registered again (the endpoint's registration is replaced), an event, not a lost device.
 */
const RESPONSE_CACHE_BYTES = 64 << 10

export class Lwm2mServer extends EventEmitter<Lwm2mServerEvents> {
  readonly metrics = new Counters()
  readonly registrations: RegistrationStore
  readonly #options: Required<Omit<Lwm2mServerOptions, 'registry'>> & { registry: ObjectRegistry }
  readonly #autoObserve: Lwm2mPath[]
  readonly #gauges = new Map<string, () => number>()
  readonly #observations: ObservationTable
  #socket: SharedCoapSocket | undefined
  #coap: CoapServer | undefined
  #agent: Agent | undefined
  #requester: DeviceRequester | undefined
  #management: DeviceManagement | undefined
  #sweeper: NodeJS.Timeout | undefined
  #address: AddressInfo | undefined

  constructor (options: Lwm2mServerOptions = {}) {
    super()
    this.#options = {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 5683,
      autoObserve: options.autoObserve ?? defaultAutoObserve,
      observeFormat: options.observeFormat ?? 'auto',
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      expiryGraceMs: options.expiryGraceMs ?? 0,
      sweepIntervalMs: options.sweepIntervalMs ?? 1000,
      recvBufferSize: options.recvBufferSize ?? 4 << 20,
      responseCacheBytes: options.responseCacheBytes ?? RESPONSE_CACHE_BYTES,
      registry: options.registry ?? defaultRegistry,
      now: options.now ?? Date.now,
    }
    this.#autoObserve = this.#options.autoObserve.map(p => parsePath(p))
    this.registrations = new RegistrationStore(this.#options.now)
    this.#observations = new ObservationTable(this.metrics, {
      send: (buf, port, address) => this.#socket?.send(buf, port, address),
      notification: n => this.emit('notification', n),
      ended: (o, reason) => this.emit('observationEnded', o, reason),
    }, { registry: this.#options.registry, strict: false }, this.#options.now)
    this.addGauge('lwm2m.registrations', () => this.registrations.size)
    this.addGauge('lwm2m.observations', () => this.#observations.size)
  }

  async start (): Promise<AddressInfo> {
    if (this.#socket !== undefined) throw new Error('the LWM2M server is already started')
    const o = this.#options
    const socket = new SharedCoapSocket({
      type: isIPv6(o.host) ? 'udp6' : 'udp4',
      metrics: this.metrics,
      recvBufferSize: o.recvBufferSize,
      notification: (msg, rinfo) => this.#observations.handle(msg, rinfo),
    })
    this.#socket = socket
    try {
      this.#address = await socket.bind(o.port, o.host)
    } catch (err) {
      this.#socket = undefined
      await socket.close()
      throw err
    }
    const agent = new Agent({ socket: socket.agentSide })
    socket.agentIdInUse = id => agent._msgIdToReq.has(id)
    this.#agent = agent
    this.#requester = new DeviceRequester(agent, this.metrics, o.requestTimeoutMs)
    this.#management = new DeviceManagement(this.#requester, this.#observations, { registry: o.registry, strict: false }, o.observeFormat, o.now)
    const ctx = {
      store: this.registrations,
      metrics: this.metrics,
      events: {
        registered: (reg: Registration, replaced: Registration | undefined) => this.#registered(reg, replaced),
        updated: (reg: Registration, changes: RegistrationChanges) => this.#updated(reg, changes),
        deregistered: (reg: Registration) => { this.#observations.dropRegistration(reg.id); this.emit('deregistered', reg) },
      },
    }
    this.#coap = createServer({ type: isIPv6(o.host) ? 'udp6' : 'udp4', cacheSize: o.responseCacheBytes }, (req, res) => handleRegistrationRequest(ctx, req, res))
    this.#coap.listen(socket.serverSide)
    this.#sweeper = setInterval(() => this.#expire(), o.sweepIntervalMs)
    this.#sweeper.unref()
    return this.#address
  }

  async stop (): Promise<void> {
    clearInterval(this.#sweeper)
    this.#requester?.close()
    this.#coap?.close()
    this.#agent?.close()
    await this.#socket?.close()
    this.#socket = undefined
  }

  address (): AddressInfo {
    if (this.#address === undefined) throw new Error('the LWM2M server is not started')
    return this.#address
  }

  /** Adds a gauge to the snapshot (the Kafka bridge adds its queue). */
  addGauge (name: string, read: () => number): void {
    this.#gauges.set(name, read)
  }

  snapshot (): MetricsSnapshot {
    const gauges: Record<string, number> = {}
    for (const [name, read] of this.#gauges) gauges[name] = read()
    return { at: this.#options.now(), counters: this.metrics.snapshot(), gauges }
  }

  registration (endpoint: string): Registration | undefined {
    return this.registrations.byEndpoint(endpoint)
  }

  observations (endpoint?: string): Observation[] {
    if (endpoint === undefined) return [...this.#observations.all()]
    const reg = this.registrations.byEndpoint(endpoint)
    return reg === undefined ? [] : this.#observations.of(reg.id)
  }

  read (endpoint: string, path: string | Lwm2mPath, options: { format?: number } = {}): Promise<DeviceResponse> {
    return this.#with(endpoint, (m, reg) => m.read(reg, toPath(path), options.format))
  }

  discover (endpoint: string, path: string | Lwm2mPath): Promise<DeviceResponse> {
    return this.#with(endpoint, (m, reg) => m.discover(reg, toPath(path)))
  }

  write (endpoint: string, path: string | Lwm2mPath, node: Lwm2mNode, options: { mode?: 'replace' | 'update', format?: number } = {}): Promise<DeviceResponse> {
    return this.#with(endpoint, (m, reg) => m.write(reg, toPath(path), node, options.mode ?? 'replace', options.format))
  }

  writeAttributes (endpoint: string, path: string | Lwm2mPath, attributes: string): Promise<DeviceResponse> {
    return this.#with(endpoint, (m, reg) => m.writeAttributes(reg, toPath(path), attributes))
  }

  execute (endpoint: string, path: string | Lwm2mPath, args?: string): Promise<DeviceResponse> {
    return this.#with(endpoint, (m, reg) => m.execute(reg, toPath(path), args))
  }

  create (endpoint: string, objectPath: string | Lwm2mPath, instance: ObjectInstance, options: { format?: number } = {}): Promise<DeviceResponse> {
    return this.#with(endpoint, (m, reg) => m.create(reg, toPath(objectPath), instance, options.format))
  }

  delete (endpoint: string, path: string | Lwm2mPath): Promise<DeviceResponse> {
    return this.#with(endpoint, (m, reg) => m.delete(reg, toPath(path)))
  }

  observe (endpoint: string, path: string | Lwm2mPath, options: ObserveOptions = {}): Promise<DeviceResponse> {
    return this.#with(endpoint, (m, reg) => m.observe(reg, toPath(path), options))
  }

  /** Cancels the endpoint's observations of `path` ("/" for all); resolves to how many were cancelled. */
  async cancelObservation (endpoint: string, path: string | Lwm2mPath): Promise<number> {
    const reg = this.registrations.byEndpoint(endpoint)
    if (reg === undefined || this.#management === undefined) return 0
    const n = await this.#management.cancel(reg, toPath(path))
    this.metrics.inc('lwm2m.observe.cancelled', n)
    return n
  }

  #with (endpoint: string, op: (m: DeviceManagement, reg: Registration) => Promise<DeviceResponse>): Promise<DeviceResponse> {
    const reg = this.registrations.byEndpoint(endpoint)
    if (reg === undefined || this.#management === undefined) {
      this.metrics.inc('lwm2m.request.unknown_endpoint')
      return Promise.resolve({ outcome: 'unknown-endpoint', code: '', payload: EMPTY, locationPath: [], error: `endpoint ${JSON.stringify(endpoint)} is not registered` })
    }
    return op(this.#management, reg)
  }

  #registered (reg: Registration, replaced: Registration | undefined): void {
    if (replaced !== undefined) this.#observations.dropRegistration(replaced.id)
    this.emit('registered', reg, replaced)
    this.#observeAuto(reg)
  }

  #updated (reg: Registration, changes: RegistrationChanges): void {
    // Notifications are matched by source address: observations from an old address are gone with it.
    for (const o of this.#observations.of(reg.id)) if (o.address !== reg.address || o.port !== reg.port) this.#observations.remove(o)
    this.emit('updated', reg, changes)
    this.#observeAuto(reg)
  }

  #expire (): void {
    for (const reg of this.registrations.expire(this.#options.expiryGraceMs)) {
      this.#observations.dropRegistration(reg.id)
      this.metrics.inc('lwm2m.expire')
      this.emit('expired', reg)
    }
  }

  /** Observes, one after the other (RFC 7252 §4.7 NSTART 1), the auto-observe paths the device has and we lack. */
  #observeAuto (reg: Registration): void {
    const objects = reg.links?.objects ?? []
    const observed = new Set(this.#observations.of(reg.id).map(o => o.pathText))
    const due = this.#autoObserve.filter(p => !observed.has(formatPath(p)) &&
      objects.some(o => o.objectId === p.objectId && (p.instanceId === undefined || o.instanceId === p.instanceId)))
    if (due.length === 0 || this.#management === undefined) return
    const management = this.#management
    void (async () => {
      for (const path of due) {
        if (this.registrations.byId(reg.id) !== reg || this.#socket === undefined) return
        const r = await management.observe(reg, path, { auto: true, ticket: 'auto-observe' })
        this.metrics.inc(r.observation !== undefined ? 'lwm2m.observe.auto' : 'lwm2m.observe.auto_failed')
      }
    })().catch(() => this.metrics.inc('lwm2m.observe.auto_failed'))
  }
}

function toPath (path: string | Lwm2mPath): Lwm2mPath {
  return typeof path === 'string' ? parsePath(path) : path
}
