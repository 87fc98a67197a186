// LWM2M paths: /{Object ID}/{Object Instance ID}/{Resource ID}/{Resource Instance ID}, every part optional from the
// right, "/" for the root (LWM2M 1.1 §6.1, §7.1). Every id is a 16-bit unsigned integer (Table 7.1.-1), so 0..65535;
// 65535 (MAX_ID) is reserved for instances but still a valid number on the wire (an objlnk "null" uses it).
import { Lwm2mPathError } from './errors.ts'
import type { PathPart } from './errors.ts'

export const MAX_ID = 65535

export interface Lwm2mPath {
  readonly objectId?: number
  readonly instanceId?: number
  readonly resourceId?: number
  readonly resourceInstanceId?: number
}

export type PathLevel = 'root' | 'object' | 'instance' | 'resource' | 'resourceInstance'

const PARTS: readonly PathPart[] = ['object id', 'object instance id', 'resource id', 'resource instance id']
const LEVELS: readonly PathLevel[] = ['root', 'object', 'instance', 'resource', 'resourceInstance']

export const ROOT_PATH: Lwm2mPath = Object.freeze({})

/** Builds a path from ids, left to right; an undefined id ends it. Throws Lwm2mPathError for an id out of 0..65535. */
export function makePath (objectId?: number, instanceId?: number, resourceId?: number, resourceInstanceId?: number): Lwm2mPath {
  checkIds(objectId, instanceId, resourceId, resourceInstanceId)
  if (objectId === undefined) return ROOT_PATH
  if (instanceId === undefined) return { objectId }
  if (resourceId === undefined) return { objectId, instanceId }
  if (resourceInstanceId === undefined) return { objectId, instanceId, resourceId }
  return { objectId, instanceId, resourceId, resourceInstanceId }
}

function checkIds (a?: number, b?: number, c?: number, d?: number): void {
  if (okId(a) && okId(b) && okId(c) && okId(d) &&
    (a !== undefined || b === undefined) && (b !== undefined || c === undefined) && (c !== undefined || d === undefined)) return
  const ids = [a, b, c, d]
  const text = `/${ids.map(x => x ?? '-').join('/')}`
  let ended = false
  for (let i = 0; i < 4; i++) {
    const id = ids[i]
    if (id === undefined) { ended = true; continue }
    if (ended) throw new Lwm2mPathError('PATH_SYNTAX', PARTS[i]!, text, 'an id follows a missing one')
    if (!okId(id)) throw new Lwm2mPathError('PATH_ID_RANGE', PARTS[i]!, text, `${id} is not an integer in 0..${MAX_ID}`)
  }
}

function okId (id: number | undefined): boolean {
  return id === undefined || (Number.isInteger(id) && id >= 0 && id <= MAX_ID)
}

/** Parses "/3303/0/5700", "/3/0/7/1", "/3303" or "/". Strict: leading slash, decimal ids, no empty or extra parts. */
export function parsePath (text: string): Lwm2mPath {
  if (typeof text !== 'string' || text.length === 0 || text.charCodeAt(0) !== 0x2f) {
    throw new Lwm2mPathError('PATH_SYNTAX', 'path', String(text), 'a path starts with "/"')
  }
  if (text.length === 1) return ROOT_PATH
  const ids: number[] = []
  let start = 1
  for (let i = 1; i <= text.length; i++) {
    if (i < text.length && text.charCodeAt(i) !== 0x2f) continue
    if (ids.length === 4) throw new Lwm2mPathError('PATH_SYNTAX', 'path', text, 'more than 4 ids')
    ids.push(parseId(text, start, i, PARTS[ids.length]!))
    start = i + 1
  }
  return makePath(ids[0], ids[1], ids[2], ids[3])
}

