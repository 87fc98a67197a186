// The one UDP socket of the LWM2M server. Requests to a device must leave from the address the device registered
// with (LWM2M 1.1 §6.2.1; Leshan's client drops requests from any other source), so node-coap's Server (registration
// interface) and its Agent (device management) share it. node-coap lets both listen on one socket, but then each
// sees every datagram, and measured against many devices that goes wrong in ways a load lab notices:
//   - the Agent matches an incoming message by message id before its token and without the sender's address, so a
//     CON notification whose id equals a request in flight to another device is ACKed and silently dropped, and any
//     peer's empty ACK or RST with that id settles another device's request (RFC 7252 §4.4 scopes ids per endpoint);
//   - a datagram coap-packet cannot parse makes the Server send 5.00 to 127.0.0.1 (no address) or is dropped
//     silently, so malformed traffic could not be counted by reason.
// So the real socket is read only here. Every datagram is decoded strictly with lib/coap first; the Server and the
// Agent get facades (unbound dgram sockets whose send goes out through the real one) and receive only what is theirs:
//   format error           counted as lwm2m.malformed.<reason>; a CON is rejected with RST (RFC 7252 §4.2)
//   Empty CON (ping)       RST (RFC 7252 §4.3)
//   request                Server
//   ACK / RST              Agent if it matches (address, port, id) of a CON the Agent sent, else Server
//   CON / NON response     `notification` hook first (observations, handled with lib/coap: observations.ts);
//                          a separate response to an Agent request is ACKed here and handed to the Agent as NON with
//                          an id it has no exchange for; anything else is rejected with RST (RFC 7641 §3.6)
import { createSocket } from 'node:dgram'
import type { RemoteInfo, Socket, SocketType } from 'node:dgram'
import type { AddressInfo } from 'node:net'
import { CoapMalformedError, DedupCache, EXCHANGE_LIFETIME_MS, decode, encodeEmpty, isRequestCode } from '../../lib/coap/index.ts'
import type { CoapMessage } from '../../lib/coap/index.ts'
import type { Counters } from './metrics.ts'

export interface SharedSocketOptions {
  type: SocketType
  metrics: Counters
  /** Kernel receive buffer; bursts of notifications queue there while the event loop is busy. */
  recvBufferSize?: number
  /** A CON or NON response that is not an ACK: true when it was handled (a notification of a known observation). */
  notification?: (msg: CoapMessage, rinfo: RemoteInfo) => boolean
  /** A message id the Agent has no exchange for (node-coap's Agent keeps its exchanges by id). */
  agentIdInUse?: (messageId: number) => boolean
  now?: () => number
}

type Send = (buf: Buffer, port: number, address: string, cb?: (err: Error | null, bytes?: number) => void) => void

const CON = 0
const NON_BITS = 1 << 4

export class SharedCoapSocket {
  readonly socket: Socket
  /** Give to `coap.createServer().listen(...)`. */
  readonly serverSide: Socket
  /** Give to `new coap.Agent({ socket })`. */
  readonly agentSide: Socket
  notification: SharedSocketOptions['notification']
  agentIdInUse: SharedSocketOptions['agentIdInUse']
  readonly #metrics: Counters
  readonly #now: () => number
  /** "address:port/mid" and "address:port/token" of CON requests the Agent sent -> when (Map order = age). */
  readonly #agentExchanges = new Map<string, number>()
  readonly #agentTokens = new Map<string, number>()
  readonly #separateSeen = new DedupCache<string, true>({ maxEntries: 20_000 })
  #current: RemoteInfo | undefined
  #spareId = Math.floor(Math.random() * 0x10000)
  #sweeper: NodeJS.Timeout | undefined

