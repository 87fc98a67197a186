// The SenML record model shared by SenML JSON (110) and SenML CBOR (112): RFC 8428 records, their resolution
// (§4.6: base name + name, base time + time, base value + value, base sum + sum, base unit as default unit), and the
// LWM2M mapping (LWM2M 1.1 §7.4.4/§7.4.5): the resolved name is the path of a resource or resource instance,
// numbers (integer, unsigned, float, time in seconds) go in "v", strings and corelnk in "vs", booleans in "vb",
// opaque in "vd", and an objlnk in "vlo" as "ObjectID:InstanceID".
// Encoding uses one base name per object instance ("/3303/0/") and relative names ("5700", "7/1").
// senmlToNode builds one value per resource: a pack with several records for one resource (a time series, such as
// notifications stored while offline) is rejected with SENML_DUPLICATE; read those with resolveSenml.
import { Lwm2mFormatError } from './errors.ts'
import { isValue, lookupResource } from './model.ts'
import type { DecodeOptions, Lwm2mNode, ObjectInstance, ObjectLink, Resource, ResourceType, ResourceValue } from './model.ts'
import { formatPath, isPathPrefix, parsePath, pathDepth } from './path.ts'
import type { Lwm2mPath } from './path.ts'
import { checkNodeMatchesPath } from './codec-util.ts'

/** One RFC 8428 record, fields as named in SenML JSON (plus LWM2M's "vlo"). */
export interface SenmlRecord {
  bn?: string, bt?: number, bu?: string, bv?: number, bs?: number, bver?: number
  n?: string, u?: string, v?: number | bigint, vs?: string, vb?: boolean, vd?: Uint8Array, vlo?: string
  s?: number, t?: number, ut?: number
  /**
   * Not a SenML field: `v` holds a Float resource, so binary encoders write it as a floating-point
   * number even when it is whole (Leshan's CBOR decoder rejects an integer for a Float resource).
   */
  float?: true
}

export type SenmlValueField = 'v' | 'vs' | 'vb' | 'vd' | 'vlo'
export const senmlValueFields: readonly SenmlValueField[] = ['v', 'vs', 'vb', 'vd', 'vlo']

export interface ResolvedRecord {
  readonly name: string
  /** bt + t, as sent: RFC 8428 §4.5.3 reads values below 2^28 as relative to now; that is left to the caller. */
  readonly time: number | undefined
  readonly unit: string | undefined
  readonly field: SenmlValueField | undefined
  readonly value: number | bigint | string | boolean | Uint8Array | undefined
  readonly sum: number | undefined
}

/** RFC 8428 §4.6 resolution: base fields apply to their record and every later one until replaced. */
export function resolveSenml (records: readonly SenmlRecord[]): ResolvedRecord[] {
  const out: ResolvedRecord[] = []
  let bn = ''
  let bt = 0
  let bu: string | undefined
  let bv = 0
  let bs = 0
  let hasBt = false
  for (const r of records) {
    if (r.bn !== undefined) bn = r.bn
    if (r.bt !== undefined) { bt = r.bt; hasBt = true }
    if (r.bu !== undefined) bu = r.bu
    if (r.bv !== undefined) bv = r.bv
    if (r.bs !== undefined) bs = r.bs
    const name = r.n !== undefined ? bn + r.n : bn
    const time = r.t !== undefined ? bt + r.t : hasBt ? bt : undefined
    let field: SenmlValueField | undefined
    let value: ResolvedRecord['value']
    if (r.v !== undefined) { field = 'v'; value = bv === 0 ? r.v : Number(r.v) + bv }
    else if (r.vs !== undefined) { field = 'vs'; value = r.vs }
    else if (r.vb !== undefined) { field = 'vb'; value = r.vb }
    else if (r.vd !== undefined) { field = 'vd'; value = r.vd }
    else if (r.vlo !== undefined) { field = 'vlo'; value = r.vlo }
    out.push({ name, time, unit: r.u ?? bu, field, value, sum: r.s !== undefined ? bs + r.s : undefined })
  }
  return out
}

/** Throws SENML_MULTIPLE_VALUES when a record carries more than one of v, vs, vb, vd, vlo (RFC 8428 §4.2). */
export function checkOneValue (r: SenmlRecord, index: number): void {
  const n = (r.v !== undefined ? 1 : 0) + (r.vs !== undefined ? 1 : 0) + (r.vb !== undefined ? 1 : 0) + (r.vd !== undefined ? 1 : 0) +
    (r.vlo !== undefined ? 1 : 0)
  if (n > 1) throw new Lwm2mFormatError('SENML_MULTIPLE_VALUES', `record ${index} has ${n} value fields`)
}

