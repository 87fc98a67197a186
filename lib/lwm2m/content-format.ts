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

export const contentFormatNames: Readonly<Record<ContentFormatId, string>> = {
  0: 'text/plain',
  40: 'application/link-format',
  42: 'application/octet-stream',
  110: 'application/senml+json',
  112: 'application/senml+cbor',
  11542: 'application/vnd.oma.lwm2m+tlv',
  11543: 'application/vnd.oma.lwm2m+json',
}

/** Formats that carry resource values (link-format is for Register/Discover: link-format.ts). */
export const valueFormats: readonly ContentFormatId[] = [0, 42, 110, 112, 11542]

export function isContentFormat (id: number): id is ContentFormatId {
  return Object.hasOwn(contentFormatNames, id)
}

export function contentFormatName (id: number): string | undefined {
  return isContentFormat(id) ? contentFormatNames[id] : undefined
}

/** Accepts an id (11542, "11542") or a media type ("application/senml+json") or a short name (tlv, senml-cbor). */
export function parseContentFormat (input: string | number): ContentFormatId {
  const short: Record<string, ContentFormatId> = {
    text: 0, 'link-format': 40, opaque: 42, 'octet-stream': 42, 'senml-json': 110, 'senml-cbor': 112, tlv: 11542, json: 11543,
  }
  const s = String(input).trim().toLowerCase()
  const n = /^[0-9]+$/.test(s) ? Number(s) : Number.NaN
  if (isContentFormat(n)) return n
  const byName = (Object.entries(contentFormatNames) as Array<[string, string]>).find(([, name]) => name === s)
  if (byName !== undefined) return Number(byName[0]) as ContentFormatId
  if (Object.hasOwn(short, s)) return short[s]!
  throw new Lwm2mFormatError('UNSUPPORTED_CONTENT_FORMAT', `unknown content format ${JSON.stringify(input)}`, {
    hint: `use one of ${Object.entries(contentFormatNames).map(([id, name]) => `${id} (${name})`).join(', ')}`,
  })
}

function unsupported (format: number, what: string): Lwm2mFormatError {
  return new Lwm2mFormatError('UNSUPPORTED_CONTENT_FORMAT',
    `content format ${format}${contentFormatName(format) !== undefined ? ` (${contentFormatName(format)})` : ''} cannot ${what}`)
}

/** The payload for `node` at `path` in `format`. */
export function encodeNode (format: number, path: Lwm2mPath, node: Lwm2mNode): Buffer {
  switch (format) {
    case ContentFormat.TLV: return encodeTlv(path, node)
    case ContentFormat.SENML_JSON: return encodeSenmlJson(nodeToSenml(path, node))
    case ContentFormat.SENML_CBOR: return encodeSenmlCbor(nodeToSenml(path, node))
    case ContentFormat.TEXT: return encodeText(path, node)
    case ContentFormat.OCTET_STREAM: {
      // §7.4.2: opaque carries the raw bytes of one opaque resource (or resource instance)
      requireLevel(path, ['resource', 'resourceInstance'], 'application/octet-stream')
      checkNodeMatchesPath(path, node)
      if ((node.kind !== 'single' && node.kind !== 'resourceInstance') || node.type !== 'opaque') {
        throw new Lwm2mFormatError('VALUE_TYPE', 'application/octet-stream carries one opaque value')
      }
      checkValue('opaque', node.value)
      return Buffer.from(node.value as Uint8Array)
    }
    default: throw unsupported(format, 'encode resource values')
  }
}

/** The node at `path` from a payload in `format`; malformed input throws Lwm2mFormatError with a reason. */
export function decodeNode (format: number, path: Lwm2mPath, payload: Uint8Array, options?: DecodeOptions): Lwm2mNode {
  switch (format) {
    case ContentFormat.TLV: return decodeTlv(path, payload, options)
    case ContentFormat.SENML_JSON: return senmlToNode(path, resolveSenml(decodeSenmlJson(payload)), options)
    case ContentFormat.SENML_CBOR: return senmlToNode(path, resolveSenml(decodeSenmlCbor(payload)), options)
    case ContentFormat.TEXT: return decodeText(path, payload, options)
    case ContentFormat.OCTET_STREAM: {
      const level = requireLevel(path, ['resource', 'resourceInstance'], 'application/octet-stream')
      const def = lookupResource(options, path.objectId!, path.resourceId!)
      if (def !== undefined && def.type !== 'opaque') throw new Lwm2mFormatError('VALUE_TYPE', `resource ${path.resourceId} is ${def.type}, not opaque`)
      const value = Buffer.from(asBuffer(payload))
      return level === 'resource'
        ? { kind: 'single', id: path.resourceId!, type: 'opaque', value }
        : { kind: 'resourceInstance', id: path.resourceInstanceId!, type: 'opaque', value }
    }
    default: throw unsupported(format, 'be decoded into resource values')
  }
}
