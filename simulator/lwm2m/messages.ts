// The CoAP messages a virtual device sends (RFC 7252 §3 via lib/coap): the registration interface (LWM2M 1.1 §6.2:
// Register POST /rd?ep&lt&lwm2m&b with link-format objects, Update POST /rd/{id}, De-register DELETE /rd/{id}),
// notifications (RFC 7641 §4.2) and responses to the server's requests (piggybacked in the ACK of a CON request,
// RFC 7252 §5.2.1, or a NON response to a NON request).
import { Code, OptionNumber, encode, encodeUint, stringOption } from '../../lib/coap/index.ts'
import type { CoapMessage, CoapOption, CoapType } from '../../lib/coap/index.ts'

const formatOptions = new Map<number, CoapOption>()

/** A shared Content-Format option: never mutated, so every message can hold the same object. */
export function contentFormatOption (format: number): CoapOption {
  let o = formatOptions.get(format)
  if (o === undefined) formatOptions.set(format, o = { number: OptionNumber.CONTENT_FORMAT, value: encodeUint(format) })
  return o
}

const RD = stringOption(OptionNumber.URI_PATH, 'rd')
const LINK_FORMAT = contentFormatOption(40)

export function tokenBytes (token: number): Buffer {
  const b = Buffer.allocUnsafe(4)
  b.writeUInt32BE(token >>> 0, 0)
  return b
}

export function tokenValue (token: Buffer): number {
  return token.length === 4 ? token.readUInt32BE(0) : -1
}

export interface RegisterParams {
  readonly endpoint: string
  readonly lifetimeS: number
  readonly version: string
  readonly binding: string
  readonly links: Buffer
}

export function registerMessage (mid: number, token: number, p: RegisterParams): Buffer {
  return encode({
    type: 'CON',
    code: Code.POST,
    messageId: mid,
    token: tokenBytes(token),
    options: [
      RD,
      LINK_FORMAT,
      stringOption(OptionNumber.URI_QUERY, `ep=${p.endpoint}`),
      stringOption(OptionNumber.URI_QUERY, `lt=${p.lifetimeS}`),
      stringOption(OptionNumber.URI_QUERY, `lwm2m=${p.version}`),
      stringOption(OptionNumber.URI_QUERY, `b=${p.binding}`),
    ],
    payload: p.links,
  })
}

function locationOptions (location: string): CoapOption[] {
  return location.split('/').map(s => stringOption(OptionNumber.URI_PATH, s))
}

/** Update (§6.2.2): parameters only when they changed, e.g. the lifetime after a write to /1/0/1. */
export function updateMessage (mid: number, token: number, location: string, lifetimeS?: number): Buffer {
  const options = locationOptions(location)
  if (lifetimeS !== undefined) options.push(stringOption(OptionNumber.URI_QUERY, `lt=${lifetimeS}`))
  return encode({ type: 'CON', code: Code.POST, messageId: mid, token: tokenBytes(token), options })
}

export function deregisterMessage (mid: number, token: number, location: string): Buffer {
  return encode({ type: 'CON', code: Code.DELETE, messageId: mid, token: tokenBytes(token), options: locationOptions(location) })
}

export function notificationMessage (type: CoapType, mid: number, token: Buffer, observe: number, format: number, payload: Buffer): Buffer {
  return encode({
    type,
    code: Code.CONTENT,
    messageId: mid,
    token,
    options: [{ number: OptionNumber.OBSERVE, value: encodeUint(observe & 0xffffff) }, contentFormatOption(format)],
    payload,
  })
}

export interface Reply {
  readonly code: number
  readonly format?: number
  readonly payload?: Buffer
  /** Observe option value of a 2.05 that starts an observation (RFC 7641 §4.1). */
  readonly observe?: number
}

/** The response to `request`: piggybacked in an ACK for CON (same message id), a NON with `mid` otherwise. */
export function replyMessage (request: CoapMessage, mid: number, reply: Reply): Buffer {
  const options: CoapOption[] = []
  if (reply.observe !== undefined) options.push({ number: OptionNumber.OBSERVE, value: encodeUint(reply.observe & 0xffffff) })
  if (reply.format !== undefined && reply.payload !== undefined) options.push(contentFormatOption(reply.format))
  return encode({
    type: request.type === 'CON' ? 'ACK' : 'NON',
    code: reply.code,
    messageId: request.type === 'CON' ? request.messageId : mid,
    token: request.token,
    options,
    payload: reply.payload,
  })
}
