// LWM2M values <-> the zeelos Avro resource records (avro/types.ts), and the fleetlab trace inside them.
// Types as zeelos's LwM2mNodeSerDes: FLOAT double, INTEGER and TIME (ms) long, OPAQUE base64 text, OBJLNK "a:b".
//
// Trace. A traced notification (lib/lwm2m/trace.ts) carries the device id, its sequence number and its send time as
// resources of object 33000. They stay in the record as additional AvroResources with their own paths
// (/33000/0/0 sequence, /33000/0/1 send time ms, /33000/0/2 device id), so the record's content becomes an
// AvroInstanceResource holding the observed resource(s) and the trace resources. A consumer takes the observed
// values with `observedContent` and the trace with `traceOfContent`. An untraced notification keeps exactly the
// zeelos shape (an AvroResource for /3303/0/5700), which zeelos's Flatten sink turns into points; that sink skips
// instance content, so traced records are for fleetlab's own consumers (avro/README.md, "Which content").
import { Lwm2mFormatError } from '../../lib/lwm2m/errors.ts'
import { TRACE_OBJECT_ID, TraceResource } from '../../lib/lwm2m/model.ts'
import type { Lwm2mNode, MultipleResource, ObjectInstance, Resource, ResourceType, ResourceValue } from '../../lib/lwm2m/model.ts'
import { formatPath } from '../../lib/lwm2m/path.ts'
import type { Lwm2mPath } from '../../lib/lwm2m/path.ts'
import type { Trace } from '../../lib/lwm2m/trace.ts'
import { plainValue, resourceValue } from './avro/records.ts'
import type { AvroNode } from './avro/records.ts'
import type { AvroInstanceResource, AvroMultipleResource, AvroResource, AvroResponseCode, AvroType } from './avro/types.ts'

const TYPES: Record<ResourceType, AvroType> = {
  string: 'STRING', corelnk: 'STRING', integer: 'INTEGER', unsigned: 'INTEGER', float: 'FLOAT', boolean: 'BOOLEAN',
  opaque: 'OPAQUE', time: 'TIME', objlnk: 'OBJLNK',
}
const BACK: Record<AvroType, ResourceType> = {
  STRING: 'string', INTEGER: 'integer', FLOAT: 'float', BOOLEAN: 'boolean', OPAQUE: 'opaque', TIME: 'time', OBJLNK: 'objlnk',
}

export const TRACE_PATH_PREFIX = `/${TRACE_OBJECT_ID}/0/`

function avroValue (type: ResourceType, value: ResourceValue): AvroResource['value'] {
  if (type === 'objlnk') { const l = value as { objectId: number, instanceId: number }; return { string: `${l.objectId}:${l.instanceId}` } }
  if (typeof value === 'bigint') return resourceValue(TYPES[type], Number(value))
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return resourceValue('OPAQUE', Buffer.from(value))
  return resourceValue(TYPES[type], value as string | number | boolean | Buffer | Date)
}

function single (path: string, id: number, type: ResourceType, value: ResourceValue): AvroResource {
  return { id, path, kind: 'SINGLE_RESOURCE', type: TYPES[type], value: avroValue(type, value) }
}

function multiple (path: string, r: MultipleResource): AvroMultipleResource {
  const resources: Record<string, AvroResource> = {}
  for (const [ri, v] of r.instances) resources[String(ri)] = single(`${path}/${ri}`, ri, r.type, v)
  return { id: r.id, path, kind: 'MULTIPLE_RESOURCE', type: TYPES[r.type], resources }
}

function instance (base: string, i: ObjectInstance): AvroInstanceResource {
  const resources: AvroResource[] = []
  const multiples: AvroMultipleResource[] = []
  for (const r of i.resources.values()) {
    if (r.kind === 'single') resources.push(single(`${base}/${r.id}`, r.id, r.type, r.value))
    else multiples.push(multiple(`${base}/${r.id}`, r))
  }
  return { id: i.id, kind: 'INSTANCE', resources, multipleResources: multiples.length > 0 ? multiples : null }
}