// ---- nodes -> records ----

function putValue (r: SenmlRecord, type: ResourceType, value: ResourceValue): SenmlRecord {
  switch (type) {
    case 'string': case 'corelnk': r.vs = value as string; break
    case 'integer': case 'unsigned': r.v = value as number | bigint; break
    case 'float': r.v = value as number; r.float = true; break
    case 'time': r.v = Math.floor((value as Date).getTime() / 1000); break
    case 'boolean': r.vb = value as boolean; break
    case 'opaque': r.vd = value as Uint8Array; break
    case 'objlnk': r.vlo = `${(value as ObjectLink).objectId}:${(value as ObjectLink).instanceId}`; break
  }
  return r
}

function checked (type: ResourceType, value: ResourceValue, where: string): ResourceValue {
  if (!isValue(type, value)) throw new Lwm2mFormatError('VALUE_TYPE', `${where}: not a valid ${type}`)
  return value
}

function pushResource (out: SenmlRecord[], prefix: string, r: Resource): void {
  if (r.kind === 'single') {
    out.push(putValue({ n: prefix + r.id }, r.type, checked(r.type, r.value, `resource ${r.id}`)))
  } else {
    for (const [ri, v] of r.instances) out.push(putValue({ n: `${prefix}${r.id}/${ri}` }, r.type, checked(r.type, v, `resource ${r.id}/${ri}`)))
  }
}

function pushInstance (out: SenmlRecord[], objectId: number, i: ObjectInstance): void {
  const start = out.length
  for (const r of i.resources.values()) pushResource(out, '', r)
  if (out.length > start) out[start]!.bn = `/${objectId}/${i.id}/`
}

/** Records for the node at `path`; `baseTime` (seconds) goes in bt of the first record. */
export function nodeToSenml (path: Lwm2mPath, node: Lwm2mNode, baseTime?: number): SenmlRecord[] {
  checkNodeMatchesPath(path, node)
  const out: SenmlRecord[] = []
  switch (node.kind) {
    case 'object': for (const i of node.instances.values()) pushInstance(out, node.id, i); break
    case 'instance': pushInstance(out, path.objectId!, node); break
    case 'single': case 'multiple':
      pushResource(out, '', node)
      if (out.length > 0) out[0]!.bn = `/${path.objectId}/${path.instanceId}/`
      break
    case 'resourceInstance':
      out.push(putValue({ bn: `/${path.objectId}/${path.instanceId}/`, n: `${path.resourceId}/${node.id}` }, node.type,
        checked(node.type, node.value, `resource instance ${node.id}`)))
  }
  if (baseTime !== undefined && out.length > 0) out[0]!.bt = baseTime
  return out
}

// ---- records -> nodes ----

const NATURAL: Record<SenmlValueField, ResourceType> = { v: 'float', vs: 'string', vb: 'boolean', vd: 'opaque', vlo: 'objlnk' }
/** Lenient mode: the type of an unknown resource from its value field (a 64-bit "v" beyond 2^53 is an integer). */
function naturalType (r: ResolvedRecord): ResourceType {
  if (typeof r.value === 'bigint') return r.value >= 0n ? 'unsigned' : 'integer'
  return NATURAL[r.field ?? 'vs']
}

const FIELD: Record<ResourceType, SenmlValueField> = {
  string: 'vs', corelnk: 'vs', integer: 'v', unsigned: 'v', float: 'v', time: 'v', boolean: 'vb', opaque: 'vd', objlnk: 'vlo',
}
const VLO = /^([0-9]{1,5}):([0-9]{1,5})$/

/** The path a resolved name names; it must be a resource or resource instance (SENML_BAD_NAME otherwise). */
export function recordPath (name: string): Lwm2mPath {
  let p: Lwm2mPath
  try { p = parsePath(name) } catch (err) {
    throw new Lwm2mFormatError('SENML_BAD_NAME', `name ${JSON.stringify(name)} is not an LWM2M path`, { cause: err })
  }
  if (pathDepth(p) < 3) throw new Lwm2mFormatError('SENML_BAD_NAME', `name ${JSON.stringify(name)} is not a resource or resource instance`)
  return p
}

