// The object model of a virtual device, as tables shared by every device of a driver: which resources each object
// instance has and how each value is produced (a constant, a function of the device index, the sensor store, or the
// device's own writes). No per-device copy of any of it: a device holds only the values a server wrote.
// Objects: 1 LwM2M Server, 3 Device (LWM2M 1.1 §E.1, §E.4) and the IPSO sensors 3301, 3303, 3304, 3315.
import { defaultRegistry } from '../../lib/lwm2m/model.ts'
import { pathDepth } from '../../lib/lwm2m/path.ts'
import type { Lwm2mPath } from '../../lib/lwm2m/path.ts'
import type { Lwm2mNode, ObjectDefinition, ObjectInstance, Resource, ResourceDefinition, ResourceType, ResourceValue } from '../../lib/lwm2m/model.ts'
import { mix32 } from '../../lib/random.ts'
import type { SensorStore } from './sensors.ts'

/** What a resource value may depend on, gathered once per request. */
export interface ReadContext {
  readonly index: number
  readonly endpoint: string
  readonly lifetimeS: number
  /** The sensors' current sample step. */
  readonly sample: number
  readonly sensors: SensorStore
  /** Unix time in ms. */
  readonly wallMs: number
  /** Values the server wrote, by "o/i/r". */
  readonly writes: ReadonlyMap<string, ResourceValue> | undefined
}

type Reader = (c: ReadContext, instanceId: number, objectId: number) => ResourceValue | readonly ResourceValue[]

export interface ResourceEntry {
  readonly def: ResourceDefinition
  /** Absent for executable resources. */
  readonly read?: Reader
}

export interface ObjectEntry {
  readonly def: ObjectDefinition
  /** Instance ids 0..instances-1. */
  readonly instances: number
  readonly resources: ReadonlyMap<number, ResourceEntry>
}

const constant = (v: ResourceValue | readonly ResourceValue[]): Reader => () => v

function table (objectId: number, instances: number, readers: ReadonlyArray<readonly [number, Reader | undefined]>): ObjectEntry {
  const def = defaultRegistry.get(objectId)
  const resources = new Map<number, ResourceEntry>()
  for (const [id, read] of readers) {
    const rdef = def.resources.get(id)
    if (rdef === undefined) throw new RangeError(`object ${objectId} has no resource ${id}`)
    resources.set(id, read === undefined ? { def: rdef } : { def: rdef, read })
  }
  return { def, instances, resources }
}

/** LwM2M Server (1), one instance for the one server the device registers with. */
function serverObject (): ObjectEntry {
  return table(1, 1, [
    [0, constant(1)],
    [1, c => c.lifetimeS],
    [2, constant(0)],
    [6, constant(false)],
    [7, constant('U')],
    [8, undefined],
  ])
}

/** Device (3): constants for the fleet, a serial number and battery level from the device index. */
function deviceObject (): ObjectEntry {
  return table(3, 1, [
    [0, constant('fleetlab')],
    [1, constant('fleetlab-virtual-lwm2m')],
    [2, c => `FL${String(c.index).padStart(8, '0')}`],
    [3, constant('1.0.0')],
    [4, undefined],
    [5, undefined],
    [6, constant([1, 5])], // internal battery, USB
    [7, constant([3800, 5000])],
    [8, constant([125, 900])],
    [9, c => 20 + (mix32(c.index) % 81)],
    [10, constant(64)],
    [11, constant([0])],
    [12, undefined],
    [13, c => new Date(c.wallMs)],
    [14, constant('+00:00')],
    [15, constant('Etc/UTC')],
    [16, constant('U')],
    [17, constant('virtual sensor')],
    [18, constant('1.0')],
    [19, constant('fleetlab')],
    [20, constant(0)],
    [21, constant(128)],
  ])
}

const round = (v: number): number => Math.round(v * 1000) / 1000

