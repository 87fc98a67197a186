// Builders and readers for the wrapped unions of the zeelos records, so callers need not spell full type names.
// Value mapping as zeelos's LwM2mNodeSerDes: OPAQUE as base64 text, TIME as ms since epoch.
import { AvroNames } from './types.ts'
import type {
  AvroContent, AvroInstanceResource, AvroMultipleResource, AvroObjectResource, AvroResource, AvroResourceValue,
  AvroResponseBody, AvroType,
} from './types.ts'

export type LwM2mValue = string | number | boolean | Buffer | Date

/** The union branch for a resource type: FLOAT double, INTEGER/TIME long, BOOLEAN boolean, the rest string. */
export function resourceValue (type: AvroType, value: LwM2mValue): AvroResourceValue {
  switch (type) {
    case 'FLOAT': return { double: Number(value) }
    case 'INTEGER': return { long: Number(value) }
    case 'TIME': return { long: value instanceof Date ? value.getTime() : Number(value) }
    case 'BOOLEAN': return { boolean: typeof value === 'string' ? value === 'true' || value === '1' : Boolean(value) }
    case 'OPAQUE': return { string: Buffer.isBuffer(value) ? value.toString('base64') : String(value) }
    default: return { string: value instanceof Date ? String(value.getTime()) : Buffer.isBuffer(value) ? value.toString('utf8') : String(value) }
  }
}

/** The JavaScript value inside the union. */
export function plainValue (value: AvroResourceValue): string | number | boolean {
  if ('double' in value) return value.double
  if ('long' in value) return value.long
  if ('boolean' in value) return value.boolean
  return value.string
}

/** A single resource at "/3303/0/5700" (or a resource instance at "/3/0/7/1"): id from the last path segment. */
export function singleResource (path: string, type: AvroType, value: LwM2mValue): AvroResource {
  const id = Number(path.slice(path.lastIndexOf('/') + 1))
  return { id, path, kind: 'SINGLE_RESOURCE', type, value: resourceValue(type, value) }
}

export type AvroNode = AvroObjectResource | AvroInstanceResource | AvroMultipleResource | AvroResource

/** Wraps a node in the content union, choosing the branch by its kind. */
export function content (node: AvroNode): AvroContent {
  switch (node.kind) {
    case 'OBJECT': return { [AvroNames.AvroObjectResource]: node as AvroObjectResource }
    case 'INSTANCE': return { [AvroNames.AvroInstanceResource]: node as AvroInstanceResource }
    case 'MULTIPLE_RESOURCE': return { [AvroNames.AvroMultipleResource]: node as AvroMultipleResource }
    default: return { [AvroNames.AvroResource]: node as AvroResource }
  }
}

/** The node inside a content union. */
export function nodeOf (value: AvroContent): AvroNode {
  return Object.values(value)[0] as AvroNode
}

export function readBody (node: AvroNode): AvroResponseBody {
  return { [AvroNames.AvroReadResponseBody]: { content: content(node) } }
}

export function discoverBody (objectLinks: string): AvroResponseBody {
  return { [AvroNames.AvroDiscoverResponse]: { objectLinks } }
}

export function createBody (location: string): AvroResponseBody {
  return { [AvroNames.AvroCreateResponse]: { location } }
}

export function genericBody (message: string): AvroResponseBody {
  return { [AvroNames.AvroGenericResponse]: { message } }
}

/** The node a read or observe response carries, if any. */
export function readNode (body: AvroResponseBody): AvroNode | undefined {
  if (body === null) return undefined
  const read = (body as { [AvroNames.AvroReadResponseBody]?: { content: AvroContent } })[AvroNames.AvroReadResponseBody]
  return read === undefined ? undefined : nodeOf(read.content)
}
