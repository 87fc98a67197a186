// CoRE Link Format, content format 40 (RFC 6690 §2): link-value *("," link-value), link-value = "<" URI ">"
// *(";" parmname ["=" (ptoken / quoted-string)]). Quoted strings may hold "," ";" and escaped quotes (quoted-pair).
// Optional whitespace between links and around ";" is tolerated (real clients send it); anything else is rejected
// with a reason. LWM2M uses it for the registration payload (LWM2M 1.1 §6.2.1) and Discover responses (§6.3.3),
// whose attributes are defined in §5.1.2 (pmin, pmax, gt, lt, st, epmin, epmax, dim, ver, ...).
import { Lwm2mFormatError } from './errors.ts'
import { asBuffer, decodeUtf8 } from './codec-util.ts'
import { formatPath, parsePath } from './path.ts'
import type { Lwm2mPath } from './path.ts'

/** A parameter without "=" (e.g. ";obs") has the value true. */
export type LinkParamValue = string | true
export interface Link { readonly uri: string, readonly params: ReadonlyMap<string, LinkParamValue> }

// RFC 6690 §2: parmname and ptoken character sets
const PARMNAME = charSet('!#$&+-.^_`|~')
const PTOKEN = charSet('!#$%&\'()*+-./:<=>?@[]^_`{|}~')
function charSet (extra: string): Uint8Array {
  const t = new Uint8Array(128)
  for (let c = 0; c < 128; c++) t[c] = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ? 1 : 0
  for (const ch of extra) t[ch.charCodeAt(0)] = 1
  return t
}
const inSet = (set: Uint8Array, c: number): boolean => c < 128 && set[c] === 1

/** Parameters whose values are written quoted even when they would be valid tokens (RFC 6690 §3, §2). */
const QUOTED = new Set(['rt', 'if', 'anchor', 'title', 'rel', 'rev'])

export function parseLinkFormat (payload: Uint8Array | string): Link[] {
  let text: string
  if (typeof payload === 'string') text = payload
  else { const buf = asBuffer(payload); text = decodeUtf8(buf, 0, buf.length) }
  const links: Link[] = []
  let i = skipWs(text, 0)
  if (i === text.length) return links
  for (;;) {
    if (text.charCodeAt(i) !== 0x3c) throw syntax(text, i, 'a link starts with "<"')
    const close = text.indexOf('>', i + 1)
    if (close < 0) throw syntax(text, i, 'no ">" closes the URI')
    const uri = text.slice(i + 1, close)
    checkUri(uri, text, i)
    const params = new Map<string, LinkParamValue>()
    i = skipWs(text, close + 1)
    while (text.charCodeAt(i) === 0x3b) { // ';'
      i = skipWs(text, i + 1)
      const nameStart = i
      while (i < text.length && inSet(PARMNAME, text.charCodeAt(i))) i++
      if (i === nameStart) throw syntax(text, i, 'a parameter name is expected after ";"')
      const name = text.slice(nameStart, i)
      let value: LinkParamValue = true
      if (text.charCodeAt(i) === 0x3d) { // '='
        i++
        if (text.charCodeAt(i) === 0x22) [value, i] = readQuoted(text, i)
        else {
          const start = i
          while (i < text.length && inSet(PTOKEN, text.charCodeAt(i))) i++
          if (i === start) throw syntax(text, i, `parameter "${name}" has "=" but no value`)
          value = text.slice(start, i)
        }
      }
      if (!params.has(name)) params.set(name, value) // RFC 8288 §3: later occurrences are ignored
      i = skipWs(text, i)
    }
    links.push({ uri, params })
    if (i === text.length) return links
    if (text.charCodeAt(i) !== 0x2c) throw syntax(text, i, 'expected "," or ";"')
    i = skipWs(text, i + 1)
  }
}

function skipWs (text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i)
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) break
    i++
  }
  return i
}

/** RFC 7230 §3.2.6 quoted-string: "\" escapes the next character. Returns the unescaped value and the next index. */
function readQuoted (text: string, start: number): [string, number] {
  let value = ''
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x22) return [value, i + 1]
    if (c === 0x5c) {
      if (i + 1 >= text.length) break
      value += text[++i]
    } else if (c < 0x20 && c !== 0x09) {
      throw new Lwm2mFormatError('LINK_BAD_QUOTE', `control character in a quoted string at ${i}`)
    } else value += text[i]
  }
  throw new Lwm2mFormatError('LINK_BAD_QUOTE', `unterminated quoted string starting at ${start}`)
}

function checkUri (uri: string, text: string, at: number): void {
  for (let k = 0; k < uri.length; k++) {
    const c = uri.charCodeAt(k)
    if (c <= 0x20 || c === 0x22 || c === 0x3c || c === 0x7f) throw syntax(text, at + 1 + k, 'invalid character in a URI reference')
  }
}

function syntax (text: string, i: number, message: string): Lwm2mFormatError {
  const near = text.slice(Math.max(0, i - 10), i + 10)
  return new Lwm2mFormatError('LINK_SYNTAX', `${message} at ${i} (near ${JSON.stringify(near)})`)
}

