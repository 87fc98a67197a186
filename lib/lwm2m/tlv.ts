// OMA TLV, content format 11542 (LWM2M 1.1 §7.4.3).
// Type byte: bits 7-6 identifier type (00 object instance, 01 resource instance, 10 multiple resource, 11 resource
// with value); bit 5 identifier length (0: 8 bits, 1: 16 bits); bits 4-3 length type (00: length in bits 2-0,
// 01/10/11: 8/16/24-bit length field follows the identifier); bits 2-0 the length when the length type is 00.
// Values (§7.4.3 and Appendix C): integer/time as 1, 2, 4 or 8-byte two's complement, unsigned 1/2/4/8 bytes,
// float IEEE 754 in 4 or 8 bytes, boolean one byte 0/1, objlnk 2+2 bytes, string/corelnk UTF-8, opaque raw; big-endian.
// Encoding measures first and writes into one exactly sized Buffer: one allocation per payload.
import { Lwm2mFormatError } from './errors.ts'
import { checkValue, normalizeInteger } from './model.ts'
import type { Lwm2mNode, ObjectInstance, ObjectLink, Resource, ResourceType, ResourceValue } from './model.ts'
import type { Lwm2mPath } from './path.ts'
import { asBuffer, checkNodeMatchesPath, decodeUtf8 } from './codec-util.ts'

export const TlvKind = { OBJECT_INSTANCE: 0, RESOURCE_INSTANCE: 1, MULTIPLE_RESOURCE: 2, RESOURCE: 3 } as const
export type TlvKind = (typeof TlvKind)[keyof typeof TlvKind]

/** One decoded TLV. Leaves (resource, resource instance) have `value`; containers have `children`. */
export interface Tlv {
  readonly kind: TlvKind
  readonly id: number
  readonly value?: Uint8Array
  readonly children?: readonly Tlv[]
}

const MAX_LENGTH = 0xffffff

// ---- structure ----

function headerSize (id: number, length: number): number {
  if (length > MAX_LENGTH) throw new Lwm2mFormatError('TOO_LARGE', `a TLV value of ${length} bytes exceeds 16 MB (24-bit length)`)
  return (id > 0xff ? 3 : 2) + (length < 8 ? 0 : length <= 0xff ? 1 : length <= 0xffff ? 2 : 3)
}

function writeHeader (buf: Buffer, pos: number, kind: number, id: number, length: number): number {
  const wideId = id > 0xff
  const lengthType = length < 8 ? 0 : length <= 0xff ? 1 : length <= 0xffff ? 2 : 3
  buf[pos++] = (kind << 6) | (wideId ? 0x20 : 0) | (lengthType << 3) | (lengthType === 0 ? length : 0)
  if (wideId) buf[pos++] = id >> 8
  buf[pos++] = id & 0xff
  if (lengthType === 3) buf[pos++] = length >> 16
  if (lengthType >= 2) buf[pos++] = (length >> 8) & 0xff
  if (lengthType >= 1) buf[pos++] = length & 0xff
  return pos
}

/** Strict structural decode: every length must fit, containers hold only what §7.4.3 allows, ids are unique. */
export function decodeTlvEntries (payload: Uint8Array): Tlv[] {
  const buf = asBuffer(payload)
  return parseLevel(buf, 0, buf.length, -1)
}

