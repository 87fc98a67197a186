// A tiny LWM2M server for the simulator's tests, built from lib/coap on one UDP socket: it accepts Register, Update
// and De-register (LWM2M 1.1 §6.2), sends Read / Observe / Write-Attributes / Execute / Write / Discover requests
// to a device at the address it registered from, and collects notifications. Not the platform's server: just
// enough to check the devices from the outside, over real UDP on loopback.
import { createSocket } from 'node:dgram'
import type { RemoteInfo, Socket } from 'node:dgram'
import {
  Code, DedupCache, MessageIdGenerator, OptionNumber, RetransmissionTracker, TokenGenerator, contentFormat, decode, encode,
  encodeEmpty, isRequestCode, locationPathOptions, observe as observeOption, stringOption, tokenKey, uintOption, uriPath, uriQuery,
} from '../../lib/coap/index.ts'
import type { CoapMessage, CoapOption } from '../../lib/coap/index.ts'
import { parseRegistrationLinks } from '../../lib/lwm2m/link-format.ts'
import type { RegistrationLinks } from '../../lib/lwm2m/link-format.ts'

export interface Registration {
  readonly id: string
  readonly endpoint: string
  address: string
  port: number
  readonly query: Record<string, string>
  readonly linksText: string
  readonly links: RegistrationLinks
  lifetimeS: number
  readonly registeredAt: number
  readonly updates: Array<{ at: number, query: Record<string, string> }>
  deregisteredAt?: number
}

export interface Notification {
  readonly endpoint: string
  readonly type: string
  readonly code: number
  readonly observe: number | undefined
  readonly format: number | undefined
  readonly payload: Buffer
  /** Unix ms at receipt. */
  readonly receivedAt: number
}

export interface RequestInit {
  readonly method: number
  readonly path: string
  readonly accept?: number
  readonly observe?: 0 | 1
  readonly format?: number
  readonly payload?: Buffer
  readonly query?: readonly string[]
  readonly token?: Buffer
  readonly type?: 'CON' | 'NON'
}

export interface ServerOptions {
  /** Observe this path on every device as soon as it registers (with this Accept). */
  readonly autoObserve?: { readonly path: string, readonly accept?: number }
  /** Ignore this many Register datagrams first (to make devices retransmit). */
  readonly dropRegisters?: number
  readonly host?: string
}

interface Pending {
  readonly resolve: (msg: CoapMessage) => void
  readonly reject: (err: Error) => void
  readonly buf: Buffer
  readonly address: string
  readonly port: number
}

export class TestLwm2mServer {
  readonly host: string
  port = 0
  readonly registrations = new Map<string, Registration>()
  /** Every registration-interface event in arrival order. */
  readonly log: Array<{ kind: 'register' | 'update' | 'deregister', endpoint: string, at: number }> = []
  /** Notifications per observation token (hex), the first response included. */
  readonly observations = new Map<string, { endpoint: string, list: Notification[] }>()
  /** Notifications per endpoint, for auto-observe. */
  readonly byEndpoint = new Map<string, Notification[]>()
  malformed = 0
  /** Datagrams that answered nothing the server sent through request() (e.g. replies to sendRaw). */
  readonly unmatched: Buffer[] = []
  private readonly socket: Socket
  private readonly options: ServerOptions
  private readonly mids = new MessageIdGenerator()
  private readonly tokens = new TokenGenerator(4)
  private readonly pending = new Map<string, Pending>()
  private readonly dedup = new DedupCache<string>({ lifetimeMs: 60_000 })
  private readonly tracker: RetransmissionTracker<string, Pending>
  private nextId = 1
  private dropped = 0

