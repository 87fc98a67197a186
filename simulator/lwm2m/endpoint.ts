// The CoAP side of a virtual device (RFC 7252): its own UDP socket, connected to the server (one source
// address:port per device, as a real fleet has; a connected socket also skips a lookup per send), message ids and
// tokens, and the first sorting of what arrives. One object per device: Lwm2mDevice extends it. The socket listeners
// are shared functions that find their device through a symbol, so no device owns a closure.
import { decode, encodeEmpty, isRequestCode, isResponseCode } from '../../lib/coap/index.ts'
import type { CoapMessage } from '../../lib/coap/index.ts'
import type { DeviceEvents } from '../driver.ts'
import { mix32 } from '../../lib/random.ts'
import { DEVICE } from './keys.ts'
import type { DeviceSocket } from './keys.ts'

function onDatagram (this: DeviceSocket, msg: Buffer): void {
  this[DEVICE]?.receive(msg)
}
function onSocketError (this: DeviceSocket, err: Error): void {
  this[DEVICE]?.socketError(err)
}
function onConnect (this: DeviceSocket): void {
  this[DEVICE]?.connected()
}

export abstract class CoapEndpoint {
  readonly index: number
  readonly events: DeviceEvents
  private socket: DeviceSocket | undefined
  private mid: number
  private token: number

  /** `ids` seeds the first message id and token (RFC 7252 §4.4, §5.3.1: unpredictable, here reproducible). */
  constructor (index: number, events: DeviceEvents, ids: number) {
    this.index = index
    this.events = events
    this.mid = mix32(ids) & 0xffff
    this.token = mix32(ids ^ 0x2545f491)
  }

  /** The socket is bound and connected to the server. */
  abstract connected (): void
  /** An ACK or RST for one of our CON messages, or a RST to a NON one. */
  protected abstract acknowledged (msg: CoapMessage): void
  /** A request from the server. */
  protected abstract request (msg: CoapMessage): void
  /** A separate response (RFC 7252 §5.2.2) to our request; already acknowledged when it was CON. */
  protected abstract separateResponse (msg: CoapMessage): void
  /** The socket failed before it was connected: the device cannot work. */
  protected abstract socketFailed (): void

  protected openSocket (socket: DeviceSocket, address: string, port: number, serverHost: string, serverPort: number): void {
    socket[DEVICE] = this
    socket.on('message', onDatagram)
    socket.on('error', onSocketError)
    socket.once('connect', onConnect)
    this.socket = socket
    try {
      socket.bind({ address, port })
      socket.connect(serverPort, serverHost)
    } catch (err) {
      this.socketError(err as Error)
    }
  }

  protected closeSocket (): void {
    const socket = this.socket
    this.socket = undefined
    if (socket === undefined) return
    socket[DEVICE] = undefined
    try { socket.close() } catch { /* never bound */ }
  }

  send (buf: Buffer): void {
    const socket = this.socket
    if (socket === undefined) return
    try {
      socket.send(buf)
    } catch (err) {
      this.socketError(err as Error)
    }
  }

  receive (buf: Buffer): void {
    let msg: CoapMessage
    try {
      msg = decode(buf)
    } catch {
      this.count('errors.COAP_MALFORMED')
      return
    }
    if (msg.type === 'ACK' || msg.type === 'RST') return this.acknowledged(msg)
    if (isRequestCode(msg.code)) return this.request(msg)
    if (isResponseCode(msg.code)) {
      if (msg.type === 'CON') this.send(encodeEmpty('ACK', msg.messageId))
      return this.separateResponse(msg)
    }
    // CoAP ping (§4.3): an Empty CON is answered with RST
    if (msg.type === 'CON') this.send(encodeEmpty('RST', msg.messageId))
  }

  /** Socket errors are counted as errors.<code> (ECONNREFUSED when the server's port is closed, ...). */
  socketError (err: Error): void {
    this.count(`errors.${(err as NodeJS.ErrnoException).code ?? 'SOCKET'}`)
    this.socketFailed()
  }

  nextMid (): number {
    this.mid = (this.mid + 1) & 0xffff
    return this.mid
  }

  protected nextToken (): number {
    this.token = (this.token + 1) >>> 0
    return this.token
  }

  count (name: string): void {
    this.events.emit('counter', name, 1)
  }
}