function parseLevel (buf: Buffer, pos: number, end: number, parentKind: number): Tlv[] {
  const out: Tlv[] = []
  let seen: Set<number> | undefined
  while (pos < end) {
    const type = buf[pos]!
    const kind = (type >> 6) as TlvKind
    const idLength = (type & 0x20) !== 0 ? 2 : 1
    const lengthType = (type >> 3) & 3
    const valueStart = pos + 1 + idLength + lengthType
    if (valueStart > end) throw overrun(parentKind, 'header', pos)
    const id = idLength === 2 ? buf.readUInt16BE(pos + 1) : buf[pos + 1]!
    let length = type & 7
    if (lengthType !== 0) length = buf.readUIntBE(pos + 1 + idLength, lengthType)
    const valueEnd = valueStart + length
    if (valueEnd > end) throw overrun(parentKind, `value of ${length} bytes`, pos)
    if (parentKind === TlvKind.OBJECT_INSTANCE && kind !== TlvKind.RESOURCE && kind !== TlvKind.MULTIPLE_RESOURCE) {
      throw new Lwm2mFormatError('TLV_BAD_NESTING', `an object instance holds resources, not identifier type ${kind} (at byte ${pos})`)
    }
    if (parentKind === TlvKind.MULTIPLE_RESOURCE && kind !== TlvKind.RESOURCE_INSTANCE) {
      throw new Lwm2mFormatError('TLV_BAD_NESTING', `a multiple resource holds resource instances, not identifier type ${kind} (at byte ${pos})`)
    }
    // resources and multiple resources share one id space; a Set takes over from the scan for long lists
    const key = idKey(kind, id)
    if (seen !== undefined ? seen.has(key) : hasKey(out, key)) {
      throw new Lwm2mFormatError('TLV_DUPLICATE_ID', `identifier ${id} appears twice (at byte ${pos})`)
    }
    if (seen !== undefined) seen.add(key)
    else if (out.length === 8) seen = new Set(out.map(e => idKey(e.kind, e.id)).concat(key))
    if (kind === TlvKind.OBJECT_INSTANCE || kind === TlvKind.MULTIPLE_RESOURCE) {
      out.push({ kind, id, children: parseLevel(buf, valueStart, valueEnd, kind) })
    } else {
      out.push({ kind, id, value: buf.subarray(valueStart, valueEnd) })
    }
    pos = valueEnd
  }
  return out
}

function idKey (kind: number, id: number): number { return (kind >= 2 ? 2 : kind) * 0x10000 + id }

function hasKey (entries: readonly Tlv[], key: number): boolean {
  for (let i = 0; i < entries.length; i++) if (idKey(entries[i]!.kind, entries[i]!.id) === key) return true
  return false
}

function overrun (parentKind: number, what: string, pos: number): Lwm2mFormatError {
  return parentKind < 0
    ? new Lwm2mFormatError('TLV_TRUNCATED', `payload ends inside a TLV ${what} (at byte ${pos})`)
    : new Lwm2mFormatError('TLV_BAD_LENGTH', `a TLV ${what} runs past its container's length (at byte ${pos})`)
}

/** Encodes raw TLV entries (values already encoded); for tools and tests. */
export function encodeTlvEntries (entries: readonly Tlv[]): Buffer {
  const buf = Buffer.allocUnsafe(entriesSize(entries))
  writeEntries(buf, 0, entries)
  return buf
}

function entriesSize (entries: readonly Tlv[]): number {
  let n = 0
  for (const e of entries) {
    const content = e.children !== undefined ? entriesSize(e.children) : e.value?.length ?? 0
    n += headerSize(e.id, content) + content
  }
  return n
}

function writeEntries (buf: Buffer, pos: number, entries: readonly Tlv[]): number {
  for (const e of entries) {
    const content = e.children !== undefined ? entriesSize(e.children) : e.value?.length ?? 0
    pos = writeHeader(buf, pos, e.kind, e.id, content)
    if (e.children !== undefined) pos = writeEntries(buf, pos, e.children)
    else if (e.value !== undefined) { buf.set(e.value, pos); pos += e.value.length }
  }
  return pos
}

// ---- values ----

function intSize (v: number | bigint): number {
  if (typeof v === 'number') return v >= -0x80 && v <= 0x7f ? 1 : v >= -0x8000 && v <= 0x7fff ? 2 : v >= -0x80000000 && v <= 0x7fffffff ? 4 : 8
  return v >= -0x80n && v <= 0x7fn ? 1 : v >= -0x8000n && v <= 0x7fffn ? 2 : v >= -0x80000000n && v <= 0x7fffffffn ? 4 : 8
}

