// The CoAP message format (RFC 7252 §3): a 4-byte header, a 0-8 byte token, options as (delta, length, value)
// in ascending number order, then an optional payload after the 0xFF marker. Written for many thousand messages a
// second on one core: one pass to size, one allocation, one pass to write; decoding copies nothing (the token,
// option values and payload are views into the datagram).
import { CoapMalformedError } from './errors.ts'
import { formatCode, isReservedCodeClass } from './codes.ts'

export type CoapType = 'CON' | 'NON' | 'ACK' | 'RST'

/** Type names by their 2-bit wire value (RFC 7252 §3: 0 CON, 1 NON, 2 ACK, 3 RST). */
export const coapTypes: readonly CoapType[] = ['CON', 'NON', 'ACK', 'RST']

export interface CoapOption {
  number: number
  value: Buffer
}

export interface CoapMessage {
  /** Always 1 from `decode`. */
  version: number
  type: CoapType
  /** class << 5 | detail; `formatCode` prints it as "2.05". */
  code: number
  messageId: number
  /** 0-8 bytes. */
  token: Buffer
  /** In wire order: ascending numbers, repeated options in their given order. */
  options: CoapOption[]
  /** Absent when the message has no payload; never empty. */
  payload?: Buffer | undefined
}

/** What `encode` takes: a CoapMessage whose version (1), token (empty) and options (none) may be left out. */
export interface CoapMessageInit {
  version?: number
  type: CoapType
  code: number
  messageId: number
  token?: Buffer
  options?: readonly CoapOption[]
  payload?: Buffer | undefined
}

export const COAP_VERSION = 1
export const PAYLOAD_MARKER = 0xff
export const MAX_TOKEN_LENGTH = 8
/** The largest option value length the 14 extended form can carry: 65535 + 269. */
export const MAX_OPTION_LENGTH = 65804
export const MAX_OPTION_NUMBER = 65535

const EMPTY = Buffer.alloc(0)
const typeBits: Record<CoapType, number> = { CON: 0, NON: 1, ACK: 2, RST: 3 }

function malformed (reason: ConstructorParameters<typeof CoapMalformedError>[0], message: string): CoapMalformedError {
  return new CoapMalformedError(reason, message)
}

/** Bytes an option delta or length takes after the first option byte (RFC 7252 §3.1: 13 -> 1 byte, 14 -> 2). */
function extendedSize (n: number): number {
  return n < 13 ? 0 : n < 269 ? 1 : 2
}

function sortedOptions (options: readonly CoapOption[]): readonly CoapOption[] {
  for (let i = 1; i < options.length; i++) {
    // Array.prototype.sort is stable, so repeated options (Uri-Path segments) keep their order.
    if (options[i]!.number < options[i - 1]!.number) return [...options].sort((a, b) => a.number - b.number)
  }
  return options
}

/** Encodes a message (RFC 7252 §3). Throws CoapMalformedError for what would not be a well-formed datagram. */
export function encode (msg: CoapMessageInit): Buffer {
  const version = msg.version ?? COAP_VERSION
  const token = msg.token ?? EMPTY
  const options = sortedOptions(msg.options ?? [])
  const payload = msg.payload
  const code = msg.code
  const type = typeBits[msg.type]
  if (type === undefined) throw new TypeError(`CoAP type must be CON, NON, ACK or RST, got ${String(msg.type)}`)
  if (!Number.isInteger(code) || code < 0 || code > 255) throw new TypeError(`CoAP code must be a byte, got ${code}`)
  if (!Number.isInteger(msg.messageId) || msg.messageId < 0 || msg.messageId > 0xffff) {
    throw new TypeError(`CoAP message id must be 0-65535, got ${msg.messageId}`)
  }
  if (!Number.isInteger(version) || version < 0 || version > 3) throw malformed('BAD_VERSION', `version ${version} does not fit 2 bits`)
  if (token.length > MAX_TOKEN_LENGTH) throw malformed('BAD_TOKEN_LENGTH', `token of ${token.length} bytes, at most 8`)
  if (isReservedCodeClass(code)) throw malformed('BAD_CODE', `code ${formatCode(code)} is in a reserved class`)
  const hasPayload = payload !== undefined && payload.length > 0
  if (code === 0 && (token.length > 0 || options.length > 0 || hasPayload)) {
    throw malformed('EMPTY_MESSAGE_NOT_EMPTY', 'an Empty message (0.00) carries no token, options or payload')
  }

  let size = 4 + token.length
  let last = 0
  for (let i = 0; i < options.length; i++) {
    const o = options[i]!
    const n = o.number
    if (!Number.isInteger(n) || n < 0 || n > MAX_OPTION_NUMBER) throw malformed('BAD_OPTION_DELTA', `option number ${n} is not 0-65535`)
    const len = o.value.length
    if (len > MAX_OPTION_LENGTH) throw malformed('BAD_OPTION_LENGTH', `option ${n} value of ${len} bytes, at most ${MAX_OPTION_LENGTH}`)
    size += 1 + extendedSize(n - last) + extendedSize(len) + len
    last = n
  }
  if (hasPayload) size += 1 + payload.length

  const buf = Buffer.allocUnsafe(size)
  buf[0] = (version << 6) | (type << 4) | token.length
  buf[1] = code
  buf[2] = msg.messageId >>> 8
  buf[3] = msg.messageId & 0xff
  let at = 4
  if (token.length > 0) at += token.copy(buf, at)
  last = 0
  for (let i = 0; i < options.length; i++) {
    const o = options[i]!
    const delta = o.number - last
    const len = o.value.length
    last = o.number
    const head = at++
    let dn: number
    if (delta < 13) {
      dn = delta
    } else if (delta < 269) {
      dn = 13
      buf[at++] = delta - 13
    } else {
      dn = 14
      buf[at++] = (delta - 269) >>> 8
      buf[at++] = (delta - 269) & 0xff
    }
    let ln: number
    if (len < 13) {
      ln = len
    } else if (len < 269) {
      ln = 13
      buf[at++] = len - 13
    } else {
      ln = 14
      buf[at++] = (len - 269) >>> 8
      buf[at++] = (len - 269) & 0xff
    }
    buf[head] = (dn << 4) | ln
    if (len > 0) at += o.value.copy(buf, at)
  }
  if (hasPayload) {
    buf[at++] = PAYLOAD_MARKER
    payload.copy(buf, at)
  }
  return buf
}