/** A record value converted to the JS value of `type` (model.ts), or VALUE_TYPE. */
export function recordValue (type: ResourceType, r: ResolvedRecord): ResourceValue {
  if (r.field === undefined) throw new Lwm2mFormatError('SENML_NO_VALUE', `record ${r.name} has no value`)
  if (r.field !== FIELD[type]) throw new Lwm2mFormatError('VALUE_TYPE', `${r.name} is ${type}, the record has "${r.field}"`)
  let value: ResourceValue
  if (type === 'time') value = new Date(Number(r.value) * 1000)
  else if (type === 'float') value = Number(r.value)
  else if (type === 'objlnk') {
    const m = VLO.exec(r.value as string)
    if (m === null) throw new Lwm2mFormatError('SENML_BAD_FIELD', `${r.name}: vlo ${JSON.stringify(r.value)} is not "ObjectID:InstanceID"`)
    value = { objectId: Number(m[1]), instanceId: Number(m[2]) }
  } else value = r.value!
  if (!isValue(type, value)) throw new Lwm2mFormatError('VALUE_TYPE', `${r.name}: ${String(r.value)} is not a valid ${type}`)
  return value
}

interface Draft { type: ResourceType, multiple: boolean, single?: ResourceValue, instances?: Map<number, ResourceValue> }

/** Builds the node at `path` from resolved records, all of which must name resources under it. */
export function senmlToNode (path: Lwm2mPath, records: readonly ResolvedRecord[], options?: DecodeOptions): Lwm2mNode {
  const depth = pathDepth(path)
  if (depth === 0) throw new Lwm2mFormatError('PATH_LEVEL', 'SenML content for "/" needs a composite operation, not one node')
  const objectId = path.objectId!
  // instance id -> resource id -> draft
  const tree = new Map<number, Map<number, Draft>>()
  for (const r of records) {
    const p = recordPath(r.name)
    if (!isPathPrefix(path, p)) {
      throw new Lwm2mFormatError('SENML_OUTSIDE_PATH', `record ${r.name} is outside ${formatPath(path)}`)
    }
    let resources = tree.get(p.instanceId!)
    if (resources === undefined) tree.set(p.instanceId!, resources = new Map())
    let d = resources.get(p.resourceId!)
    const isInstance = p.resourceInstanceId !== undefined
    if (d === undefined) {
      const def = lookupResource(options, objectId, p.resourceId!)
      d = def !== undefined
        ? { type: def.type as ResourceType, multiple: def.multiple }
        : { type: naturalType(r), multiple: isInstance }
      resources.set(p.resourceId!, d)
    }
    if (d.multiple !== isInstance) {
      throw new Lwm2mFormatError('VALUE_TYPE', `${r.name}: resource ${p.resourceId} is ${d.multiple ? 'multiple' : 'single'} in the object model`)
    }
    const value = recordValue(d.type, r)
    if (isInstance) {
      d.instances ??= new Map()
      if (d.instances.has(p.resourceInstanceId!)) throw new Lwm2mFormatError('SENML_DUPLICATE', `${r.name} appears twice`)
      d.instances.set(p.resourceInstanceId!, value)
    } else {
      if (d.single !== undefined) throw new Lwm2mFormatError('SENML_DUPLICATE', `${r.name} appears twice`)
      d.single = value
    }
  }
  switch (depth) {
    case 1: {
      const instances = new Map<number, ObjectInstance>()
      for (const [id, resources] of tree) instances.set(id, draftInstance(id, resources))
      return { kind: 'object', id: objectId, instances }
    }
    case 2: return draftInstance(path.instanceId!, tree.get(path.instanceId!))
    case 3: {
      const d = tree.get(path.instanceId!)?.get(path.resourceId!)
      if (d === undefined) {
        const def = lookupResource(options, objectId, path.resourceId!)
        if (def?.multiple === true) return { kind: 'multiple', id: path.resourceId!, type: def.type as ResourceType, instances: new Map() }
        throw new Lwm2mFormatError('EMPTY_PAYLOAD', `no record for ${formatPath(path)}`)
      }
      return draftResource(path.resourceId!, d)
    }
    default: {
      const d = tree.get(path.instanceId!)?.get(path.resourceId!)
      const value = d?.instances?.get(path.resourceInstanceId!)
      if (d === undefined || value === undefined) throw new Lwm2mFormatError('EMPTY_PAYLOAD', `no record for ${formatPath(path)}`)
      return { kind: 'resourceInstance', id: path.resourceInstanceId!, type: d.type, value }
    }
  }
}

function draftResource (id: number, d: Draft): Resource {
  return d.multiple
    ? { kind: 'multiple', id, type: d.type, instances: d.instances ?? new Map() }
    : { kind: 'single', id, type: d.type, value: d.single! }
}

function draftInstance (id: number, drafts: ReadonlyMap<number, Draft> | undefined): ObjectInstance {
  const resources = new Map<number, Resource>()
  if (drafts !== undefined) for (const [rid, d] of drafts) resources.set(rid, draftResource(rid, d))
  return { kind: 'instance', id, resources }
}
