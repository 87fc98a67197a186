// CoAP options (RFC 7252 §5.4, §5.10, §12.2; RFC 7641 Observe; RFC 7959 Block1/Block2/Size): numbers, properties,
// value formats (uint, string, opaque) and readers/builders for the options LWM2M uses.
import { CoapMalformedError } from './errors.ts'
import type { CoapMessage, CoapOption } from './message.ts'

export const OptionNumber = {
  IF_MATCH: 1,
  URI_HOST: 3,
  ETAG: 4,
  IF_NONE_MATCH: 5,
  OBSERVE: 6,
  URI_PORT: 7,
  LOCATION_PATH: 8,
  URI_PATH: 11,
  CONTENT_FORMAT: 12,
  MAX_AGE: 14,
  URI_QUERY: 15,
  ACCEPT: 17,
  LOCATION_QUERY: 20,
  BLOCK2: 23,
  BLOCK1: 27,
  SIZE2: 28,
  PROXY_URI: 35,
  PROXY_SCHEME: 39,
  SIZE1: 60,
} as const

/** Content-Format ids (RFC 7252 §12.3, RFC 8428 SenML, OMA LWM2M 1.1 §7.3 TLV and JSON). */
export const ContentFormat = {
  TEXT_PLAIN: 0,
  LINK_FORMAT: 40,
  OCTET_STREAM: 42,
  JSON: 50,
  CBOR: 60,
  SENML_JSON: 110,
  SENML_CBOR: 112,
  LWM2M_TLV: 11542,
  LWM2M_JSON: 11543,
  /** LWM2M 1.0 pre-registration ids, still sent by older clients. */
  LWM2M_TLV_OLD: 1542,
  LWM2M_JSON_OLD: 1543,
} as const

/** Max-Age when the option is absent (RFC 7252 §5.10.5). */
export const DEFAULT_MAX_AGE = 60

// §5.4.6: the low bits of the number carry the option's properties.
/** A critical option the receiver does not understand makes it reject the message (§5.4.1). */
export function isCritical (number: number): boolean {
  return (number & 1) === 1
}

/** An unsafe option must be understood by a proxy to forward the message (§5.4.2). */
export function isUnsafe (number: number): boolean {
  return (number & 2) === 2
}

/** Safe-to-forward options with bits 2-4 set to 1 are not part of the cache key (§5.4.2). */
export function isNoCacheKey (number: number): boolean {
  return (number & 0x1e) === 0x1c
}

function badValue (message: string): CoapMalformedError {
  return new CoapMalformedError('BAD_OPTION_VALUE', message)
}

const EMPTY = Buffer.alloc(0)

/** A uint option value in the fewest bytes (§3.2: 0 is the empty value), at most 4 bytes. */
export function encodeUint (value: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw badValue(`uint option value ${value} is not 0-4294967295`)
  if (value === 0) return EMPTY
  const size = value < 0x100 ? 1 : value < 0x10000 ? 2 : value < 0x1000000 ? 3 : 4
  const buf = Buffer.allocUnsafe(size)
  buf.writeUIntBE(value, 0, size)
  return buf
}

/** A uint option value; leading zero bytes are accepted (§3.2). More than 6 significant bytes do not fit a number. */
export function decodeUint (value: Buffer): number {
  let start = 0
  while (start < value.length && value[start] === 0) start++
  if (value.length - start > 6) throw badValue(`uint option value of ${value.length - start} significant bytes, at most 6 are read`)
  let n = 0
  for (let i = start; i < value.length; i++) n = n * 256 + value[i]!
  return n
}

export function stringOption (number: number, value: string): CoapOption {
  return { number, value: Buffer.from(value, 'utf8') }
}

export function uintOption (number: number, value: number): CoapOption {
  return { number, value: encodeUint(value) }
}

/** The first value of an option, or undefined. */
export function optionValue (msg: Pick<CoapMessage, 'options'>, number: number): Buffer | undefined {
  const options = msg.options
  for (let i = 0; i < options.length; i++) if (options[i]!.number === number) return options[i]!.value
  return undefined
}

/** Every value of a repeatable option, in order. */
export function optionValues (msg: Pick<CoapMessage, 'options'>, number: number): Buffer[] {
  const values: Buffer[] = []
  for (const o of msg.options) if (o.number === number) values.push(o.value)
  return values
}

function strings (msg: Pick<CoapMessage, 'options'>, number: number): string[] {
  const out: string[] = []
  for (const o of msg.options) if (o.number === number) out.push(o.value.toString('utf8'))
  return out
}

function query (msg: Pick<CoapMessage, 'options'>, number: number): Record<string, string> {
  const entries: Array<[string, string]> = []
  for (const o of msg.options) {
    if (o.number !== number) continue
    const text = o.value.toString('utf8')
    const eq = text.indexOf('=')
    entries.push(eq < 0 ? [text, ''] : [text.slice(0, eq), text.slice(eq + 1)])
  }
  // fromEntries defines own properties, so a key such as "__proto__" stays data.
  return Object.fromEntries(entries)
}

/** Uri-Path segments: ["rd", "5a3f"] for /rd/5a3f. */
export function uriPath (msg: Pick<CoapMessage, 'options'>): string[] {
  return strings(msg, OptionNumber.URI_PATH)
}

