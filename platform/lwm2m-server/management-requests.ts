// zeelos management requests (AvroRequest from iot.<gw>.management.req) carried out on a device, and their replies
// (AvroResponse with the same ticket). A request that cannot be carried out as written is malformed, by reason:
//   avro  the bytes are not an AvroRequest          kind  an unknown request kind
//   path  not an LWM2M path                          body  the body does not fit the kind (or its values their types)
//   ep    no endpoint name                           format a content format the operation cannot use
// It gets a BAD_REQUEST reply whenever a ticket can be recovered from the bytes; an unknown endpoint gets NOT_FOUND;
// a device that does not answer (or answers RST) INTERNAL_SERVER_ERROR, as zeelos answered errors.
import { isLwm2mFormatError } from '../../lib/lwm2m/errors.ts'
import { makePath, parsePath } from '../../lib/lwm2m/path.ts'
import type { Lwm2mPath } from '../../lib/lwm2m/path.ts'
import { fromAvroInstance, fromAvroNode, responseCode, toAvroNode } from './avro-mapping.ts'
import { createBody, discoverBody, genericBody, nodeOf, readBody } from './avro/records.ts'
import { AvroNames } from './avro/types.ts'
import type { AvroContentFormat, AvroRequest, AvroRequestKind, AvroResponseBody, AvroResponseCode } from './avro/types.ts'
import type { DeviceResponse } from './management.ts'
import type { Lwm2mServer } from './server.ts'

export const requestKinds: readonly AvroRequestKind[] = ['read', 'write', 'writeAttributes', 'execute', 'observe', 'observeCancel', 'delete', 'discover', 'create']
export type MalformedReason = 'avro' | 'kind' | 'path' | 'body' | 'ep' | 'format'

export interface ReplyContent {
  code: AvroResponseCode
  body: AvroResponseBody
  /** Set when the request itself was at fault: counted as lwm2m.bridge.malformed.<reason>. */
  malformed?: MalformedReason
}

/** zeelos content formats as CoAP ids; JSON_CODE is SenML JSON, LWM2M 1.1's JSON (fleetlab encodes no OMA JSON). */
const FORMATS: Record<AvroContentFormat, number> = { TLV: 11542, JSON_CODE: 110, TEXT_CODE: 0, OPAQUE_CODE: 42, LINK_CODE: 40 }

function bad (reason: MalformedReason, message: string): ReplyContent {
  return { code: 'BAD_REQUEST', body: genericBody(message), malformed: reason }
}

/** Carries out one decoded request on the device and builds the reply. Never throws. */
export async function carryOut (server: Lwm2mServer, req: AvroRequest): Promise<ReplyContent> {
  const { kind, contentFormat } = req.payload
  if (req.ep === '') return bad('ep', 'the request names no endpoint')
  let path: Lwm2mPath
  try {
    path = parsePath(req.payload.path)
  } catch (err) {
    return bad('path', `path ${JSON.stringify(req.payload.path)}: ${(err as Error).message}`)
  }
  if (server.registration(req.ep) === undefined) return { code: 'NOT_FOUND', body: genericBody(`endpoint ${JSON.stringify(req.ep)} is not registered at this server`) }
  const format = FORMATS[contentFormat]
  const valueFormat = format === 40 ? undefined : format
  const body = req.payload.body as Record<string, unknown> | null
  const branch = <T>(name: string): T | undefined => (body?.[name] as T | undefined)
  try {
    switch (kind) {
      case 'read': return outcome(await server.read(req.ep, path, valueFormat !== undefined ? { format: valueFormat } : {}), path, kind)
      case 'discover': return outcome(await server.discover(req.ep, path), path, kind)
      case 'observe': return outcome(await server.observe(req.ep, path, { ticket: req.ticket, ...(valueFormat !== undefined ? { format: valueFormat } : {}) }), path, kind)
      case 'observeCancel': {
        const n = await server.cancelObservation(req.ep, path)
        return { code: 'CHANGED', body: genericBody(`cancelled ${n} observation${n === 1 ? '' : 's'} of ${req.payload.path}`) }
      }
      case 'delete': return outcome(await server.delete(req.ep, path), path, kind)
      case 'execute': {
        if (body !== null && branch(AvroNames.AvroExecuteRequest) === undefined) return bad('body', 'execute takes an AvroExecuteRequest body or none')
        return outcome(await server.execute(req.ep, path, branch<{ parameters: string }>(AvroNames.AvroExecuteRequest)?.parameters), path, kind)
      }
      case 'writeAttributes': {
        const spec = branch<{ observeSpec: string }>(AvroNames.AvroWriteAttributesRequest)
        if (spec === undefined) return bad('body', 'writeAttributes takes an AvroWriteAttributesRequest body (observeSpec "pmin=10&pmax=60")')
        return outcome(await server.writeAttributes(req.ep, path, spec.observeSpec), path, kind)
      }
      case 'write': {
        const w = branch<{ mode: 'REPLACE' | 'UPDATE', node: Parameters<typeof nodeOf>[0] }>(AvroNames.AvroWriteRequest)
        if (w === undefined) return bad('body', 'write takes an AvroWriteRequest body')
        if (valueFormat === undefined) return bad('format', 'write needs a value format (TLV, JSON_CODE, TEXT_CODE or OPAQUE_CODE), not LINK_CODE')
        const node = fromAvroNode(nodeOf(w.node), path)
        return outcome(await server.write(req.ep, path, node, { mode: w.mode === 'UPDATE' ? 'update' : 'replace', format: valueFormat }), path, kind)
      }
      case 'create': {
        const c = branch<{ instance: Parameters<typeof fromAvroInstance>[0] }>(AvroNames.AvroCreateRequest)
        if (c === undefined) return bad('body', 'create takes an AvroCreateRequest body')
        if (valueFormat === undefined || valueFormat === 0 || valueFormat === 42) return bad('format', 'create needs TLV or JSON_CODE')
        if (path.instanceId !== undefined) return bad('path', 'create names an object (/3303), the instance comes in the body')
        return outcome(await server.create(req.ep, makePath(path.objectId), fromAvroInstance(c.instance), { format: valueFormat }), path, kind)
      }
      default: return bad('kind', `unknown request kind ${JSON.stringify(kind)}`)
    }
  } catch (err) {
    // The body's values do not fit their types, or the node does not fit the path (NODE_MISMATCH, VALUE_TYPE).
    if (isLwm2mFormatError(err)) return bad('body', err.message)
    return { code: 'INTERNAL_SERVER_ERROR', body: genericBody(`internal error: ${(err as Error).message}`) }
  }
}