function uintSize (v: number | bigint): number {
  const n = typeof v === 'number' ? v : v <= 0xffffffffn ? Number(v) : 2 ** 40
  return n <= 0xff ? 1 : n <= 0xffff ? 2 : n <= 0xffffffff ? 4 : 8
}

function timeSeconds (v: ResourceValue): number { return Math.floor((v as Date).getTime() / 1000) }

/** Bytes the value takes in TLV; the value must already be valid for the type (checkValue). */
export function tlvValueSize (type: ResourceType, v: ResourceValue): number {
  switch (type) {
    case 'string': case 'corelnk': return Buffer.byteLength(v as string, 'utf8')
    case 'integer': return intSize(v as number | bigint)
    case 'unsigned': return uintSize(v as number | bigint)
    case 'float': return Math.fround(v as number) === v ? 4 : 8
    case 'boolean': return 1
    case 'opaque': return (v as Uint8Array).length
    case 'time': return intSize(timeSeconds(v))
    case 'objlnk': return 4
  }
}

function writeValue (buf: Buffer, pos: number, type: ResourceType, v: ResourceValue, size: number): number {
  switch (type) {
    case 'string': case 'corelnk': return pos + buf.write(v as string, pos, 'utf8')
    case 'integer': case 'time': {
      const n = type === 'time' ? timeSeconds(v) : v as number | bigint
      if (size === 8) return buf.writeBigInt64BE(BigInt(n), pos)
      return buf.writeIntBE(Number(n), pos, size)
    }
    case 'unsigned':
      if (size === 8) return buf.writeBigUInt64BE(BigInt(v as number | bigint), pos)
      return buf.writeUIntBE(Number(v), pos, size)
    case 'float': return size === 4 ? buf.writeFloatBE(v as number, pos) : buf.writeDoubleBE(v as number, pos)
    case 'boolean': buf[pos] = v === true ? 1 : 0; return pos + 1
    case 'opaque': buf.set(v as Uint8Array, pos); return pos + (v as Uint8Array).length
    case 'objlnk':
      buf.writeUInt16BE((v as ObjectLink).objectId, pos)
      return buf.writeUInt16BE((v as ObjectLink).instanceId, pos + 2)
  }
}

/** Decodes one value of `type` from buf[start, end). Throws TLV_BAD_LENGTH / TLV_BAD_VALUE / BAD_UTF8. */
export function decodeTlvValue (type: ResourceType, buf: Buffer, start: number, end: number): ResourceValue {
  const n = end - start
  switch (type) {
    case 'string': case 'corelnk': return decodeUtf8(buf, start, end)
    case 'opaque': return Buffer.from(buf.subarray(start, end)) // a copy: the node must not pin the datagram
    case 'boolean':
      if (n !== 1) throw badLength(type, n, '1')
      if (buf[start]! > 1) throw new Lwm2mFormatError('TLV_BAD_VALUE', `a boolean is 0 or 1, not ${buf[start]}`)
      return buf[start] === 1
    case 'float':
      if (n === 4) return checkFinite(buf.readFloatBE(start))
      if (n === 8) return checkFinite(buf.readDoubleBE(start))
      throw badLength(type, n, '4 or 8')
    case 'objlnk':
      if (n !== 4) throw badLength(type, n, '4')
      return { objectId: buf.readUInt16BE(start), instanceId: buf.readUInt16BE(start + 2) }
    case 'integer': case 'time': case 'unsigned': {
      let v: number | bigint
      if (n === 1 || n === 2 || n === 4) v = type === 'unsigned' ? buf.readUIntBE(start, n) : buf.readIntBE(start, n)
      else if (n === 8) v = normalizeInteger(type === 'unsigned' ? buf.readBigUInt64BE(start) : buf.readBigInt64BE(start))
      else throw badLength(type, n, '1, 2, 4 or 8')
      if (type !== 'time') return v
      const ms = Number(v) * 1000
      if (!(Math.abs(ms) <= 8.64e15)) throw new Lwm2mFormatError('TLV_BAD_VALUE', `time ${v} s is outside the Date range`)
      return new Date(ms)
    }
  }
}

