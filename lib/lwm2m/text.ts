// text/plain, content format 0 (LWM2M 1.1 §7.4.1): one value of a single resource or resource instance as UTF-8
// text. Integers and time (Unix seconds) in decimal, floats in decimal with an optional exponent, booleans "0"/"1",
// objlnk as "ObjectID:InstanceID", opaque as base64. Decoding is strict: no surrounding spaces, no "+", no hex.
import { Lwm2mFormatError } from './errors.ts'
import { checkValue, lookupResource, normalizeInteger } from './model.ts'
import type { DecodeOptions, Lwm2mNode, ObjectLink, ResourceType, ResourceValue } from './model.ts'
import { requireLevel } from './path.ts'
import type { Lwm2mPath } from './path.ts'
import { asBuffer, checkNodeMatchesPath, decodeBase64, decodeUtf8 } from './codec-util.ts'

const INTEGER = /^-?[0-9]{1,20}$/
const UNSIGNED = /^[0-9]{1,20}$/
const FLOAT = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]{1,4})?$/
const OBJLNK = /^([0-9]{1,5}):([0-9]{1,5})$/

/** The text of one value; the value must be valid for the type (throws VALUE_TYPE otherwise). */
export function formatTextValue (type: ResourceType, value: ResourceValue): string {
  checkValue(type, value)
  switch (type) {
    case 'string': case 'corelnk': return value as string
    case 'integer': case 'unsigned': return typeof value === 'number' && !Number.isSafeInteger(value) ? BigInt(value).toString() : String(value)
    case 'float': return String(value)
    case 'boolean': return value === true ? '1' : '0'
    case 'time': return String(Math.floor((value as Date).getTime() / 1000))
    case 'objlnk': return `${(value as ObjectLink).objectId}:${(value as ObjectLink).instanceId}`
    case 'opaque': return Buffer.from(value as Uint8Array).toString('base64')
  }
}

export function encodeTextValue (type: ResourceType, value: ResourceValue): Buffer {
  return Buffer.from(formatTextValue(type, value), 'utf8')
}

/** Parses the text of one value of `type`; throws TEXT_SYNTAX, TEXT_RANGE or BAD_UTF8. */
export function parseTextValue (type: ResourceType, text: string): ResourceValue {
  switch (type) {
    case 'string': case 'corelnk': return text
    case 'boolean':
      if (text === '1') return true
      if (text === '0') return false
      throw syntax(type, text)
    case 'float': {
      if (!FLOAT.test(text)) throw syntax(type, text)
      const v = Number(text)
      if (!Number.isFinite(v)) throw new Lwm2mFormatError('TEXT_RANGE', `float ${text} overflows a 64-bit float`)
      return v
    }
    case 'integer': case 'time': case 'unsigned': {
      if (!(type === 'unsigned' ? UNSIGNED : INTEGER).test(text)) throw syntax(type, text)
      const big = BigInt(text)
      const [min, max] = type === 'unsigned' ? [0n, 2n ** 64n - 1n] : [-(2n ** 63n), 2n ** 63n - 1n]
      if (big < min || big > max) throw new Lwm2mFormatError('TEXT_RANGE', `${type} ${text} is outside ${min}..${max}`)
      if (type !== 'time') return normalizeInteger(big)
      const ms = Number(big) * 1000
      if (!(Math.abs(ms) <= 8.64e15)) throw new Lwm2mFormatError('TEXT_RANGE', `time ${text} s is outside the Date range`)
      return new Date(ms)
    }
    case 'objlnk': {
      const m = OBJLNK.exec(text)
      const objectId = Number(m?.[1])
      const instanceId = Number(m?.[2])
      if (m === null) throw syntax(type, text)
      if (objectId > 65535 || instanceId > 65535) throw new Lwm2mFormatError('TEXT_RANGE', `objlnk ${text}: ids are 0..65535`)
      return { objectId, instanceId }
    }
    case 'opaque': return decodeBase64(text, 'TEXT_SYNTAX')
  }
}

export function decodeTextValue (type: ResourceType, payload: Uint8Array): ResourceValue {
  const buf = asBuffer(payload)
  return parseTextValue(type, decodeUtf8(buf, 0, buf.length))
}

function syntax (type: ResourceType, text: string): Lwm2mFormatError {
  return new Lwm2mFormatError('TEXT_SYNTAX', `not a ${type}: ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text)}`)
}

/** text/plain carries a single resource or a resource instance (§7.4.1). */
export function encodeText (path: Lwm2mPath, node: Lwm2mNode): Buffer {
  requireLevel(path, ['resource', 'resourceInstance'], 'text/plain')
  checkNodeMatchesPath(path, node)
  if (node.kind === 'multiple') throw new Lwm2mFormatError('PATH_LEVEL', `text/plain cannot carry multiple resource ${node.id}; read one instance`)
  if (node.kind !== 'single' && node.kind !== 'resourceInstance') throw new Lwm2mFormatError('NODE_MISMATCH', 'text/plain carries one value')
  return encodeTextValue(node.type, node.value)
}

export function decodeText (path: Lwm2mPath, payload: Uint8Array, options?: DecodeOptions): Lwm2mNode {
  const level = requireLevel(path, ['resource', 'resourceInstance'], 'text/plain')
  const def = lookupResource(options, path.objectId!, path.resourceId!)
  if (def !== undefined && def.multiple !== (level === 'resourceInstance')) {
    throw new Lwm2mFormatError('PATH_LEVEL', def.multiple
      ? `text/plain cannot carry multiple resource /${path.objectId}/${path.instanceId}/${path.resourceId}; read one instance`
      : `resource /${path.objectId}/${path.instanceId}/${path.resourceId} is single and has no resource instances`)
  }
  const type = def?.type as ResourceType | undefined ?? 'string'
  const value = decodeTextValue(type, payload)
  return level === 'resource'
    ? { kind: 'single', id: path.resourceId!, type, value }
    : { kind: 'resourceInstance', id: path.resourceInstanceId!, type, value }
}