/** An IPSO sensor object; values come from the sensor store. */
function sensorObject (objectId: number, instances: number): ObjectEntry {
  const def = defaultRegistry.get(objectId)
  const slot = (c: ReadContext, i: number): number => c.sensors.slotOf(objectId, i)
  return table(objectId, instances, [
    [5700, (c, i) => c.sensors.valueAt(c.index, slot(c, i), c.sample)],
    [5601, (c, i) => { c.sensors.valueAt(c.index, slot(c, i), c.sample); return c.sensors.minMeasured(c.index, slot(c, i)) }],
    [5602, (c, i) => { c.sensors.valueAt(c.index, slot(c, i), c.sample); return c.sensors.maxMeasured(c.index, slot(c, i)) }],
    [5603, (c, i) => round(c.sensors.slots[slot(c, i)]!.generator.range[0])],
    [5604, (c, i) => round(c.sensors.slots[slot(c, i)]!.generator.range[1])],
    [5701, constant(def.sensorUnits ?? '')],
    [5605, undefined],
    [5750, constant('virtual')],
  ])
}

/** The tables for a device with the given sensor objects, by object id, in registration order. */
export function deviceObjects (sensors: ReadonlyArray<{ objectId: number, instances: number }>): ReadonlyMap<number, ObjectEntry> {
  const objects = new Map<number, ObjectEntry>([[1, serverObject()], [3, deviceObject()]])
  for (const s of sensors) objects.set(s.objectId, sensorObject(s.objectId, s.instances))
  return objects
}

export function writeKey (objectId: number, instanceId: number, resourceId: number): string {
  return `${objectId}/${instanceId}/${resourceId}`
}

/** A readable resource as a node, undefined when it is executable. */
export function readResource (c: ReadContext, o: ObjectEntry, instanceId: number, entry: ResourceEntry): Resource | undefined {
  if (entry.read === undefined || entry.def.type === 'none') return undefined
  const type = entry.def.type as ResourceType
  const written = c.writes?.get(writeKey(o.def.id, instanceId, entry.def.id))
  const value = written ?? entry.read(c, instanceId, o.def.id)
  if (entry.def.multiple) {
    const instances = new Map<number, ResourceValue>()
    const list = value as readonly ResourceValue[]
    for (let i = 0; i < list.length; i++) instances.set(i, list[i]!)
    return { kind: 'multiple', id: entry.def.id, type, instances }
  }
  return { kind: 'single', id: entry.def.id, type, value: value as ResourceValue }
}

export function readInstance (c: ReadContext, o: ObjectEntry, instanceId: number): ObjectInstance {
  const resources = new Map<number, Resource>()
  for (const entry of o.resources.values()) {
    const r = readResource(c, o, instanceId, entry)
    if (r !== undefined) resources.set(r.id, r)
  }
  // resources the server wrote that the table does not list (e.g. /1/0/3 Default Maximum Period)
  if (c.writes !== undefined) {
    const prefix = `${o.def.id}/${instanceId}/`
    for (const [key, value] of c.writes) {
      if (!key.startsWith(prefix)) continue
      const id = Number(key.slice(prefix.length))
      const def = o.def.resources.get(id)
      if (resources.has(id) || def === undefined || def.type === 'none' || def.multiple) continue
      resources.set(id, { kind: 'single', id, type: def.type, value })
    }
  }
  return { kind: 'instance', id: instanceId, resources }
}

export function readObject (c: ReadContext, o: ObjectEntry): Lwm2mNode {
  const instances = new Map<number, ObjectInstance>()
  for (let i = 0; i < o.instances; i++) instances.set(i, readInstance(c, o, i))
  return { kind: 'object', id: o.def.id, instances }
}

/** The resource definition of /o/i/r when the device has it: in its table, or writable in the object's definition. */
export function findResource (o: ObjectEntry, resourceId: number): ResourceDefinition | undefined {
  return o.resources.get(resourceId)?.def ?? (o.def.resources.get(resourceId)?.operations.includes('W') === true ? o.def.resources.get(resourceId) : undefined)
}

/** The node at `path`, undefined when the path names no readable resource. */
export function readNode (c: ReadContext, o: ObjectEntry, path: Lwm2mPath): Lwm2mNode | undefined {
  const depth = pathDepth(path)
  if (depth === 1) return readObject(c, o)
  if (depth === 2) return readInstance(c, o, path.instanceId!)
  const r: Resource | undefined = readInstance(c, o, path.instanceId!).resources.get(path.resourceId!)
  if (r === undefined || depth === 3) return r
  if (r.kind !== 'multiple') return undefined
  const value = r.instances.get(path.resourceInstanceId!)
  return value === undefined ? undefined : { kind: 'resourceInstance', id: path.resourceInstanceId!, type: r.type, value }
}
