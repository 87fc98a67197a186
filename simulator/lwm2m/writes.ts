// Write (LWM2M 1.1 §5.4.3): PUT replaces a resource or the given resources of an instance, POST on an instance is a
// partial update. Only writable (RW) single resources can be written; the whole request is checked before any value
// changes. A new lifetime (/1/0/1) is sent in an Update at once; new default periods (/1/0/2, /1/0/3) re-pace the
// observations.
import { Code, contentFormat } from '../../lib/coap/index.ts'
import type { CoapMessage } from '../../lib/coap/index.ts'
import { decodeNode } from '../../lib/lwm2m/content-format.ts'
import type { Resource, ResourceValue } from '../../lib/lwm2m/model.ts'
import { pathDepth } from '../../lib/lwm2m/path.ts'
import type { Lwm2mPath } from '../../lib/lwm2m/path.ts'
import { refreshObservations } from './attributes.ts'
import { writeKey } from './device-objects.ts'
import type { ObjectEntry } from './device-objects.ts'
import type { Lwm2mDevice } from './device.ts'
import { reply } from './outcome.ts'
import type { Outcome } from './outcome.ts'

export function applyWrite (d: Lwm2mDevice, msg: CoapMessage, o: ObjectEntry, path: Lwm2mPath, replace: boolean): Outcome {
  const depth = pathDepth(path)
  if (depth !== 2 && depth !== 3) return reply(Code.METHOD_NOT_ALLOWED)
  const format = contentFormat(msg)
  if (format === undefined) return reply(Code.BAD_REQUEST)
  if (depth === 3 && !replace) return reply(Code.METHOD_NOT_ALLOWED)
  const node = decodeNode(format, path, msg.payload!) // format errors become 4.00 / 4.15 in requests.ts
  const resources: Resource[] = node.kind === 'instance' ? [...node.resources.values()] : node.kind === 'single' || node.kind === 'multiple' ? [node] : []
  for (const r of resources) {
    const def = o.def.resources.get(r.id)
    if (def === undefined) return reply(Code.NOT_FOUND)
    if (!def.operations.includes('W') || r.kind !== 'single') return reply(Code.METHOD_NOT_ALLOWED)
    if (o.def.id === 1 && r.id === 1 && !(Number(r.value) >= 1)) return reply(Code.BAD_REQUEST) // a lifetime of at least 1 s
  }
  const writes = d.writes ??= new Map<string, ResourceValue>()
  let lifetime = false
  let periods = false
  for (const r of resources) {
    if (r.kind !== 'single') continue
    writes.set(writeKey(o.def.id, path.instanceId!, r.id), r.value)
    if (o.def.id === 1 && r.id === 1) { d.setLifetime(Number(r.value)); lifetime = true }
    if (o.def.id === 1 && (r.id === 2 || r.id === 3)) periods = true
  }
  d.count('lwm2m.write.ok')
  if (periods) refreshObservations(d)
  return lifetime ? { reply: { code: Code.CHANGED }, after: 'update' } : reply(Code.CHANGED)
}