/** Uri-Query as key -> value ("b" alone gives b: ""); the last of repeated keys wins. */
export function uriQuery (msg: Pick<CoapMessage, 'options'>): Record<string, string> {
  return query(msg, OptionNumber.URI_QUERY)
}

export function locationPath (msg: Pick<CoapMessage, 'options'>): string[] {
  return strings(msg, OptionNumber.LOCATION_PATH)
}

export function locationQuery (msg: Pick<CoapMessage, 'options'>): Record<string, string> {
  return query(msg, OptionNumber.LOCATION_QUERY)
}

function boundedUint (msg: Pick<CoapMessage, 'options'>, number: number, name: string, maxBytes: number): number | undefined {
  const value = optionValue(msg, number)
  if (value === undefined) return undefined
  if (value.length > maxBytes) throw badValue(`${name} of ${value.length} bytes, at most ${maxBytes}`)
  return decodeUint(value)
}

/** Observe (RFC 7641 §2): 0 register / 1 deregister in requests, a 24-bit sequence number in notifications. */
export function observe (msg: Pick<CoapMessage, 'options'>): number | undefined {
  return boundedUint(msg, OptionNumber.OBSERVE, 'Observe', 3)
}

export function contentFormat (msg: Pick<CoapMessage, 'options'>): number | undefined {
  return boundedUint(msg, OptionNumber.CONTENT_FORMAT, 'Content-Format', 2)
}

export function accept (msg: Pick<CoapMessage, 'options'>): number | undefined {
  return boundedUint(msg, OptionNumber.ACCEPT, 'Accept', 2)
}

export function maxAge (msg: Pick<CoapMessage, 'options'>): number {
  return boundedUint(msg, OptionNumber.MAX_AGE, 'Max-Age', 4) ?? DEFAULT_MAX_AGE
}

/** "/3303/0/5700" or ["3303", "0", "5700"] as Uri-Path options; "" and "/" are the root (no option). */
export function uriPathOptions (path: string | readonly string[], number: number = OptionNumber.URI_PATH): CoapOption[] {
  const segments = typeof path === 'string' ? splitPath(path) : path
  return segments.map(s => stringOption(number, s))
}

export function locationPathOptions (path: string | readonly string[]): CoapOption[] {
  return uriPathOptions(path, OptionNumber.LOCATION_PATH)
}

/** { ep: "dev1", lt: 300, b: "U" } as Uri-Query options "ep=dev1", "lt=300", "b=U"; undefined values are left out. */
export function uriQueryOptions (query: Readonly<Record<string, string | number | undefined>>): CoapOption[] {
  const out: CoapOption[] = []
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) out.push(stringOption(OptionNumber.URI_QUERY, `${key}=${value}`))
  }
  return out
}

function splitPath (path: string): string[] {
  const trimmed = path.startsWith('/') ? path.slice(1) : path
  return trimmed === '' ? [] : trimmed.split('/')
}

/** A Block1/Block2 value (RFC 7959 §2.2): block number, more flag, size exponent (block size 2^(szx+4)). */
export interface Block {
  num: number
  more: boolean
  szx: number
}

/** 16 << szx: 16 to 1024 bytes. */
export function blockSize (szx: number): number {
  return 16 << szx
}

/** The SZX for a block size of 16, 32, ... 1024 bytes. */
export function sizeToSzx (size: number): number {
  const szx = Math.log2(size) - 4
  if (!Number.isInteger(szx) || szx < 0 || szx > 6) throw badValue(`block size ${size} is not a power of two from 16 to 1024`)
  return szx
}

export function encodeBlock (block: Block): Buffer {
  const { num, more, szx } = block
  if (!Number.isInteger(num) || num < 0 || num > 0xfffff) throw badValue(`block number ${num} is not 0-1048575`)
  if (!Number.isInteger(szx) || szx < 0 || szx > 6) throw badValue(`block SZX ${szx} is not 0-6`)
  return encodeUint(num * 16 + (more ? 8 : 0) + szx)
}

export function decodeBlock (value: Buffer): Block {
  if (value.length > 3) throw badValue(`block option of ${value.length} bytes, at most 3`)
  const n = decodeUint(value)
  const szx = n & 0x07
  // RFC 7959 §2.2: SZX 7 is reserved and MUST be treated as a format error of the option.
  if (szx === 7) throw badValue('block SZX 7 is reserved')
  return { num: n >>> 4, more: (n & 0x08) !== 0, szx }
}

export function block2 (msg: Pick<CoapMessage, 'options'>): Block | undefined {
  const value = optionValue(msg, OptionNumber.BLOCK2)
  return value === undefined ? undefined : decodeBlock(value)
}

export function block1 (msg: Pick<CoapMessage, 'options'>): Block | undefined {
  const value = optionValue(msg, OptionNumber.BLOCK1)
  return value === undefined ? undefined : decodeBlock(value)
}

export function block2Option (block: Block): CoapOption {
  return { number: OptionNumber.BLOCK2, value: encodeBlock(block) }
}

export function block1Option (block: Block): CoapOption {
  return { number: OptionNumber.BLOCK1, value: encodeBlock(block) }
}