function outcome (r: DeviceResponse, path: Lwm2mPath, kind: AvroRequestKind): ReplyContent {
  if (r.outcome === 'unknown-endpoint') return { code: 'NOT_FOUND', body: genericBody(r.error ?? 'not registered') }
  if (r.outcome !== 'response') return { code: 'INTERNAL_SERVER_ERROR', body: genericBody(r.error ?? r.outcome) }
  const code = responseCode(r.code)
  if (!r.code.startsWith('2.')) return { code, body: genericBody(r.payload.length > 0 ? r.payload.toString('utf8') : `the device answered ${r.code}`) }
  if (kind === 'discover') return { code, body: discoverBody(r.payload.toString('utf8')) }
  if (kind === 'create') return { code, body: createBody(`/${r.locationPath.join('/')}`) }
  if (r.node !== undefined) return { code, body: readBody(toAvroNode(path, r.node)) }
  if (r.decodeError !== undefined) return { code: 'INTERNAL_SERVER_ERROR', body: genericBody(`the device's content could not be decoded: ${r.decodeError}`) }
  return { code, body: null }
}

export interface RecoveredHeader {
  serverId?: string
  ep?: string
  ticket?: string
  kind?: AvroRequestKind
  /** The kind's enum index was read and is not one of the nine kinds. */
  badKind?: boolean
  path?: string
}

/**
 * What can be read of an AvroRequest that does not decode, field by field in schema order (serverId, ep, ticket:
 * strings; then payload.kind: enum index; payload.path: string), stopping at the first field that does not fit.
 */
export function recoverRequestHeader (buf: Buffer): RecoveredHeader {
  const out: RecoveredHeader = {}
  const r = { at: 0 }
  const names = ['serverId', 'ep', 'ticket'] as const
  for (const name of names) {
    const s = readString(buf, r)
    if (s === undefined) return out
    out[name] = s
  }
  const index = readLong(buf, r)
  if (index === undefined) return out
  const kind = requestKinds[index]
  if (kind === undefined) { out.badKind = true; return out }
  out.kind = kind
  const path = readString(buf, r)
  if (path !== undefined) out.path = path
  return out
}

/** Avro long: zig-zag varint, at most 10 bytes; undefined past the end or for a value beyond 2^53. */
function readLong (buf: Buffer, r: { at: number }): number | undefined {
  let n = 0
  let mul = 1
  for (let i = 0; i < 8; i++) {
    if (r.at >= buf.length) return undefined
    const b = buf[r.at++]!
    n += (b & 0x7f) * mul
    if ((b & 0x80) === 0) return n % 2 === 0 ? n / 2 : -(n + 1) / 2
    mul *= 128
  }
  return undefined
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function readString (buf: Buffer, r: { at: number }): string | undefined {
  const len = readLong(buf, r)
  if (len === undefined || len < 0 || len > 4096 || r.at + len > buf.length) return undefined
  try {
    const s = utf8.decode(buf.subarray(r.at, r.at + len))
    r.at += len
    return s
  } catch {
    return undefined
  }
}
