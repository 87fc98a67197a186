// Small helpers shared by the codecs: strict UTF-8, strict base64, and the node/path agreement check.
import { isUtf8 } from 'node:buffer'
import { Lwm2mFormatError } from './errors.ts'
import type { Lwm2mNode } from './model.ts'
import { formatPath, pathDepth } from './path.ts'
import type { Lwm2mPath } from './path.ts'

export function asBuffer (payload: Uint8Array): Buffer {
  return Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
}

/** UTF-8 text of buf[start, end); invalid sequences throw BAD_UTF8 instead of becoming U+FFFD. */
export function decodeUtf8 (buf: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) {
      if (!isUtf8(buf.subarray(start, end))) throw new Lwm2mFormatError('BAD_UTF8', `invalid UTF-8 in bytes ${start}..${end}`)
      return buf.toString('utf8', start, end)
    }
  }
  return buf.toString('latin1', start, end)
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/

/** Strict base64 (RFC 4648 §4 or the URL-safe §5 alphabet, padding optional); anything else throws `reason`. */
export function decodeBase64 (text: string, reason: 'SENML_BAD_FIELD' | 'TEXT_SYNTAX'): Buffer {
  const bare = text.endsWith('=') ? text.replace(/=+$/, '') : text
  if (!BASE64.test(text) || bare.length % 4 === 1 || (bare.length !== text.length && text.length % 4 !== 0)) {
    throw new Lwm2mFormatError(reason, `not valid base64: ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text)}`)
  }
  return Buffer.from(bare, text.includes('-') || text.includes('_') ? 'base64url' : 'base64')
}

const KINDS = ['', 'object', 'instance', 'single|multiple', 'resourceInstance'] as const

function nodeKindOk (depth: number, kind: Lwm2mNode['kind']): boolean {
  return depth === 3 ? kind === 'single' || kind === 'multiple' : KINDS[depth] === kind
}

/** The node must be what the path names: an object at /O, an instance at /O/I, a resource at /O/I/R, ... */
export function checkNodeMatchesPath (path: Lwm2mPath, node: Lwm2mNode): void {
  const depth = pathDepth(path)
  const id = depth === 1 ? path.objectId : depth === 2 ? path.instanceId : depth === 3 ? path.resourceId : path.resourceInstanceId
  if (depth === 0 || !nodeKindOk(depth, node.kind) || node.id !== id) {
    throw new Lwm2mFormatError('NODE_MISMATCH', `a ${node.kind} node with id ${node.id} is not what ${formatPath(path)} names`)
  }
}
