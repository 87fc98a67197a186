// The LWM2M value model (LWM2M 1.1 §6.1 resource model, Appendix C data types) and the object-model registry.
// Nodes carry their resource type, so encoders need no registry; decoders take the type from the registry.
//
// JS representation of each data type (Appendix C):
//   string, corelnk      string (corelnk holds RFC 6690 link-format text)
//   integer, unsigned    number when it is a safe integer, bigint otherwise (64-bit range on the wire)
//   float                finite number
//   boolean              boolean
//   opaque               Uint8Array (a Buffer is one)
//   time                 Date (whole seconds on the wire: Unix time, §C)
//   objlnk               { objectId, instanceId } (65535:65535 is the "null" link)
import { Lwm2mFormatError, Lwm2mModelError } from './errors.ts'
import { MAX_ID } from './path.ts'
import { standardObjects } from './objects.ts'

export const resourceTypes = ['string', 'integer', 'unsigned', 'float', 'boolean', 'opaque', 'time', 'objlnk', 'corelnk'] as const
export type ResourceType = (typeof resourceTypes)[number]

export interface ObjectLink { readonly objectId: number, readonly instanceId: number }
export type ResourceValue = string | number | bigint | boolean | Uint8Array | Date | ObjectLink

export interface SingleResource { readonly kind: 'single', readonly id: number, readonly type: ResourceType, readonly value: ResourceValue }
export interface MultipleResource {
  readonly kind: 'multiple', readonly id: number, readonly type: ResourceType, readonly instances: ReadonlyMap<number, ResourceValue>
}
export interface ResourceInstance { readonly kind: 'resourceInstance', readonly id: number, readonly type: ResourceType, readonly value: ResourceValue }
export type Resource = SingleResource | MultipleResource
export interface ObjectInstance { readonly kind: 'instance', readonly id: number, readonly resources: ReadonlyMap<number, Resource> }
export interface ObjectNode { readonly kind: 'object', readonly id: number, readonly instances: ReadonlyMap<number, ObjectInstance> }
export type Lwm2mNode = ObjectNode | ObjectInstance | Resource | ResourceInstance

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const UINT64_MAX = 2n ** 64n - 1n

/** Throws VALUE_TYPE when `value` is not a valid JS value for `type` (see the table at the top). */
export function checkValue (type: ResourceType, value: ResourceValue, where = 'value'): void {
  if (!isValue(type, value)) {
    throw new Lwm2mFormatError('VALUE_TYPE', `${where}: ${describe(value)} is not a valid ${type}`)
  }
}

export function isValue (type: ResourceType, value: ResourceValue): boolean {
  switch (type) {
    case 'string': case 'corelnk': return typeof value === 'string'
    case 'integer': return typeof value === 'number'
      ? Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63
      : typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX
    case 'unsigned': return typeof value === 'number'
      ? Number.isInteger(value) && value >= 0 && value < 2 ** 64
      : typeof value === 'bigint' && value >= 0n && value <= UINT64_MAX
    case 'float': return typeof value === 'number' && Number.isFinite(value)
    case 'boolean': return typeof value === 'boolean'
    case 'opaque': return value instanceof Uint8Array
    case 'time': return value instanceof Date && Number.isFinite(value.getTime())
    case 'objlnk': return typeof value === 'object' && !(value instanceof Uint8Array) && !(value instanceof Date) &&
      isId(value.objectId) && isId(value.instanceId)
  }
}

function isId (n: unknown): boolean {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_ID
}

function describe (value: unknown): string {
  if (value instanceof Uint8Array) return `${value.length} bytes`
  if (value instanceof Date) return `Date(${value.getTime()})`
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'object' && value !== null) return JSON.stringify(value)
  return `${typeof value} ${String(value)}`
}

/** Integers come back as numbers when safe, as bigints beyond 2^53 (no silent precision loss). */
export function normalizeInteger (value: bigint): number | bigint {
  return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value
}

function checkId (id: number, what: string): void {
  if (!isId(id)) throw new Lwm2mFormatError('NODE_MISMATCH', `${what} id ${id} is not an integer in 0..${MAX_ID}`)
}

export function singleResource (id: number, type: ResourceType, value: ResourceValue): SingleResource {
  checkId(id, 'resource')
  checkValue(type, value, `resource ${id}`)
  return { kind: 'single', id, type, value }
}

export function resourceInstance (id: number, type: ResourceType, value: ResourceValue): ResourceInstance {
  checkId(id, 'resource instance')
  checkValue(type, value, `resource instance ${id}`)
  return { kind: 'resourceInstance', id, type, value }
}

/** Instances given as a Map or as [id, value] pairs; an array of values is numbered 0, 1, 2, ... */
export function multipleResource (id: number, type: ResourceType,
  instances: ReadonlyMap<number, ResourceValue> | Iterable<readonly [number, ResourceValue]> | readonly ResourceValue[]): MultipleResource {
  checkId(id, 'resource')
  const map = new Map<number, ResourceValue>()
  const entries: Iterable<readonly [number, ResourceValue]> = Array.isArray(instances) && !Array.isArray(instances[0])
    ? (instances as readonly ResourceValue[]).map((v, i) => [i, v] as const)
    : instances instanceof Map ? instances.entries() : instances as Iterable<readonly [number, ResourceValue]>
  for (const [ri, v] of entries) {
    checkId(ri, 'resource instance')
    checkValue(type, v, `resource ${id}/${ri}`)
    if (map.has(ri)) throw new Lwm2mFormatError('NODE_MISMATCH', `resource ${id}: duplicate instance ${ri}`)
    map.set(ri, v)
  }
  return { kind: 'multiple', id, type, instances: map }
}

