// CoAP Content-Format ids used by LWM2M 1.1 (§7.4, IANA "CoAP Content-Formats") and one dispatch point from a
// format id to its codec: encodeNode / decodeNode. Types come from the nodes when encoding and from the object
// registry (DecodeOptions) when decoding.
import { Lwm2mFormatError } from './errors.ts'
import { checkValue, lookupResource } from './model.ts'
import type { DecodeOptions, Lwm2mNode } from './model.ts'
import { requireLevel } from './path.ts'
import type { Lwm2mPath } from './path.ts'
import { asBuffer, checkNodeMatchesPath } from './codec-util.ts'
import { decodeText, encodeText } from './text.ts'
import { decodeTlv, encodeTlv } from './tlv.ts'
import { nodeToSenml, resolveSenml, senmlToNode } from './senml.ts'
import { decodeSenmlJson, encodeSenmlJson } from './senml-json.ts'
import { decodeSenmlCbor, encodeSenmlCbor } from './senml-cbor.ts'

export const ContentFormat = {
  TEXT: 0,
  LINK_FORMAT: 40,
  OCTET_STREAM: 42,
  SENML_JSON: 110,
  SENML_CBOR: 112,
  TLV: 11542,
  LWM2M_JSON: 11543,
} as const
export type ContentFormatId = (typeof ContentFormat)[keyof typeof ContentFormat]

interface FormatCodec {
  readonly mediaType: string
  /** Names `parseContentFormat` takes besides the id and the media type. */
  readonly short: readonly string[]
  /** Resource values to a payload; absent: the format carries none (link-format: link-format.ts). */
  readonly encode?: (path: Lwm2mPath, node: Lwm2mNode) => Buffer
  readonly decode?: (path: Lwm2mPath, payload: Uint8Array, options?: DecodeOptions) => Lwm2mNode
}

// §7.4.2: opaque carries the raw bytes of one opaque resource (or resource instance)
function encodeOpaque (path: Lwm2mPath, node: Lwm2mNode): Buffer {
  requireLevel(path, ['resource', 'resourceInstance'], 'application/octet-stream')
  checkNodeMatchesPath(path, node)
  if ((node.kind !== 'single' && node.kind !== 'resourceInstance') || node.type !== 'opaque') {
    throw new Lwm2mFormatError('VALUE_TYPE', 'application/octet-stream carries one opaque value')
  }
  checkValue('opaque', node.value)
  return Buffer.from(node.value as Uint8Array)
}

function decodeOpaque (path: Lwm2mPath, payload: Uint8Array, options?: DecodeOptions): Lwm2mNode {
  const level = requireLevel(path, ['resource', 'resourceInstance'], 'application/octet-stream')
  const def = lookupResource(options, path.objectId!, path.resourceId!)
  if (def !== undefined && def.type !== 'opaque') throw new Lwm2mFormatError('VALUE_TYPE', `resource ${path.resourceId} is ${def.type}, not opaque`)
  const value = Buffer.from(asBuffer(payload))
  return level === 'resource'
    ? { kind: 'single', id: path.resourceId!, type: 'opaque', value }
    : { kind: 'resourceInstance', id: path.resourceInstanceId!, type: 'opaque', value }
}

/** The content formats by id (house rule 1): a format is added here with its codec, and nowhere else. */
const formats: Readonly<Record<ContentFormatId, FormatCodec>> = {
  0: { mediaType: 'text/plain', short: ['text'], encode: encodeText, decode: decodeText },
  40: { mediaType: 'application/link-format', short: ['link-format'] },
  42: { mediaType: 'application/octet-stream', short: ['opaque', 'octet-stream'], encode: encodeOpaque, decode: decodeOpaque },
  110: {
    mediaType: 'application/senml+json', short: ['senml-json'],
    encode: (path, node) => encodeSenmlJson(nodeToSenml(path, node)),
    decode: (path, payload, options) => senmlToNode(path, resolveSenml(decodeSenmlJson(payload)), options),
  },
  112: {
    mediaType: 'application/senml+cbor', short: ['senml-cbor'],
    encode: (path, node) => encodeSenmlCbor(nodeToSenml(path, node)),
    decode: (path, payload, options) => senmlToNode(path, resolveSenml(decodeSenmlCbor(payload)), options),
  },
  11542: { mediaType: 'application/vnd.oma.lwm2m+tlv', short: ['tlv'], encode: encodeTlv, decode: decodeTlv },
  11543: { mediaType: 'application/vnd.oma.lwm2m+json', short: ['json'] },
}

const formatIds = Object.keys(formats).map(Number) as ContentFormatId[]

export const contentFormatNames: Readonly<Record<ContentFormatId, string>> =
  Object.fromEntries(formatIds.map(id => [id, formats[id].mediaType])) as Record<ContentFormatId, string>

/** Formats that carry resource values, both ways (link-format is for Register/Discover: link-format.ts). */
export const valueFormats: readonly ContentFormatId[] = formatIds.filter(id => formats[id].encode !== undefined && formats[id].decode !== undefined)

export function isContentFormat (id: number): id is ContentFormatId {
  return Object.hasOwn(formats, id)
}

export function contentFormatName (id: number): string | undefined {
  return isContentFormat(id) ? formats[id].mediaType : undefined
}

/** Accepts an id (11542, "11542") or a media type ("application/senml+json") or a short name (tlv, senml-cbor). */
export function parseContentFormat (input: string | number): ContentFormatId {
  const s = String(input).trim().toLowerCase()
  const n = /^[0-9]+$/.test(s) ? Number(s) : Number.NaN
  if (isContentFormat(n)) return n
  const id = formatIds.find(f => formats[f].mediaType === s || formats[f].short.includes(s))
  if (id !== undefined) return id
  throw new Lwm2mFormatError('UNSUPPORTED_CONTENT_FORMAT', `unknown content format ${JSON.stringify(input)}`, {
    hint: `use one of ${formatIds.map(f => `${f} (${formats[f].mediaType})`).join(', ')}`,
  })
}

function unsupported (format: number, what: string): Lwm2mFormatError {
  return new Lwm2mFormatError('UNSUPPORTED_CONTENT_FORMAT',
    `content format ${format}${contentFormatName(format) !== undefined ? ` (${contentFormatName(format)})` : ''} cannot ${what}`)
}

/** The payload for `node` at `path` in `format`. */
export function encodeNode (format: number, path: Lwm2mPath, node: Lwm2mNode): Buffer {
  const encode = isContentFormat(format) ? formats[format].encode : undefined
  if (encode === undefined) throw unsupported(format, 'encode resource values')
  return encode(path, node)
}

/** The node at `path` from a payload in `format`; malformed input throws Lwm2mFormatError with a reason. */
export function decodeNode (format: number, path: Lwm2mPath, payload: Uint8Array, options?: DecodeOptions): Lwm2mNode {
  const decode = isContentFormat(format) ? formats[format].decode : undefined
  if (decode === undefined) throw unsupported(format, 'be decoded into resource values')
  return decode(path, payload, options)
}
