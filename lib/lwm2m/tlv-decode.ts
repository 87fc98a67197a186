// OMA TLV (LWM2M 1.1 §7.4.3) decoding into nodes, strict: the payload's shape must fit the request path, and every
// value must have a length and content valid for the resource type from the object registry.
// Accepted shapes, by path level (what §7.4.3 examples show, plus the one-level wrappers some clients add):
//   /O          object-instance TLVs
//   /O/I        resource TLVs, or one object-instance TLV with id I around them
//   /O/I/R      one resource or multiple-resource TLV with id R (optionally inside an object-instance TLV with id I)
//   /O/I/R/RI   one resource-instance TLV with id RI (optionally inside a multiple-resource TLV with id R)
import { Lwm2mFormatError } from './errors.ts'
import { lookupResource } from './model.ts'
import type { DecodeOptions, Lwm2mNode, ObjectInstance, Resource, ResourceType, ResourceValue } from './model.ts'
import { formatPath, pathDepth } from './path.ts'
import type { Lwm2mPath } from './path.ts'
import { TlvKind, decodeTlvEntries, decodeTlvValue } from './tlv.ts'
import type { Tlv } from './tlv.ts'

const FALLBACK: ResourceType = 'opaque'

export function decodeTlv (path: Lwm2mPath, payload: Uint8Array, options?: DecodeOptions): Lwm2mNode {
  const depth = pathDepth(path)
  if (depth === 0) throw new Lwm2mFormatError('PATH_LEVEL', 'TLV content needs a path to an object or below, not "/"')
  const entries = decodeTlvEntries(payload)
  const objectId = path.objectId!
  switch (depth) {
    case 1: {
      const instances = new Map<number, ObjectInstance>()
      for (const e of entries) {
        if (e.kind !== TlvKind.OBJECT_INSTANCE) throw nesting(path, 'object-instance TLVs', e)
        instances.set(e.id, toInstance(objectId, e.id, e.children!, options))
      }
      return { kind: 'object', id: objectId, instances }
    }
    case 2: {
      const first = entries[0]
      if (first?.kind === TlvKind.OBJECT_INSTANCE) {
        if (entries.length > 1) throw nesting(path, 'one object-instance TLV', entries[1]!)
        expectId(path, first, path.instanceId!)
        return toInstance(objectId, first.id, first.children!, options)
      }
      return toInstance(objectId, path.instanceId!, entries, options)
    }
    case 3: {
      const e = single(path, unwrap(path, entries, TlvKind.OBJECT_INSTANCE, path.instanceId!))
      if (e.kind !== TlvKind.RESOURCE && e.kind !== TlvKind.MULTIPLE_RESOURCE) throw nesting(path, 'a resource TLV', e)
      expectId(path, e, path.resourceId!)
      return toResource(objectId, e, options)
    }
    default: {
      const e = single(path, unwrap(path, entries, TlvKind.MULTIPLE_RESOURCE, path.resourceId!))
      if (e.kind !== TlvKind.RESOURCE_INSTANCE) throw nesting(path, 'a resource-instance TLV', e)
      expectId(path, e, path.resourceInstanceId!)
      const def = lookupResource(options, objectId, path.resourceId!)
      if (def !== undefined && !def.multiple) throw kindMismatch(objectId, path.resourceId!, 'single', 'a resource instance')
      const type = def?.type as ResourceType | undefined ?? FALLBACK
      return { kind: 'resourceInstance', id: e.id, type, value: leaf(type, e) }
    }
  }
}

function unwrap (path: Lwm2mPath, entries: Tlv[], wrapperKind: TlvKind, wrapperId: number): readonly Tlv[] {
  const first = entries[0]
  if (entries.length !== 1 || first?.kind !== wrapperKind) return entries
  expectId(path, first, wrapperId)
  return first.children!
}

function single (path: Lwm2mPath, entries: readonly Tlv[]): Tlv {
  if (entries.length === 0) throw new Lwm2mFormatError('EMPTY_PAYLOAD', `no TLV for ${formatPath(path)}`)
  if (entries.length > 1) throw new Lwm2mFormatError('TLV_BAD_NESTING', `${entries.length} TLVs where ${formatPath(path)} needs one`)
  return entries[0]!
}

function expectId (path: Lwm2mPath, e: Tlv, id: number): void {
  if (e.id !== id) throw new Lwm2mFormatError('TLV_ID_MISMATCH', `TLV identifier ${e.id} where ${formatPath(path)} needs ${id}`)
}

function nesting (path: Lwm2mPath, expected: string, e: Tlv): Lwm2mFormatError {
  return new Lwm2mFormatError('TLV_BAD_NESTING', `${formatPath(path)} needs ${expected}, got identifier type ${e.kind} id ${e.id}`)
}

function kindMismatch (objectId: number, resourceId: number, defined: string, got: string): Lwm2mFormatError {
  return new Lwm2mFormatError('TLV_BAD_NESTING', `resource /${objectId}/*/${resourceId} is ${defined} in the object model, got ${got}`)
}

function toInstance (objectId: number, id: number, entries: readonly Tlv[], options: DecodeOptions | undefined): ObjectInstance {
  const resources = new Map<number, Resource>()
  for (const e of entries) {
    if (e.kind !== TlvKind.RESOURCE && e.kind !== TlvKind.MULTIPLE_RESOURCE) {
      throw new Lwm2mFormatError('TLV_BAD_NESTING', `object instance /${objectId}/${id} holds resources, got identifier type ${e.kind}`)
    }
    resources.set(e.id, toResource(objectId, e, options))
  }
  return { kind: 'instance', id, resources }
}

function toResource (objectId: number, e: Tlv, options: DecodeOptions | undefined): Resource {
  const def = lookupResource(options, objectId, e.id)
  const type = def?.type as ResourceType | undefined ?? FALLBACK
  if (e.kind === TlvKind.RESOURCE) {
    if (def?.multiple === true) throw kindMismatch(objectId, e.id, 'multiple', 'a single-value TLV')
    return { kind: 'single', id: e.id, type, value: leaf(type, e) }
  }
  if (def !== undefined && !def.multiple) throw kindMismatch(objectId, e.id, 'single', 'a multiple-resource TLV')
  const instances = new Map<number, ResourceValue>()
  for (const c of e.children!) instances.set(c.id, leaf(type, c))
  return { kind: 'multiple', id: e.id, type, instances }
}

function leaf (type: ResourceType, e: Tlv): ResourceValue {
  const v = e.value!
  const buf = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength)
  return decodeTlvValue(type, buf, 0, buf.length)
}