/** Builds a path from CoAP Uri-Path option values (RFC 7252 §5.10.1), e.g. ['3303', '0', '5700']. */
export function pathFromSegments (segments: readonly string[]): Lwm2mPath {
  const text = `/${segments.join('/')}`
  if (segments.length === 0 || (segments.length === 1 && segments[0] === '')) return ROOT_PATH
  if (segments.length > 4) throw new Lwm2mPathError('PATH_SYNTAX', 'path', text, 'more than 4 ids')
  const ids = segments.map((s, i) => parseId(s, 0, s.length, PARTS[i]!, text))
  return makePath(ids[0], ids[1], ids[2], ids[3])
}

function parseId (text: string, start: number, end: number, part: PathPart, input = text): number {
  if (end === start) throw new Lwm2mPathError('PATH_SYNTAX', part, input, 'is empty')
  if (end - start > 5) throw new Lwm2mPathError('PATH_ID_RANGE', part, input, `"${text.slice(start, end)}" is out of 0..${MAX_ID}`)
  let n = 0
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i) - 0x30
    if (c < 0 || c > 9) throw new Lwm2mPathError('PATH_SYNTAX', part, input, `"${text.slice(start, end)}" is not a decimal number`)
    n = n * 10 + c
  }
  if (n > MAX_ID) throw new Lwm2mPathError('PATH_ID_RANGE', part, input, `${n} is out of 0..${MAX_ID}`)
  return n
}

export function formatPath (path: Lwm2mPath): string {
  if (path.objectId === undefined) return '/'
  if (path.instanceId === undefined) return `/${path.objectId}`
  if (path.resourceId === undefined) return `/${path.objectId}/${path.instanceId}`
  if (path.resourceInstanceId === undefined) return `/${path.objectId}/${path.instanceId}/${path.resourceId}`
  return `/${path.objectId}/${path.instanceId}/${path.resourceId}/${path.resourceInstanceId}`
}

/** Number of ids: 0 for the root, 4 for a resource instance. */
export function pathDepth (path: Lwm2mPath): 0 | 1 | 2 | 3 | 4 {
  if (path.objectId === undefined) return 0
  if (path.instanceId === undefined) return 1
  if (path.resourceId === undefined) return 2
  if (path.resourceInstanceId === undefined) return 3
  return 4
}

export function pathLevel (path: Lwm2mPath): PathLevel {
  return LEVELS[pathDepth(path)]!
}

export function pathIds (path: Lwm2mPath): number[] {
  const ids: number[] = []
  if (path.objectId !== undefined) ids.push(path.objectId)
  if (path.instanceId !== undefined) ids.push(path.instanceId)
  if (path.resourceId !== undefined) ids.push(path.resourceId)
  if (path.resourceInstanceId !== undefined) ids.push(path.resourceInstanceId)
  return ids
}

export function pathEquals (a: Lwm2mPath, b: Lwm2mPath): boolean {
  return a.objectId === b.objectId && a.instanceId === b.instanceId && a.resourceId === b.resourceId &&
    a.resourceInstanceId === b.resourceInstanceId
}

/** True when `prefix` is `path` or one of its ancestors ("/3303" covers "/3303/0/5700"; "/" covers everything). */
export function isPathPrefix (prefix: Lwm2mPath, path: Lwm2mPath): boolean {
  if (prefix.objectId === undefined) return true
  if (prefix.objectId !== path.objectId) return false
  if (prefix.instanceId === undefined) return true
  if (prefix.instanceId !== path.instanceId) return false
  if (prefix.resourceId === undefined) return true
  if (prefix.resourceId !== path.resourceId) return false
  return prefix.resourceInstanceId === undefined || prefix.resourceInstanceId === path.resourceInstanceId
}

/** Throws PATH_LEVEL unless the path has one of the given levels (e.g. text/plain needs a resource). */
export function requireLevel (path: Lwm2mPath, levels: readonly PathLevel[], what: string): PathLevel {
  const level = pathLevel(path)
  if (!levels.includes(level)) {
    throw new Lwm2mPathError('PATH_LEVEL', 'path', formatPath(path), `${what} needs a path to ${levels.join(' or ')}, not ${level}`)
  }
  return level
}