function formatParamValue (name: string, value: string): string {
  let token = value.length > 0 && !QUOTED.has(name)
  for (let k = 0; token && k < value.length; k++) token = inSet(PTOKEN, value.charCodeAt(k))
  return token ? value : `"${value.replace(/[\\"]/g, '\\$&')}"`
}

export function formatLinkFormat (links: Iterable<Link>): string {
  const parts: string[] = []
  for (const link of links) {
    checkUri(link.uri, link.uri, -1)
    let s = `<${link.uri}>`
    for (const [name, value] of link.params) {
      for (let k = 0; k < name.length; k++) {
        if (!inSet(PARMNAME, name.charCodeAt(k))) throw new Lwm2mFormatError('LINK_BAD_ATTRIBUTE', `invalid parameter name ${JSON.stringify(name)}`)
      }
      s += value === true ? `;${name}` : `;${name}=${formatParamValue(name, value)}`
    }
    parts.push(s)
  }
  return parts.join(',')
}

// ---- LWM2M attributes (§5.1.2) ----

export interface Lwm2mAttributes {
  pmin?: number, pmax?: number, gt?: number, lt?: number, st?: number, epmin?: number, epmax?: number
  /** Number of resource instances (Discover on a multiple resource). */
  dim?: number
  /** Object version "major.minor". */
  ver?: string
  /** Short server id, server URI and any other parameter, as received. */
  other?: ReadonlyMap<string, LinkParamValue>
}

const INTEGER_ATTRS = new Set(['pmin', 'pmax', 'epmin', 'epmax', 'dim'])
const NUMBER_ATTRS = new Set(['gt', 'lt', 'st'])
const NUMBER = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/

/** Typed attributes from link parameters or a Write-Attributes query; a bad value throws LINK_BAD_ATTRIBUTE. */
export function parseLwm2mAttributes (params: ReadonlyMap<string, LinkParamValue>): Lwm2mAttributes {
  const a: Lwm2mAttributes = {}
  let other: Map<string, LinkParamValue> | undefined
  for (const [name, value] of params) {
    if (INTEGER_ATTRS.has(name) || NUMBER_ATTRS.has(name)) {
      const n = value === true ? Number.NaN : NUMBER.test(value) ? Number(value) : Number.NaN
      if (!Number.isFinite(n) || (INTEGER_ATTRS.has(name) && (!Number.isInteger(n) || n < 0)) || (name === 'st' && n < 0)) {
        throw new Lwm2mFormatError('LINK_BAD_ATTRIBUTE', `${name}=${String(value)}: expected ${INTEGER_ATTRS.has(name) ? 'a non-negative integer' : 'a number'}`)
      }
      a[name as 'pmin'] = n
    } else if (name === 'ver') {
      if (value === true || !/^[0-9]+\.[0-9]+$/.test(value)) throw new Lwm2mFormatError('LINK_BAD_ATTRIBUTE', `ver=${String(value)}: expected "major.minor"`)
      a.ver = value
    } else (other ??= new Map()).set(name, value)
  }
  if (other !== undefined) a.other = other
  return a
}

export function lwm2mAttributesToParams (a: Lwm2mAttributes): Map<string, LinkParamValue> {
  const params = new Map<string, LinkParamValue>()
  for (const name of ['pmin', 'pmax', 'gt', 'lt', 'st', 'epmin', 'epmax', 'dim'] as const) {
    const v = a[name]
    if (v !== undefined) params.set(name, String(v))
  }
  if (a.ver !== undefined) params.set('ver', a.ver)
  for (const [k, v] of a.other ?? []) params.set(k, v)
  return params
}

export interface DiscoveredLink { readonly path: Lwm2mPath, readonly attributes: Lwm2mAttributes }

function linkPath (uri: string, prefix = ''): Lwm2mPath {
  const rest = prefix === '' || prefix === '/' ? uri : uri.startsWith(`${prefix}/`) ? uri.slice(prefix.length) : undefined
  try {
    if (rest === undefined) throw new Error(`not under ${prefix}`)
    return parsePath(rest)
  } catch (err) {
    throw new Lwm2mFormatError('LINK_BAD_PATH', `<${uri}> is not an LWM2M path${prefix !== '' && prefix !== '/' ? ` under ${prefix}` : ''}`, { cause: err })
  }
}

/** A Discover response (§6.3.3): every link is an LWM2M path with its attributes. */
export function parseDiscover (payload: Uint8Array | string): DiscoveredLink[] {
  return parseLinkFormat(payload).map(l => ({ path: linkPath(l.uri), attributes: parseLwm2mAttributes(l.params) }))
}

export function formatDiscover (links: Iterable<DiscoveredLink>): string {
  return formatLinkFormat([...links].map(l => ({ uri: formatPath(l.path), params: lwm2mAttributesToParams(l.attributes) })))
}

export { parseRegistrationLinks, formatRegistrationLinks } from './registration-links.ts'
export type { RegistrationLinks, RegisteredObject } from './registration-links.ts'
export { linkPath }