function badLength (type: string, n: number, allowed: string): Lwm2mFormatError {
  return new Lwm2mFormatError('TLV_BAD_LENGTH', `a TLV ${type} is ${allowed} bytes long, not ${n}`)
}

function checkFinite (v: number): number {
  if (!Number.isFinite(v)) throw new Lwm2mFormatError('TLV_BAD_VALUE', `float ${v} is not finite`)
  return v
}

// ---- nodes ----

function resourceSize (r: Resource): number {
  if (r.kind === 'single') {
    checkValue(r.type, r.value, `resource ${r.id}`)
    const s = tlvValueSize(r.type, r.value)
    return headerSize(r.id, s) + s
  }
  const c = multipleContentSize(r)
  return headerSize(r.id, c) + c
}

function multipleContentSize (r: Extract<Resource, { kind: 'multiple' }>): number {
  let c = 0
  for (const [ri, v] of r.instances) {
    checkValue(r.type, v, `resource ${r.id}/${ri}`)
    const s = tlvValueSize(r.type, v)
    c += headerSize(ri, s) + s
  }
  return c
}

function instanceContentSize (i: ObjectInstance): number {
  let c = 0
  for (const r of i.resources.values()) c += resourceSize(r)
  return c
}

function writeResource (buf: Buffer, pos: number, r: Resource): number {
  if (r.kind === 'single') {
    const s = tlvValueSize(r.type, r.value)
    return writeValue(buf, writeHeader(buf, pos, TlvKind.RESOURCE, r.id, s), r.type, r.value, s)
  }
  pos = writeHeader(buf, pos, TlvKind.MULTIPLE_RESOURCE, r.id, multipleContentSize(r))
  for (const [ri, v] of r.instances) {
    const s = tlvValueSize(r.type, v)
    pos = writeValue(buf, writeHeader(buf, pos, TlvKind.RESOURCE_INSTANCE, ri, s), r.type, v, s)
  }
  return pos
}

function writeInstanceContent (buf: Buffer, pos: number, i: ObjectInstance): number {
  for (const r of i.resources.values()) pos = writeResource(buf, pos, r)
  return pos
}

/**
 * Encodes the node at `path`: an object as object-instance TLVs, an object instance as its resources (the §7.4.3
 * single-instance read example), a resource as one resource or multiple-resource TLV, a resource instance as one
 * resource-instance TLV.
 */
export function encodeTlv (path: Lwm2mPath, node: Lwm2mNode): Buffer {
  checkNodeMatchesPath(path, node)
  switch (node.kind) {
    case 'single': case 'multiple': {
      const buf = Buffer.allocUnsafe(resourceSize(node))
      writeResource(buf, 0, node)
      return buf
    }
    case 'resourceInstance': {
      checkValue(node.type, node.value, `resource instance ${node.id}`)
      const s = tlvValueSize(node.type, node.value)
      const buf = Buffer.allocUnsafe(headerSize(node.id, s) + s)
      writeValue(buf, writeHeader(buf, 0, TlvKind.RESOURCE_INSTANCE, node.id, s), node.type, node.value, s)
      return buf
    }
    case 'instance': {
      const buf = Buffer.allocUnsafe(instanceContentSize(node))
      writeInstanceContent(buf, 0, node)
      return buf
    }
    case 'object': {
      let total = 0
      for (const i of node.instances.values()) { const c = instanceContentSize(i); total += headerSize(i.id, c) + c }
      const buf = Buffer.allocUnsafe(total)
      let pos = 0
      for (const i of node.instances.values()) {
        pos = writeHeader(buf, pos, TlvKind.OBJECT_INSTANCE, i.id, instanceContentSize(i))
        pos = writeInstanceContent(buf, pos, i)
      }
      return buf
    }
  }
}

export { decodeTlv } from './tlv-decode.ts'