/**
 * Decodes one datagram strictly (RFC 7252 §3, §4.1). Every format error throws CoapMalformedError with its reason;
 * no other exception escapes, whatever the bytes. The token, option values and payload share memory with `buf`.
 */
export function decode (buf: Buffer): CoapMessage {
  const len = buf.length
  if (len < 4) throw malformed('TOO_SHORT', `${len} bytes, the header alone is 4`)
  const b0 = buf[0]!
  const version = b0 >>> 6
  if (version !== COAP_VERSION) throw malformed('BAD_VERSION', `version ${version}, only 1 is defined`)
  const tkl = b0 & 0x0f
  // §3: token lengths 9-15 are reserved and MUST be processed as a message format error.
  if (tkl > MAX_TOKEN_LENGTH) throw malformed('BAD_TOKEN_LENGTH', `token length ${tkl}, at most 8`)
  const code = buf[1]!
  if (isReservedCodeClass(code)) throw malformed('BAD_CODE', `code ${formatCode(code)} is in a reserved class`)
  const type = coapTypes[(b0 >>> 4) & 0x03]!
  const messageId = (buf[2]! << 8) | buf[3]!
  if (code === 0) {
    // §4.1: an Empty message has TKL 0 and nothing after the Message ID.
    if (tkl !== 0 || len !== 4) throw malformed('EMPTY_MESSAGE_NOT_EMPTY', `Empty message (0.00) with token length ${tkl} and ${len - 4} bytes after the header`)
    return { version, type, code, messageId, token: EMPTY, options: [] }
  }
  if (len < 4 + tkl) throw malformed('TRUNCATED_TOKEN', `token length ${tkl} but ${len - 4} bytes after the header`)
  const token = tkl === 0 ? EMPTY : buf.subarray(4, 4 + tkl)
  const options: CoapOption[] = []
  let payload: Buffer | undefined
  let at = 4 + tkl
  let number = 0
  while (at < len) {
    const head = buf[at++]!
    if (head === PAYLOAD_MARKER) {
      // §3: a marker followed by a zero-length payload MUST be processed as a message format error.
      if (at === len) throw malformed('EMPTY_PAYLOAD_AFTER_MARKER', 'payload marker at the end of the datagram')
      payload = buf.subarray(at)
      break
    }
    let delta = head >>> 4
    let length = head & 0x0f
    // §3.1: nibble 15 is reserved except in the payload marker.
    if (delta === 15) throw malformed('BAD_OPTION_DELTA', `option delta nibble 15 at byte ${at - 1}`)
    if (length === 15) throw malformed('BAD_OPTION_LENGTH', `option length nibble 15 at byte ${at - 1}`)
    if (delta === 13) {
      if (at >= len) throw malformed('TRUNCATED_OPTION', 'extended option delta cut off')
      delta = buf[at++]! + 13
    } else if (delta === 14) {
      if (at + 2 > len) throw malformed('TRUNCATED_OPTION', 'extended option delta cut off')
      delta = ((buf[at]! << 8) | buf[at + 1]!) + 269
      at += 2
    }
    if (length === 13) {
      if (at >= len) throw malformed('TRUNCATED_OPTION', 'extended option length cut off')
      length = buf[at++]! + 13
    } else if (length === 14) {
      if (at + 2 > len) throw malformed('TRUNCATED_OPTION', 'extended option length cut off')
      length = ((buf[at]! << 8) | buf[at + 1]!) + 269
      at += 2
    }
    number += delta
    if (number > MAX_OPTION_NUMBER) throw malformed('BAD_OPTION_DELTA', `option number ${number} is past 65535`)
    if (at + length > len) throw malformed('TRUNCATED_OPTION', `option ${number} value of ${length} bytes, ${len - at} left`)
    options.push({ number, value: length === 0 ? EMPTY : buf.subarray(at, at + length) })
    at += length
  }
  return payload === undefined
    ? { version, type, code, messageId, token, options }
    : { version, type, code, messageId, token, options, payload }
}

/** An Empty ACK or RST for a received message id (RFC 7252 §4.2, §4.3). */
export function encodeEmpty (type: 'ACK' | 'RST' | 'CON', messageId: number): Buffer {
  const buf = Buffer.allocUnsafe(4)
  buf[0] = (COAP_VERSION << 6) | (typeBits[type] << 4)
  buf[1] = 0
  buf[2] = messageId >>> 8
  buf[3] = messageId & 0xff
  return buf
}

/** A one-line description for logs: "CON 0.01 mid=4660 token=cafe [11:7264] 0 bytes" (option values in hex). */
export function formatMessage (msg: CoapMessage): string {
  const opts = msg.options.map(o => `${o.number}:${o.value.length <= 16 ? o.value.toString('hex') : `${o.value.length}B`}`).join(' ')
  return `${msg.type} ${formatCode(msg.code)} mid=${msg.messageId} token=${msg.token.toString('hex')} [${opts}] ${msg.payload?.length ?? 0} bytes`
}
