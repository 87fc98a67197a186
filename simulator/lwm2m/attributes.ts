// Write-Attributes and Discover (LWM2M 1.1 §5.1.2, §5.4.2, §5.4.4): notification attributes attached to an
// object, object instance or resource, and the link-format listing of what the device has with those attributes.
import { Code, OptionNumber, optionValues } from '../../lib/coap/index.ts'
import type { CoapMessage } from '../../lib/coap/index.ts'
import { formatDiscover } from '../../lib/lwm2m/link-format.ts'
import type { DiscoveredLink, Lwm2mAttributes } from '../../lib/lwm2m/link-format.ts'
import { formatPath, makePath, pathDepth } from '../../lib/lwm2m/path.ts'
import type { Lwm2mPath } from '../../lib/lwm2m/path.ts'
import { findResource, readResource, writeKey } from './device-objects.ts'
import type { ObjectEntry } from './device-objects.ts'
import type { Lwm2mDevice } from './device.ts'
import { attributeNames, resolveAttributes } from './observation.ts'
import type { Attributes } from './observation.ts'
import { defaultPeriods, readContext, reply } from './outcome.ts'
import type { Outcome } from './outcome.ts'

type Name = (typeof attributeNames)[number]
const NUMBER = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/
const NUMERIC_TYPES = new Set(['integer', 'unsigned', 'float'])

/** PUT with Uri-Query attributes and no payload: "pmin=5" sets, a bare "pmin" removes (§5.1.2). */
export function writeAttributes (d: Lwm2mDevice, msg: CoapMessage, o: ObjectEntry, path: Lwm2mPath): Outcome {
  const depth = pathDepth(path)
  if (depth === 4) return reply(Code.METHOD_NOT_ALLOWED)
  const def = depth === 3 ? findResource(o, path.resourceId!) : undefined
  if (depth === 3 && def === undefined) return reply(Code.NOT_FOUND)
  const query = optionValues(msg, OptionNumber.URI_QUERY).map(v => v.toString('utf8'))
  if (query.length === 0) return reply(Code.BAD_REQUEST)
  const set: Attributes = {}
  const removed: Name[] = []
  for (const q of query) {
    const eq = q.indexOf('=')
    const name = eq < 0 ? q : q.slice(0, eq)
    if (name === 'epmin' || name === 'epmax') continue // evaluation periods: accepted, the devices sample on their own schedule
    if (!(attributeNames as readonly string[]).includes(name)) return reply(Code.BAD_REQUEST)
    const n = name as Name
    // gt, lt and st only make sense for a numeric resource (§5.1.2)
    if ((n === 'gt' || n === 'lt' || n === 'st') && (def === undefined || !NUMERIC_TYPES.has(def.type) || def.multiple)) return reply(Code.BAD_REQUEST)
    if (eq < 0) { removed.push(n); continue }
    const text = q.slice(eq + 1)
    const v = NUMBER.test(text) ? Number(text) : Number.NaN
    if (!Number.isFinite(v) || ((n === 'pmin' || n === 'pmax') && (!Number.isInteger(v) || v < 0)) || (n === 'st' && v < 0)) return reply(Code.BAD_REQUEST)
    set[n] = v
  }
  const key = formatPath(path)
  const stored = d.attributes ??= new Map()
  const a: Attributes = { ...stored.get(key), ...set }
  for (const n of removed) delete a[n]
  if (Object.keys(a).length === 0) stored.delete(key)
  else stored.set(key, a)
  if (stored.size === 0) d.attributes = undefined
  refreshObservations(d)
  return reply(Code.CHANGED)
}

/** Attributes or the server's default periods changed: every observation takes the values now in effect. */
export function refreshObservations (d: Lwm2mDevice): void {
  const observations = d.observations
  if (observations === undefined) return
  const [pmin, pmax] = defaultPeriods(d)
  for (const o of observations) {
    o.applyAttributes(resolveAttributes(d.attributes, o.path), pmin, pmax)
    o.schedule(d.t0, d.periodMs)
  }
  d.reschedule()
}

function linkAttributes (a: Attributes | undefined): Lwm2mAttributes {
  const out: Lwm2mAttributes = {}
  if (a === undefined) return out
  for (const n of attributeNames) if (a[n] !== undefined) out[n] = a[n]
  return out
}

/** GET with Accept: application/link-format (§5.4.2). A resource shows its inherited attributes too. */
export function discover (d: Lwm2mDevice, o: ObjectEntry, path: Lwm2mPath): Outcome {
  const depth = pathDepth(path)
  if (depth === 4) return reply(Code.METHOD_NOT_ALLOWED)
  const c = readContext(d, d.driver.ctx.now())
  const own = (p: Lwm2mPath): Lwm2mAttributes => linkAttributes(d.attributes?.get(formatPath(p)))
  const links: DiscoveredLink[] = []
  const resources = (instanceId: number, only?: number): void => {
    const ids = [...o.resources.keys()]
    for (const key of c.writes?.keys() ?? []) { // resources that exist only because the server wrote them
      const [oid, iid, rid] = key.split('/').map(Number)
      if (oid === o.def.id && iid === instanceId && !ids.includes(rid!)) ids.push(rid!)
    }
    for (const rid of ids) {
      if (only !== undefined && rid !== only) continue
      const p = makePath(o.def.id, instanceId, rid)
      const attributes = only !== undefined ? linkAttributes(resolveAttributes(d.attributes, p)) : own(p)
      const entry = o.resources.get(rid)
      const node = entry !== undefined ? readResource(c, o, instanceId, entry) : undefined
      if (node?.kind === 'multiple') attributes.dim = node.instances.size
      links.push({ path: p, attributes })
    }
  }
  if (depth === 3) {
    if (findResource(o, path.resourceId!) === undefined ||
      (!o.resources.has(path.resourceId!) && c.writes?.has(writeKey(o.def.id, path.instanceId!, path.resourceId!)) !== true)) return reply(Code.NOT_FOUND)
    resources(path.instanceId!, path.resourceId!)
  } else {
    if (depth === 1) links.push({ path: makePath(o.def.id), attributes: { ...own(makePath(o.def.id)), ver: o.def.version } })
    const first = depth === 2 ? path.instanceId! : 0
    const last = depth === 2 ? path.instanceId! : o.instances - 1
    for (let i = first; i <= last; i++) {
      links.push({ path: makePath(o.def.id, i), attributes: own(makePath(o.def.id, i)) })
      resources(i)
    }
  }
  return { reply: { code: Code.CONTENT, format: 40, payload: Buffer.from(formatDiscover(links)) } }
}