export function objectInstance (id: number, resources: Iterable<Resource>): ObjectInstance {
  checkId(id, 'object instance')
  const map = new Map<number, Resource>()
  for (const r of resources) {
    if (map.has(r.id)) throw new Lwm2mFormatError('NODE_MISMATCH', `object instance ${id}: duplicate resource ${r.id}`)
    map.set(r.id, r)
  }
  return { kind: 'instance', id, resources: map }
}

export function objectNode (id: number, instances: Iterable<ObjectInstance>): ObjectNode {
  checkId(id, 'object')
  const map = new Map<number, ObjectInstance>()
  for (const i of instances) {
    if (map.has(i.id)) throw new Lwm2mFormatError('NODE_MISMATCH', `object ${id}: duplicate instance ${i.id}`)
    map.set(i.id, i)
  }
  return { kind: 'object', id, instances: map }
}

// ---- object model (LWM2M 1.1 §5.1.2, the DDF fields of the OMA registry) ----

export type Operations = 'R' | 'W' | 'RW' | 'E'

export interface ResourceDefinition {
  readonly id: number
  readonly name: string
  /** 'none' for executable resources, which carry no value. */
  readonly type: ResourceType | 'none'
  readonly operations: Operations
  readonly multiple: boolean
  readonly mandatory: boolean
  readonly units?: string
  readonly range?: string
}

export interface ObjectDefinition {
  readonly id: number
  readonly name: string
  readonly version: string
  readonly urn: string
  /** Multiple object instances allowed. */
  readonly multiple: boolean
  readonly mandatory: boolean
  readonly resources: ReadonlyMap<number, ResourceDefinition>
  /** fleetlab's default for the IPSO Sensor Units resource (5701), which IPSO leaves free. */
  readonly sensorUnits?: string
}

/** Object definitions by id. An unknown id fails with Lwm2mModelError (reason UNKNOWN_OBJECT / UNKNOWN_RESOURCE). */
export class ObjectRegistry {
  readonly #objects = new Map<number, ObjectDefinition>()

  constructor (definitions: Iterable<ObjectDefinition> = standardObjects) {
    for (const d of definitions) this.add(d)
  }

  /** Adds or replaces a definition. */
  add (definition: ObjectDefinition): this {
    checkId(definition.id, 'object')
    this.#objects.set(definition.id, definition)
    return this
  }

  has (objectId: number): boolean { return this.#objects.has(objectId) }
  find (objectId: number): ObjectDefinition | undefined { return this.#objects.get(objectId) }

  get (objectId: number): ObjectDefinition {
    const d = this.#objects.get(objectId)
    if (d === undefined) throw new Lwm2mModelError(objectId)
    return d
  }

  findResource (objectId: number, resourceId: number): ResourceDefinition | undefined {
    return this.#objects.get(objectId)?.resources.get(resourceId)
  }

  resource (objectId: number, resourceId: number): ResourceDefinition {
    const r = this.get(objectId).resources.get(resourceId)
    if (r === undefined) throw new Lwm2mModelError(objectId, resourceId)
    return r
  }

  objects (): IterableIterator<ObjectDefinition> { return this.#objects.values() }
}

/** The standard objects (1, 3, 3301, 3303, 3304, 3315) and the fleetlab trace object 33000. */
export const defaultRegistry = new ObjectRegistry()

export interface DecodeOptions {
  /** Where resource types come from; default: defaultRegistry. */
  readonly registry?: ObjectRegistry
  /** true (default): an unknown object or resource throws Lwm2mModelError. false: it decodes with a fallback type
   *  (opaque for TLV, string for text, the SenML value field's natural type). */
  readonly strict?: boolean
}

/** The definition that types a decoded value, or undefined (lenient mode) when the registry lacks it. */
export function lookupResource (options: DecodeOptions | undefined, objectId: number, resourceId: number): ResourceDefinition | undefined {
  const registry = options?.registry ?? defaultRegistry
  const def = registry.findResource(objectId, resourceId)
  if (def === undefined) {
    if (options?.strict === false) return undefined
    registry.resource(objectId, resourceId) // throws the precise Lwm2mModelError
  } else if (def.type === 'none') {
    throw new Lwm2mFormatError('VALUE_TYPE', `resource /${objectId}/*/${resourceId} (${def.name}) is executable and carries no value`)
  }
  return def
}

/** A resource node typed from its definition: a value for a single resource, instances for a multiple one. */
export function resourceFromDefinition (def: ResourceDefinition,
  value: ResourceValue | ReadonlyMap<number, ResourceValue> | readonly ResourceValue[]): Resource {
  if (def.type === 'none') throw new Lwm2mFormatError('VALUE_TYPE', `resource ${def.id} (${def.name}) is executable and has no value`)
  if (def.multiple) {
    if (!(value instanceof Map) && !Array.isArray(value)) throw new Lwm2mFormatError('VALUE_TYPE', `resource ${def.id} (${def.name}) is multiple: give a Map or an array`)
    return multipleResource(def.id, def.type, value as ReadonlyMap<number, ResourceValue> | readonly ResourceValue[])
  }
  return singleResource(def.id, def.type, value as ResourceValue)
}

export { standardObjects, TRACE_OBJECT_ID, TraceResource } from './objects.ts'
