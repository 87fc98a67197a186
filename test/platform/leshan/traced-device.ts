// A minimal LWM2M device that sends fleetlab-traced SenML notifications (lib/lwm2m/trace.ts), made of lib/coap
// messages on its own UDP socket: it registers, answers an Observe of /3303/0/5700 (and its Cancel-Observe) and then
// notifies every `periodMs`, as fleetlab's virtual devices do: the first response carries the trace too. Everything
// else gets 4.04. Enough to show how a Leshan server treats the trace records.
import { createSocket } from 'node:dgram'
import type { Socket } from 'node:dgram'
import {
  Code, ContentFormat, OptionNumber, accept, decode, encode, observe, uintOption, uriPath, uriPathOptions, uriQueryOptions,
} from '../../../lib/coap/index.ts'
import type { CoapMessage } from '../../../lib/coap/index.ts'
import { singleResource } from '../../../lib/lwm2m/model.ts'
import { parsePath } from '../../../lib/lwm2m/path.ts'
import { encodeTracedNotification } from '../../../lib/lwm2m/trace.ts'

const OBSERVED = '/3303/0/5700'

export class TracedDevice {
  readonly endpoint: string
  readonly #socket: Socket
  readonly #server: { host: string, port: number }
  readonly #periodMs: number
  #mid = Math.floor(Math.random() * 0xffff)
  #seq = 0
  #timer: NodeJS.Timeout | undefined
  #registered: ((m: CoapMessage) => void) | undefined

  private constructor (endpoint: string, server: { host: string, port: number }, periodMs: number, socket: Socket) {
    this.endpoint = endpoint
    this.#server = server
    this.#periodMs = periodMs
    this.#socket = socket
    socket.on('message', buf => this.#onMessage(buf))
  }

  static async start (endpoint: string, server: { host: string, port: number }, periodMs = 200): Promise<TracedDevice> {
    const socket = createSocket('udp4')
    await new Promise<void>(resolve => socket.bind(0, '127.0.0.1', () => resolve()))
    return new TracedDevice(endpoint, server, periodMs, socket)
  }

  /** Register (LWM2M 1.1 §6.2.1) and resolve with the response code once the server answers. */
  register (): Promise<number> {
    const messageId = this.#nextMid()
    const answered = new Promise<CoapMessage>(resolve => { this.#registered = resolve })
    this.#send(encode({
      type: 'CON', code: Code.POST, messageId, token: Buffer.from([1, 2, 3, 4]),
      options: [...uriPathOptions('rd'), uintOption(OptionNumber.CONTENT_FORMAT, ContentFormat.LINK_FORMAT),
        ...uriQueryOptions({ ep: this.endpoint, lt: 300, lwm2m: '1.1', b: 'U' })],
      payload: Buffer.from('</1/0>,</3/0>,</3303>;ver=1.1,</3303/0>,</33000/0>'),
    }))
    return answered.then(m => m.code)
  }

  async close (): Promise<void> {
    clearInterval(this.#timer)
    await new Promise<void>(resolve => this.#socket.close(() => resolve()))
  }

  #onMessage (buf: Buffer): void {
    const m = decode(buf)
    if (m.type === 'ACK' && this.#registered !== undefined) {
      this.#registered(m)
      this.#registered = undefined
      return
    }
    if (m.type === 'RST') { // the server forgot the observation (RFC 7641 §3.6)
      clearInterval(this.#timer)
      return
    }
    if (m.type !== 'CON' || m.code !== Code.GET) {
      if (m.type === 'CON') this.#send(encode({ type: 'ACK', code: Code.NOT_FOUND, messageId: m.messageId, token: m.token }))
      return
    }
    const path = `/${uriPath(m).join('/')}`
    const format = accept(m) ?? ContentFormat.SENML_JSON
    if (path !== OBSERVED || (format !== ContentFormat.SENML_JSON && format !== ContentFormat.SENML_CBOR)) {
      this.#send(encode({ type: 'ACK', code: Code.NOT_FOUND, messageId: m.messageId, token: m.token }))
      return
    }
    const token = Buffer.from(m.token)
    const registering = observe(m) === 0
    this.#send(this.#content('ACK', m.messageId, token, format, registering))
    clearInterval(this.#timer)
    if (registering) {
      this.#timer = setInterval(() => this.#send(this.#content('NON', this.#nextMid(), token, format, true)), this.#periodMs)
    }
  }

  #content (type: 'ACK' | 'NON', messageId: number, token: Buffer, format: number, withObserve: boolean): Buffer {
    const seq = this.#seq++
    // never a whole number: stock Leshan takes a CBOR integer for a Float resource as an error (see the report in
    // platform/leshan/harness.ts), which is not what this device is about
    const value = 20.25 + (seq % 8) / 2
    const payload = encodeTracedNotification(format, parsePath(OBSERVED), singleResource(5700, 'float', value),
      { seq, sentAtMs: Date.now(), deviceId: this.endpoint })
    return encode({
      type, code: Code.CONTENT, messageId, token, payload,
      options: [...(withObserve ? [uintOption(OptionNumber.OBSERVE, seq + 1)] : []), uintOption(OptionNumber.CONTENT_FORMAT, format)],
    })
  }

  #nextMid (): number {
    this.#mid = (this.#mid + 1) & 0xffff
    return this.#mid
  }

  #send (buf: Buffer): void {
    this.#socket.send(buf, this.#server.port, this.#server.host)
  }
}