  private constructor (options: ServerOptions) {
    this.options = options
    this.host = options.host ?? '127.0.0.1'
    this.socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 })
    this.socket.on('message', (msg, rinfo) => this.receive(msg, rinfo))
    this.tracker = new RetransmissionTracker<string, Pending>({
      retransmit: (_k, p) => this.socket.send(p.buf, p.port, p.address),
      giveUp: (k, p) => { this.pending.delete(k); p.reject(new Error('no answer from the device')) },
      ackTimeoutMs: 500,
    })
  }

  static async start (options: ServerOptions = {}): Promise<TestLwm2mServer> {
    const server = new TestLwm2mServer(options)
    await new Promise<void>((resolve, reject) => {
      server.socket.once('error', reject)
      server.socket.bind(0, server.host, () => resolve())
    })
    server.port = server.socket.address().port
    return server
  }

  get url (): string {
    return `coap://${this.host}:${this.port}`
  }

  close (): Promise<void> {
    this.tracker.close()
    for (const p of this.pending.values()) p.reject(new Error('server closed'))
    this.pending.clear()
    return new Promise(resolve => this.socket.close(() => resolve()))
  }

  /** Sends a request to a registered device; resolves with its response (piggybacked or separate). */
  request (endpoint: string, init: RequestInit): Promise<CoapMessage> {
    const reg = this.registrations.get(endpoint)
    if (reg === undefined) return Promise.reject(new Error(`${endpoint} is not registered`))
    const token = init.token ?? this.tokens.next()
    const options: CoapOption[] = init.path.split('/').filter(s => s !== '').map(s => stringOption(OptionNumber.URI_PATH, s))
    if (init.observe !== undefined) options.push(uintOption(OptionNumber.OBSERVE, init.observe))
    if (init.format !== undefined) options.push(uintOption(OptionNumber.CONTENT_FORMAT, init.format))
    if (init.accept !== undefined) options.push(uintOption(OptionNumber.ACCEPT, init.accept))
    for (const q of init.query ?? []) options.push(stringOption(OptionNumber.URI_QUERY, q))
    const type = init.type ?? 'CON'
    const buf = encode({ type, code: init.method, messageId: this.mids.next(), token, options, payload: init.payload })
    return new Promise((resolve, reject) => {
      const p: Pending = { resolve, reject, buf, address: reg.address, port: reg.port }
      this.pending.set(tokenKey(token), p)
      if (type === 'CON') this.tracker.add(tokenKey(token), p)
      this.socket.send(buf, reg.port, reg.address)
    })
  }

  /** Sends bytes as they are to a registered device, from the server's own socket (devices accept nothing else). */
  sendRaw (endpoint: string, buf: Buffer): void {
    const reg = this.registrations.get(endpoint)
    if (reg === undefined) throw new Error(`${endpoint} is not registered`)
    this.socket.send(buf, reg.port, reg.address)
  }

  read (endpoint: string, path: string, accept?: number): Promise<CoapMessage> {
    return this.request(endpoint, { method: Code.GET, path, ...(accept !== undefined ? { accept } : {}) })
  }

  /** Starts an observation; its notifications (the first response included) collect in the returned array. */
  async observe (endpoint: string, path: string, accept?: number): Promise<{ token: Buffer, response: CoapMessage, notifications: Notification[] }> {
    const token = this.tokens.next()
    const notifications: Notification[] = []
    this.observations.set(tokenKey(token), { endpoint, list: notifications })
    const response = await this.request(endpoint, { method: Code.GET, path, observe: 0, token, ...(accept !== undefined ? { accept } : {}) })
    const first = this.toNotification(endpoint, response)
    notifications.unshift(first)
    if (this.options.autoObserve !== undefined) this.endpointList(endpoint).unshift(first)
    return { token, response, notifications }
  }

  cancel (endpoint: string, path: string, token: Buffer): Promise<CoapMessage> {
    this.observations.delete(tokenKey(token))
    return this.request(endpoint, { method: Code.GET, path, observe: 1, token })
  }

  writeAttributes (endpoint: string, path: string, attributes: Record<string, number | undefined>): Promise<CoapMessage> {
    const query = Object.entries(attributes).map(([k, v]) => v === undefined ? k : `${k}=${v}`)
    return this.request(endpoint, { method: Code.PUT, path, query })
  }

  execute (endpoint: string, path: string): Promise<CoapMessage> {
    return this.request(endpoint, { method: Code.POST, path })
  }

  write (endpoint: string, path: string, format: number, payload: Buffer, method: number = Code.PUT): Promise<CoapMessage> {
    return this.request(endpoint, { method, path, format, payload })
  }

  discover (endpoint: string, path: string): Promise<CoapMessage> {
    return this.request(endpoint, { method: Code.GET, path, accept: 40 })
  }

  /** Polls `predicate` every 20 ms until it holds. */
  async waitFor (what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
      await new Promise(resolve => setTimeout(resolve, 20))
    }
  }

  private toNotification (endpoint: string, msg: CoapMessage): Notification {
    return {
      endpoint, type: msg.type, code: msg.code, observe: observeOption(msg), format: contentFormat(msg),
      payload: Buffer.from(msg.payload ?? Buffer.alloc(0)), receivedAt: Date.now(),
    }
  }

  private endpointList (endpoint: string): Notification[] {
    let list = this.byEndpoint.get(endpoint)
    if (list === undefined) this.byEndpoint.set(endpoint, list = [])
    return list
  }

  private receive (buf: Buffer, rinfo: RemoteInfo): void {
    let msg: CoapMessage
    try {
      msg = decode(buf)
    } catch {
      this.malformed++
      return
    }
    if (isRequestCode(msg.code)) return this.registrationInterface(msg, rinfo)
    const key = tokenKey(msg.token)
    if (msg.type === 'ACK' || msg.type === 'RST') {
      if (msg.code === 0 && msg.type === 'ACK') { this.tracker.settle(key); return } // empty ACK: a separate response follows
    }
    const pending = this.pending.get(key)
    if (pending !== undefined && (msg.type === 'ACK' || msg.type === 'RST' || msg.token.length > 0)) {
      this.tracker.settle(key)
      this.pending.delete(key)
      if (msg.type === 'CON') this.socket.send(encodeEmpty('ACK', msg.messageId), rinfo.port, rinfo.address)
      pending.resolve(msg)
      return
    }
    const observation = this.observations.get(key)
    if (observation !== undefined) {
      const n = this.toNotification(observation.endpoint, msg)
      observation.list.push(n)
      if (this.options.autoObserve !== undefined) this.endpointList(observation.endpoint).push(n)
      if (msg.type === 'CON') this.socket.send(encodeEmpty('ACK', msg.messageId), rinfo.port, rinfo.address)
      return
    }
    this.unmatched.push(Buffer.from(buf))
    if (msg.type === 'CON' || msg.type === 'NON') this.socket.send(encodeEmpty('RST', msg.messageId), rinfo.port, rinfo.address)
  }

  private registrationInterface (msg: CoapMessage, rinfo: RemoteInfo): void {
    const dedupKey = `${rinfo.address}:${rinfo.port}:${msg.messageId}`
    if (msg.type === 'CON' && !this.dedup.add(dedupKey)) {
      const again = this.dedup.response(dedupKey)
      if (again !== undefined) this.socket.send(again, rinfo.port, rinfo.address)
      return
    }
    const path = uriPath(msg)
    const query = uriQuery(msg)
    let code: number = Code.NOT_FOUND
    let options: CoapOption[] = []
    const now = Date.now()
    if (msg.code === Code.POST && path.length === 1 && path[0] === 'rd') {
      if (this.dropped < (this.options.dropRegisters ?? 0)) {
        this.dropped++
        this.dedup.clear()
        return
      }
      const endpoint = query.ep
      if (endpoint === undefined || msg.payload === undefined) code = Code.BAD_REQUEST
      else {
        const id = (this.nextId++).toString(36)
        const linksText = msg.payload.toString('utf8')
        this.registrations.set(endpoint, {
          id, endpoint, address: rinfo.address, port: rinfo.port, query, linksText, links: parseRegistrationLinks(linksText),
          lifetimeS: Number(query.lt ?? 86400), registeredAt: now, updates: [],
        })
        this.log.push({ kind: 'register', endpoint, at: now })
        code = Code.CREATED
        options = locationPathOptions(['rd', id])
      }
    } else if (path.length === 2 && path[0] === 'rd') {
      const reg = [...this.registrations.values()].find(r => r.id === path[1] && r.deregisteredAt === undefined)
      if (reg !== undefined && msg.code === Code.POST) {
        reg.updates.push({ at: now, query })
        if (query.lt !== undefined) reg.lifetimeS = Number(query.lt)
        reg.address = rinfo.address
        reg.port = rinfo.port
        this.log.push({ kind: 'update', endpoint: reg.endpoint, at: now })
        code = Code.CHANGED
      } else if (reg !== undefined && msg.code === Code.DELETE) {
        reg.deregisteredAt = now
        this.log.push({ kind: 'deregister', endpoint: reg.endpoint, at: now })
        code = Code.DELETED
      }
    }
    const reply = encode({
      type: msg.type === 'CON' ? 'ACK' : 'NON', code, messageId: msg.type === 'CON' ? msg.messageId : this.mids.next(), token: msg.token, options,
    })
    if (msg.type === 'CON') this.dedup.setResponse(dedupKey, reply)
    this.socket.send(reply, rinfo.port, rinfo.address)
    const auto = this.options.autoObserve
    if (auto !== undefined && code === Code.CREATED) {
      this.observe(query.ep!, auto.path, auto.accept).catch(() => { /* counted as missing notifications by the test */ })
    }
  }
}
