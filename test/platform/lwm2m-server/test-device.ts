// A small LWM2M client made of lib/coap messages over its own UDP socket, for the server's tests: it registers,
// answers Read (any Accept it can encode), Discover, Write, Write-Attributes, Execute, Create, Delete and Observe on
// /1/0, /3/0 and /3303/0, and sends notifications (traced SenML when the observer accepts SenML).
import { createSocket } from 'node:dgram'
import type { Socket } from 'node:dgram'
import {
  Code, ContentFormat as CF, MessageIdGenerator, OptionNumber, TokenGenerator, accept, contentFormat, decode, encode, encodeEmpty,
  isRequestCode, locationPath, observe, stringOption, uintOption, uriPath, uriPathOptions, uriQuery, uriQueryOptions,
} from '../../../lib/coap/index.ts'
import type { CoapMessage, CoapOption, CoapType } from '../../../lib/coap/index.ts'
import { decodeNode, encodeNode } from '../../../lib/lwm2m/content-format.ts'
import { multipleResource, objectInstance, objectNode, singleResource } from '../../../lib/lwm2m/model.ts'
import type { Lwm2mNode, ObjectInstance, ObjectNode } from '../../../lib/lwm2m/model.ts'
import { formatPath, pathDepth, pathFromSegments } from '../../../lib/lwm2m/path.ts'
import type { Lwm2mPath } from '../../../lib/lwm2m/path.ts'
import { encodeTracedNotification } from '../../../lib/lwm2m/trace.ts'

export interface TestDeviceOptions {
  server: { host: string, port: number }
  endpoint: string
  lifetimeS?: number
  lwm2mVersion?: string
  links?: string
  /** Read format when the server sends no Accept (default TLV). */
  format?: number
}

interface Observer { token: Buffer, format: number, path: Lwm2mPath, seq: number }
export interface ReceivedRequest { method: number, path: string, query: Record<string, string>, format?: number, accept?: number, payload?: Buffer, node?: Lwm2mNode }

export class TestDevice {
  readonly endpoint: string
  readonly socket: Socket
  readonly received: ReceivedRequest[] = []
  readonly observers = new Map<string, Observer>()
  /** Registration location (["rd", id]) after register(). */
  location: string[] = []
  traceSeq = 0
  /** RSTs the server sent for notifications. */
  resets = 0
  readonly #opts: TestDeviceOptions
  readonly #ids = new MessageIdGenerator()
  readonly #tokens = new TokenGenerator(4)
  readonly #waiting = new Map<string, (m: CoapMessage) => void>()
  readonly #objects = new Map<number, ObjectNode>()
  /** Message id of each notification sent -> its path, to match an RST. */
  readonly #notified = new Map<number, string>()
  #temperature = 21.5