/** The Avro node for `node` read at `path`. */
export function toAvroNode (path: Lwm2mPath, node: Lwm2mNode): AvroNode {
  const text = formatPath(path)
  switch (node.kind) {
    case 'single': case 'resourceInstance': return single(text, node.id, node.type, node.value)
    case 'multiple': return multiple(text, node)
    case 'instance': return instance(text, node)
    case 'object': return { id: node.id, kind: 'OBJECT', instances: [...node.instances.values()].map(i => instance(`${text}/${i.id}`, i)) }
  }
}

export function traceResources (trace: Trace): AvroResource[] {
  return [
    { id: TraceResource.SEQUENCE, path: `${TRACE_PATH_PREFIX}${TraceResource.SEQUENCE}`, kind: 'SINGLE_RESOURCE', type: 'INTEGER', value: { long: trace.seq } },
    { id: TraceResource.SENT_AT_MS, path: `${TRACE_PATH_PREFIX}${TraceResource.SENT_AT_MS}`, kind: 'SINGLE_RESOURCE', type: 'INTEGER', value: { long: trace.sentAtMs } },
    { id: TraceResource.DEVICE_ID, path: `${TRACE_PATH_PREFIX}${TraceResource.DEVICE_ID}`, kind: 'SINGLE_RESOURCE', type: 'STRING', value: { string: trace.deviceId } },
  ]
}

/** The content of a traced notification: the observed node with the trace resources beside it (see the top). */
export function withTrace (node: AvroNode, path: Lwm2mPath, trace: Trace): AvroNode {
  const extra = traceResources(trace)
  switch (node.kind) {
    case 'SINGLE_RESOURCE': return { id: path.instanceId ?? 0, kind: 'INSTANCE', resources: [node as AvroResource, ...extra], multipleResources: null }
    case 'MULTIPLE_RESOURCE': return { id: path.instanceId ?? 0, kind: 'INSTANCE', resources: extra, multipleResources: [node as AvroMultipleResource] }
    case 'INSTANCE': { const i = node as AvroInstanceResource; return { ...i, resources: [...i.resources, ...extra] } }
    default: {
      const o = node as { id: number, kind: 'OBJECT', instances: AvroInstanceResource[] }
      const [first, ...rest] = o.instances
      const head: AvroInstanceResource = first === undefined ? { id: 0, kind: 'INSTANCE', resources: extra, multipleResources: null } : { ...first, resources: [...first.resources, ...extra] }
      return { ...o, instances: [head, ...rest] }
    }
  }
}

function traceList (node: AvroNode): AvroResource[] {
  if (node.kind === 'INSTANCE') return (node as AvroInstanceResource).resources
  if (node.kind === 'OBJECT') return (node as { instances: AvroInstanceResource[] }).instances[0]?.resources ?? []
  return []
}

/** The device's trace inside an observation's content, or undefined for an untraced one. */
export function traceOfContent (node: AvroNode): Trace | undefined {
  const found = new Map<number, string | number | boolean>()
  for (const r of traceList(node)) if (r.path.startsWith(TRACE_PATH_PREFIX)) found.set(r.id, plainValue(r.value))
  const seq = found.get(TraceResource.SEQUENCE)
  const sentAtMs = found.get(TraceResource.SENT_AT_MS)
  const deviceId = found.get(TraceResource.DEVICE_ID)
  if (typeof seq !== 'number' || typeof sentAtMs !== 'number' || typeof deviceId !== 'string') return undefined
  return { seq, sentAtMs, deviceId }
}

/** The content without the trace resources: for a traced single resource, that AvroResource again. */
export function observedContent (node: AvroNode, observedPath: string): AvroNode {
  if (node.kind !== 'INSTANCE' && node.kind !== 'OBJECT') return node
  if (node.kind === 'INSTANCE') {
    const i = node as AvroInstanceResource
    const resources = i.resources.filter(r => !r.path.startsWith(TRACE_PATH_PREFIX))
    const exact = resources.find(r => r.path === observedPath) ?? i.multipleResources?.find(r => r.path === observedPath)
    return exact !== undefined && resources.length + (i.multipleResources?.length ?? 0) === 1 ? exact : { ...i, resources }
  }
  const o = node as { id: number, kind: 'OBJECT', instances: AvroInstanceResource[] }
  return { ...o, instances: o.instances.map(i => ({ ...i, resources: i.resources.filter(r => !r.path.startsWith(TRACE_PATH_PREFIX)) })) }
}