  constructor (options: SharedSocketOptions) {
    this.#metrics = options.metrics
    this.#now = options.now ?? (() => performance.now())
    this.notification = options.notification
    this.agentIdInUse = options.agentIdInUse
    this.socket = createSocket({ type: options.type, recvBufferSize: options.recvBufferSize })
    this.socket.on('message', (buf, rinfo) => this.#dispatch(buf, rinfo))
    // Send errors come with a callback (below); anything else the socket reports is counted, never thrown.
    this.socket.on('error', () => this.#metrics.inc('lwm2m.coap.socket_error'))
    this.serverSide = this.#facade(options.type, () => {})
    this.agentSide = this.#facade(options.type, (buf, port, address) => this.#trackAgentRequest(buf, port, address))
  }

  bind (port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err)
      this.socket.once('error', onError)
      this.socket.bind(port, host, () => {
        this.socket.off('error', onError)
        this.#sweeper = setInterval(() => this.#sweep(), 1000)
        this.#sweeper.unref()
        resolve(this.socket.address())
      })
    })
  }

  /** Sends a datagram of our own (an ACK or RST, a notification handler's reply). */
  send (buf: Buffer, port: number, address: string): void {
    try {
      this.socket.send(buf, port, address, this.#sent)
    } catch {
      this.#metrics.inc('lwm2m.coap.send_failed') // closed
    }
  }

  readonly #sent = (err: Error | null): void => { if (err !== null) this.#metrics.inc('lwm2m.coap.send_failed') }

  /** RST for a message we will not process (RFC 7252 §4.2, §4.3). */
  reject (messageId: number, rinfo: RemoteInfo): void {
    this.#metrics.inc('lwm2m.coap.rst_sent')
    this.send(encodeEmpty('RST', messageId), rinfo.port, rinfo.address)
  }

  async close (): Promise<void> {
    clearInterval(this.#sweeper)
    for (const f of [this.serverSide, this.agentSide]) closeQuietly(f)
    await new Promise<void>(resolve => {
      try { this.socket.close(() => resolve()) } catch { resolve() }
    })
  }

  #dispatch (buf: Buffer, rinfo: RemoteInfo): void {
    this.#metrics.inc('lwm2m.coap.received')
    let msg: CoapMessage
    try {
      msg = decode(buf)
    } catch (err) {
      const reason = err instanceof CoapMalformedError ? err.reason : 'UNKNOWN'
      this.#metrics.inc(`lwm2m.malformed.${reason}`)
      // A readable CON header is rejected; anything else is dropped silently (RFC 7252 §4.2, §4.3).
      if (buf.length >= 4 && buf[0]! >>> 6 === 1 && ((buf[0]! >>> 4) & 3) === CON) this.reject(buf.readUInt16BE(2), rinfo)
      return
    }
    this.#current = rinfo
    try {
      if (msg.code === 0) this.#empty(msg, buf, rinfo)
      else if (isRequestCode(msg.code)) this.serverSide.emit('message', buf, rinfo)
      else this.#response(msg, buf, rinfo)
    } catch {
      // A listener's bug must not take the socket (and every device) down: counted, the datagram is lost.
      this.#metrics.inc('lwm2m.coap.handler_error')
    } finally {
      this.#current = undefined
    }
  }

  #empty (msg: CoapMessage, buf: Buffer, rinfo: RemoteInfo): void {
    if (msg.type === 'CON') {
      this.#metrics.inc('lwm2m.coap.ping')
      this.reject(msg.messageId, rinfo)
    } else if (msg.type === 'NON') {
      // RFC 7252 §4.3: a NON carries a request or a response, never Empty.
      this.#metrics.inc('lwm2m.malformed.EMPTY_NON')
    } else if (this.#agentExchanges.delete(`${rinfo.address}:${rinfo.port}/${msg.messageId}`)) {
      this.agentSide.emit('message', buf, rinfo)
    } else {
      // The Server matches ACK/RST of its own CON responses by (address, port, id) and ignores the rest.
      this.serverSide.emit('message', buf, rinfo)
    }
  }

  #response (msg: CoapMessage, buf: Buffer, rinfo: RemoteInfo): void {
    const peer = `${rinfo.address}:${rinfo.port}`
    if (msg.type === 'ACK') {
      if (this.#agentExchanges.delete(`${peer}/${msg.messageId}`)) {
        this.#agentTokens.delete(`${peer}/${msg.token.toString('hex')}`)
        this.agentSide.emit('message', buf, rinfo)
      } else {
        this.#metrics.inc('lwm2m.coap.unmatched_ack')
      }
      return
    }
    if (this.notification?.(msg, rinfo) === true) return
    const exchange = `${peer}/${msg.messageId}`
    if (msg.type === 'CON' && this.#separateSeen.has(exchange)) {
      // A retransmission of a separate response already delivered: ACKed again, not delivered twice (RFC 7252 §4.5).
      this.send(encodeEmpty('ACK', msg.messageId), rinfo.port, rinfo.address)
      return
    }
    const tokenKey = `${peer}/${msg.token.toString('hex')}`
    if (!this.#agentTokens.has(tokenKey)) {
      // RFC 7641 §3.6: a notification nobody is interested in is rejected (a CON MUST be, a NON may be).
      this.#metrics.inc('lwm2m.coap.unknown_exchange')
      this.reject(msg.messageId, rinfo)
      return
    }
    if (msg.type === 'CON') {
      this.send(encodeEmpty('ACK', msg.messageId), rinfo.port, rinfo.address)
      this.#separateSeen.add(exchange, true)
    }
    this.#agentTokens.delete(tokenKey)
    const copy = Buffer.from(buf)
    copy[0] = (copy[0]! & 0xcf) | NON_BITS
    copy.writeUInt16BE(this.#freeAgentId(), 2)
    this.agentSide.emit('message', copy, rinfo)
  }

  #freeAgentId (): number {
    for (let i = 0; i < 0x10000; i++) {
      this.#spareId = (this.#spareId + 1) & 0xffff
      if (this.agentIdInUse?.(this.#spareId) !== true) break
    }
    return this.#spareId
  }

  #trackAgentRequest (buf: Buffer, port: number, address: string): void {
    if (buf.length < 4 || ((buf[0]! >>> 4) & 3) !== CON || buf[1] === 0 || buf[1]! >>> 5 !== 0) return
    const peer = `${address}:${port}`
    const now = this.#now()
    const exchange = `${peer}/${buf.readUInt16BE(2)}`
    // delete + set keeps the Maps in age order for the sweep (a retransmission refreshes its entry).
    this.#agentExchanges.delete(exchange)
    this.#agentExchanges.set(exchange, now)
    const tkl = buf[0]! & 0x0f
    const token = `${peer}/${buf.subarray(4, 4 + tkl).toString('hex')}`
    this.#agentTokens.delete(token)
    this.#agentTokens.set(token, now)
  }

  #sweep (): void {
    const oldest = this.#now() - EXCHANGE_LIFETIME_MS
    for (const map of [this.#agentExchanges, this.#agentTokens]) {
      for (const [key, at] of map) {
        if (at > oldest) break
        map.delete(key)
      }
    }
  }

  /** An unbound dgram socket (so node-coap's `instanceof dgram.Socket` checks pass) that sends through ours. */
  #facade (type: SocketType, onSend: (buf: Buffer, port: number, address: string) => void): Socket {
    const facade = createSocket({ type })
    const send: Send = (buf, port, address, cb) => {
      onSend(buf, port, address)
      this.socket.send(buf, port, address, cb ?? this.#sent)
    }
    facade.send = ((msg: Buffer, ...rest: unknown[]) => {
      let buf = msg
      let i = 0
      // node-coap calls send(buf, offset, length, port, address?, cb?) and send(buf, port, address, cb).
      if (typeof rest[0] === 'number' && typeof rest[1] === 'number' && typeof rest[2] === 'number') {
        buf = msg.subarray(rest[0], rest[0] + rest[1])
        i = 2
      }
      const port = rest[i] as number
      const cb = rest.find((x): x is (err: Error | null, bytes?: number) => void => typeof x === 'function')
      let address = typeof rest[i + 1] === 'string' ? rest[i + 1] as string : undefined
      // node-coap's Server sends its error replies without an address; they answer the datagram being handled.
      if (address === undefined && this.#current?.port === port) address = this.#current.address
      if (address === undefined) {
        this.#metrics.inc('lwm2m.coap.unaddressed')
        cb?.(new Error('node-coap sent a datagram without an address'))
        return
      }
      send(buf, port, address, cb)
    }) as unknown as Socket['send']
    facade.address = () => this.socket.address()
    return facade
  }
}

function closeQuietly (socket: Socket): void {
  try { socket.close() } catch { /* never bound: nothing to release */ }
}