  private constructor (opts: TestDeviceOptions, socket: Socket) {
    this.#opts = opts
    this.endpoint = opts.endpoint
    this.socket = socket
    this.#setObjects()
    socket.on('message', buf => this.#onMessage(buf))
  }

  static async start (opts: TestDeviceOptions): Promise<TestDevice> {
    const socket = createSocket('udp4')
    await new Promise<void>(resolve => socket.bind(0, '127.0.0.1', () => resolve()))
    return new TestDevice(opts, socket)
  }

  get port (): number { return this.socket.address().port }
  get registrationId (): string { return this.location[1] ?? '' }

  /** Sends a request to the server and resolves with its response (piggybacked or separate). */
  request (code: number, path: string, options: { query?: Record<string, string | number | undefined>, payload?: Buffer, format?: number, type?: CoapType, timeoutMs?: number } = {}): Promise<CoapMessage> {
    const token = this.#tokens.next()
    const opts: CoapOption[] = [...uriPathOptions(path), ...uriQueryOptions(options.query ?? {})]
    if (options.format !== undefined) opts.push(uintOption(OptionNumber.CONTENT_FORMAT, options.format))
    const buf = encode({ type: options.type ?? 'CON', code, messageId: this.#ids.next(), token, options: opts, payload: options.payload })
    return new Promise((resolve, reject) => {
      const key = token.toString('hex')
      const timer = setTimeout(() => { this.#waiting.delete(key); reject(new Error(`no response to ${path} within ${options.timeoutMs ?? 5000} ms`)) }, options.timeoutMs ?? 5000)
      this.#waiting.set(key, m => { clearTimeout(timer); resolve(m) })
      this.send(buf)
    })
  }

  async register (query: Record<string, string | number | undefined> = {}, links = this.#opts.links ?? '</1/0>,</3/0>,</3303/0>'): Promise<CoapMessage> {
    const res = await this.request(Code.POST, '/rd', {
      query: { ep: this.endpoint, lt: this.#opts.lifetimeS ?? 60, lwm2m: this.#opts.lwm2mVersion ?? '1.1', b: 'U', ...query },
      payload: Buffer.from(links), format: CF.LINK_FORMAT,
    })
    if (res.code === Code.CREATED) this.location = locationPath(res)
    return res
  }

  update (query: Record<string, string | number | undefined> = {}, payload?: string): Promise<CoapMessage> {
    return this.request(Code.POST, `/rd/${this.registrationId}`, { query, ...(payload !== undefined ? { payload: Buffer.from(payload), format: CF.LINK_FORMAT } : {}) })
  }

  deregister (): Promise<CoapMessage> {
    return this.request(Code.DELETE, `/rd/${this.registrationId}`)
  }

  send (buf: Buffer): void {
    this.socket.send(buf, this.#opts.server.port, this.#opts.server.host)
  }

  setTemperature (value: number): void {
    this.#temperature = value
    this.#setObjects()
  }

  /** Sends a notification of `path` to its observer; returns the message id, or undefined when nobody observes it. */
  notify (path: string, options: { confirmable?: boolean, trace?: boolean } = {}): number | undefined {
    const o = this.observers.get(path)
    if (o === undefined) return undefined
    const node = this.nodeAt(o.path)!
    const traced = options.trace !== false && (o.format === CF.SENML_JSON || o.format === CF.SENML_CBOR)
    const payload = traced
      ? encodeTracedNotification(o.format, o.path, node, { seq: this.traceSeq++, sentAtMs: Date.now(), deviceId: this.endpoint })
      : encodeNode(o.format, o.path, node)
    const messageId = this.#ids.next()
    this.#notified.set(messageId, path)
    this.send(encode({
      type: options.confirmable === true ? 'CON' : 'NON', code: Code.CONTENT, messageId, token: o.token,
      options: [uintOption(OptionNumber.OBSERVE, ++o.seq), uintOption(OptionNumber.CONTENT_FORMAT, o.format)], payload,
    }))
    return messageId
  }

  nodeAt (path: Lwm2mPath): Lwm2mNode | undefined {
    const object = this.#objects.get(path.objectId ?? -1)
    if (object === undefined || path.instanceId === undefined) return object
    const instance = object.instances.get(path.instanceId)
    if (instance === undefined || path.resourceId === undefined) return instance
    return instance.resources.get(path.resourceId)
  }

  async close (): Promise<void> {
    await new Promise<void>(resolve => this.socket.close(() => resolve()))
  }

  #setObjects (): void {
    const device = objectInstance(0, [
      singleResource(0, 'string', 'fleetlab'), singleResource(1, 'string', 'test-device'), singleResource(2, 'string', this.endpoint),
      singleResource(3, 'string', '1.0.0'), singleResource(9, 'integer', 87), multipleResource(11, 'integer', [0]),
      singleResource(16, 'string', 'U'),
    ])
    const temperature = objectInstance(0, [singleResource(5700, 'float', this.#temperature), singleResource(5701, 'string', 'Cel')])
    const server = objectInstance(0, [singleResource(0, 'integer', 1), singleResource(1, 'integer', this.#opts.lifetimeS ?? 60),
      singleResource(6, 'boolean', false), singleResource(7, 'string', 'U')])
    const extra = [...(this.#objects.get(3303)?.instances.values() ?? [])].filter(i => i.id !== 0)
    this.#objects.set(1, objectNode(1, [server]))
    this.#objects.set(3, objectNode(3, [device]))
    this.#objects.set(3303, objectNode(3303, [temperature, ...extra]))
  }

  #onMessage (buf: Buffer): void {
    let m: CoapMessage
    try { m = decode(buf) } catch { return }
    if (isRequestCode(m.code)) return this.#answer(m)
    if (m.code === 0) {
      // RST to a notification: the server is not interested any more (RFC 7641 §3.6).
      const path = this.#notified.get(m.messageId)
      if (m.type === 'RST' && path !== undefined) { this.observers.delete(path); this.resets++ }
      return
    }
    if (m.type === 'CON') this.send(encodeEmpty('ACK', m.messageId))
    const waiter = this.#waiting.get(m.token.toString('hex'))
    if (waiter !== undefined) { this.#waiting.delete(m.token.toString('hex')); waiter(m) }
  }

  #answer (m: CoapMessage): void {
    const reply = (code: number, options: CoapOption[] = [], payload?: Buffer): void => {
      this.send(encode({ type: m.type === 'CON' ? 'ACK' : 'NON', code, messageId: m.type === 'CON' ? m.messageId : this.#ids.next(), token: m.token, options, payload }))
    }
    const segments = uriPath(m)
    const path = pathFromSegments(segments)
    const pathText = formatPath(path)
    const req: ReceivedRequest = { method: m.code, path: pathText, query: uriQuery(m), ...(m.payload !== undefined ? { payload: Buffer.from(m.payload) } : {}) }
    const format = contentFormat(m)
    const acc = accept(m)
    if (format !== undefined) req.format = format
    if (acc !== undefined) req.accept = acc
    this.received.push(req)
    const obs = observe(m)
    if (m.code === Code.GET) {
      const node = this.nodeAt(path)
      if (node === undefined) return reply(Code.NOT_FOUND)
      if (acc === CF.LINK_FORMAT) return reply(Code.CONTENT, [uintOption(OptionNumber.CONTENT_FORMAT, CF.LINK_FORMAT)], Buffer.from(discoverLinks(path, node)))
      const fmt = acc ?? this.#opts.format ?? CF.LWM2M_TLV
      let payload: Buffer
      try { payload = encodeNode(fmt, path, node) } catch { return reply(Code.NOT_ACCEPTABLE) }
      const options = [uintOption(OptionNumber.CONTENT_FORMAT, fmt)]
      if (obs === 0) {
        const o = { token: Buffer.from(m.token), format: fmt, path, seq: 0 }
        this.observers.set(pathText, o)
        options.unshift(uintOption(OptionNumber.OBSERVE, 0))
      } else if (obs === 1) {
        this.observers.delete(pathText)
      }
      return reply(Code.CONTENT, options, payload)
    }
    if (m.code === Code.DELETE) return reply(this.nodeAt(path) === undefined ? Code.NOT_FOUND : Code.DELETED)
    if (m.code === Code.PUT && m.payload === undefined) return reply(Code.CHANGED) // Write-Attributes
    if (m.payload !== undefined && format !== undefined && (m.code === Code.PUT || m.code === Code.POST)) {
      try {
        req.node = decodeNode(format, path, m.payload)
      } catch { return reply(Code.BAD_REQUEST, [], Buffer.from('undecodable')) }
      if (pathDepth(path) === 1 && m.code === Code.POST) {
        const id = Math.max(...(this.#objects.get(path.objectId!)?.instances.keys() ?? [0])) + 1
        const created = (req.node as ObjectNode).instances.values().next().value as ObjectInstance
        const object = this.#objects.get(path.objectId!)
        if (object !== undefined) this.#objects.set(path.objectId!, objectNode(path.objectId!, [...object.instances.values(), objectInstance(id, created.resources.values())]))
        return reply(Code.CREATED, [stringOption(OptionNumber.LOCATION_PATH, String(path.objectId)), stringOption(OptionNumber.LOCATION_PATH, String(id))])
      }
      return reply(Code.CHANGED)
    }
    if (m.code === Code.POST) return reply(Code.CHANGED) // Execute
    return reply(Code.METHOD_NOT_ALLOWED)
  }
}

function discoverLinks (path: Lwm2mPath, node: Lwm2mNode): string {
  const links = [`<${formatPath(path)}>`]
  if (node.kind === 'instance') for (const r of node.resources.values()) links.push(`<${formatPath(path)}/${r.id}>`)
  return links.join(',')
}