// ---- Avro -> LWM2M (Write and Create requests) ----

function lwm2mValue (r: AvroResource): ResourceValue {
  const v = plainValue(r.value)
  switch (r.type) {
    case 'OPAQUE': return Buffer.from(String(v), 'base64')
    case 'TIME': return new Date(Number(v))
    case 'OBJLNK': {
      const m = /^([0-9]{1,5}):([0-9]{1,5})$/.exec(String(v))
      if (m === null) throw new Lwm2mFormatError('VALUE_TYPE', `${r.path}: objlnk ${JSON.stringify(v)} is not "ObjectID:InstanceID"`)
      return { objectId: Number(m[1]), instanceId: Number(m[2]) }
    }
    case 'FLOAT': case 'INTEGER': return typeof v === 'number' ? v : Number(v)
    default: return v
  }
}

function fromResource (r: AvroResource): Resource {
  return { kind: 'single', id: r.id, type: BACK[r.type], value: lwm2mValue(r) }
}

function fromMultiple (r: AvroMultipleResource): MultipleResource {
  const instances = new Map<number, ResourceValue>()
  for (const [k, v] of Object.entries(r.resources)) instances.set(Number(k), lwm2mValue(v))
  return { kind: 'multiple', id: r.id, type: BACK[r.type], instances }
}

export function fromAvroInstance (i: AvroInstanceResource): ObjectInstance {
  const resources = new Map<number, Resource>()
  for (const r of i.resources) resources.set(r.id, fromResource(r))
  for (const r of i.multipleResources ?? []) resources.set(r.id, fromMultiple(r))
  return { kind: 'instance', id: i.id, resources }
}

/** The LWM2M node of a Write request's Avro node; a resource at a 4-level path is a resource instance. */
export function fromAvroNode (node: AvroNode, path: Lwm2mPath): Lwm2mNode {
  switch (node.kind) {
    case 'SINGLE_RESOURCE': {
      const r = fromResource(node as AvroResource) as { id: number, type: ResourceType, value: ResourceValue }
      return path.resourceInstanceId !== undefined ? { kind: 'resourceInstance', id: r.id, type: r.type, value: r.value } : { kind: 'single', ...r }
    }
    case 'MULTIPLE_RESOURCE': return fromMultiple(node as AvroMultipleResource)
    case 'INSTANCE': return fromAvroInstance(node as AvroInstanceResource)
    default: {
      const o = node as { id: number, instances: AvroInstanceResource[] }
      return { kind: 'object', id: o.id, instances: new Map(o.instances.map(i => [i.id, fromAvroInstance(i)])) }
    }
  }
}

const CODES: Record<string, AvroResponseCode> = {
  '2.01': 'CREATED', '2.02': 'DELETED', '2.04': 'CHANGED', '2.05': 'CONTENT', '4.00': 'BAD_REQUEST', '4.01': 'UNAUTHORIZED',
  '4.03': 'FORBIDDEN', '4.04': 'NOT_FOUND', '4.05': 'METHOD_NOT_ALLOWED', '4.06': 'NOT_ACCEPTABLE', '4.08': 'REQUEST_ENTITY_INCOMPLETE',
  '4.12': 'PRECONDITION_FAILED', '4.13': 'REQUEST_ENTITY_TOO_LARGE', '4.15': 'UNSUPPORTED_CONTENT_FORMAT', '5.00': 'INTERNAL_SERVER_ERROR',
}

/** A CoAP response code ("2.05") as the zeelos response code; codes zeelos has no name for are UNKNOWN. */
export function responseCode (code: string): AvroResponseCode {
  return CODES[code] ?? 'UNKNOWN'
}
