// SenML CBOR, content format 112 (RFC 8428 §6, LWM2M 1.1 §7.4.5), with a small hand-written CBOR (RFC 8949) subset:
// faster than a general CBOR library here because it writes SenML records straight into one reused scratch buffer
// (scripts/bench/lwm2m-codecs.ts measures both). Labels (RFC 8428 Table 4): bver -1, bn -2, bt -3, bu -4, bv -5,
// bs -6, n 0, u 1, v 2, vs 3, vb 4, s 5, t 6, ut 7, vd 8; LWM2M's "vlo" keeps its text label.
// Encoding: definite lengths; integers as CBOR integers; other numbers in the shortest float that holds them exactly
// (half, single, double: RFC 8949 §4.2.2 preferred serialization). Decoding accepts definite and indefinite lengths,
// integer or text labels, half/single/double floats; it rejects tags, reserved encodings, nesting inside a record,
// duplicate labels, trailing bytes and truncation, each with a reason.
import { Lwm2mFormatError } from './errors.ts'
import type { Lwm2mFormatReason } from './errors.ts'
import { asBuffer, decodeUtf8 } from './codec-util.ts'
import { checkOneValue } from './senml.ts'
import type { SenmlRecord } from './senml.ts'
import { checkSenmlVersion } from './senml-json.ts'

// Label codes: the integer labels themselves; text labels map to them, "vlo" gets a code of its own.
const VLO = 100
const TEXT_LABELS: ReadonlyMap<string, number> = new Map([
  ['bver', -1], ['bn', -2], ['bt', -3], ['bu', -4], ['bv', -5], ['bs', -6],
  ['n', 0], ['u', 1], ['v', 2], ['vs', 3], ['vb', 4], ['s', 5], ['t', 6], ['ut', 7], ['vd', 8], ['vlo', VLO],
])

// ---- encoder: module-level scratch buffer, grown on demand; the result is an exact-size copy ----

let out = Buffer.allocUnsafe(4096)
let at = 0
const f32 = new Float32Array(1)
const f32bits = new Uint32Array(f32.buffer)

function room (n: number): void {
  if (at + n <= out.length) return
  const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, at + n))
  out.copy(bigger, 0, 0, at)
  out = bigger
}

function head (major: number, n: number): void {
  room(9)
  const m = major << 5
  if (n < 24) out[at++] = m | n
  else if (n <= 0xff) { out[at++] = m | 24; out[at++] = n }
  else if (n <= 0xffff) { out[at++] = m | 25; at = out.writeUInt16BE(n, at) }
  else if (n <= 0xffffffff) { out[at++] = m | 26; at = out.writeUInt32BE(n, at) }
  else { out[at++] = m | 27; at = out.writeUInt32BE(Math.floor(n / 0x100000000), at); at = out.writeUInt32BE(n >>> 0, at) }
}

function label (l: number): void { room(1); out[at++] = l < 0 ? 0x20 | (-1 - l) : l }

function text (s: string): void {
  const n = s.length
  let ascii = n <= 64
  for (let i = 0; ascii && i < n; i++) if (s.charCodeAt(i) >= 0x80) ascii = false
  if (ascii) {
    head(3, n)
    room(n)
    for (let i = 0; i < n; i++) out[at++] = s.charCodeAt(i)
    return
  }
  const len = Buffer.byteLength(s, 'utf8')
  head(3, len)
  room(len)
  at += out.write(s, at, 'utf8')
}

/** Half-precision bits when `v` is exactly a normal half-float (RFC 8949 §4.2.2), else -1. */
function halfBits (v: number): number {
  f32[0] = v
  if (f32[0] !== v) return -1
  const bits = f32bits[0]!
  const exp = ((bits >>> 23) & 0xff) - 127
  const mant = bits & 0x7fffff
  if (exp < -14 || exp > 15 || (mant & 0x1fff) !== 0) return -1
  return ((bits >>> 16) & 0x8000) | ((exp + 15) << 10) | (mant >>> 13)
}

function number (v: number | bigint, field: string, float = false): void {
  if (typeof v === 'bigint') {
    room(9)
    const neg = v < 0n
    out[at++] = neg ? 0x3b : 0x1b
    at = out.writeBigUInt64BE(neg ? -1n - v : v, at)
    return
  }
  if (!Number.isFinite(v)) throw new Lwm2mFormatError('VALUE_TYPE', `SenML "${field}" must be a finite number, not ${v}`)
  if (!float && Number.isSafeInteger(v)) { if (v >= 0) head(0, v); else head(1, -1 - v); return }
  room(9)
  const h = halfBits(v)
  if (h >= 0) { out[at++] = 0xf9; at = out.writeUInt16BE(h, at) } else if (Math.fround(v) === v) { out[at++] = 0xfa; at = out.writeFloatBE(v, at) } else { out[at++] = 0xfb; at = out.writeDoubleBE(v, at) }
}

function fieldCount (r: SenmlRecord): number {
  return (r.bn !== undefined ? 1 : 0) + (r.bt !== undefined ? 1 : 0) + (r.bu !== undefined ? 1 : 0) + (r.bv !== undefined ? 1 : 0) +
    (r.bs !== undefined ? 1 : 0) + (r.bver !== undefined ? 1 : 0) + (r.n !== undefined ? 1 : 0) + (r.u !== undefined ? 1 : 0) +
    (r.t !== undefined ? 1 : 0) + (r.ut !== undefined ? 1 : 0) + (r.v !== undefined ? 1 : 0) + (r.vs !== undefined ? 1 : 0) +
    (r.vb !== undefined ? 1 : 0) + (r.vd !== undefined ? 1 : 0) + (r.vlo !== undefined ? 1 : 0) + (r.s !== undefined ? 1 : 0)
}

function record (r: SenmlRecord): void {
  head(5, fieldCount(r))
  if (r.bn !== undefined) { label(-2); text(r.bn) }
  if (r.bt !== undefined) { label(-3); number(r.bt, 'bt') }
  if (r.bu !== undefined) { label(-4); text(r.bu) }
  if (r.bv !== undefined) { label(-5); number(r.bv, 'bv') }
  if (r.bs !== undefined) { label(-6); number(r.bs, 'bs') }
  if (r.bver !== undefined) { label(-1); number(r.bver, 'bver') }
  if (r.n !== undefined) { label(0); text(r.n) }
  if (r.u !== undefined) { label(1); text(r.u) }
  if (r.t !== undefined) { label(6); number(r.t, 't') }
  if (r.ut !== undefined) { label(7); number(r.ut, 'ut') }
  if (r.v !== undefined) { label(2); number(r.v, 'v', r.float === true) }
  if (r.vs !== undefined) { label(3); text(r.vs) }
  if (r.vb !== undefined) { label(4); room(1); out[at++] = r.vb ? 0xf5 : 0xf4 }
  if (r.vd !== undefined) { label(8); head(2, r.vd.length); room(r.vd.length); out.set(r.vd, at); at += r.vd.length }
  if (r.vlo !== undefined) { text('vlo'); text(r.vlo) }
  if (r.s !== undefined) { label(5); number(r.s, 's') }
}

export function encodeSenmlCbor (records: readonly SenmlRecord[]): Buffer {
  at = 0
  head(4, records.length)
  for (let i = 0; i < records.length; i++) { checkOneValue(records[i]!, i); record(records[i]!) }
  const result = Buffer.allocUnsafe(at)
  out.copy(result, 0, 0, at)
  return result
}

// ---- decoder: module-level cursor (decoding is synchronous, so one cursor is enough) ----

const EMPTY = Buffer.alloc(0)
let B: Buffer = EMPTY
let P = 0
let major = 0
let info = 0 // the head's additional information (RFC 8949 §3): 25/26/27 mark half/single/double floats in major 7
let arg = 0 // the head's argument; -1 for indefinite length
let argBig: bigint | undefined // set when a 64-bit argument exceeds 2^53

function fail (reason: Lwm2mFormatReason, message: string): never {
  throw new Lwm2mFormatError(reason, `${message} (at byte ${P})`)
}

function need (n: number): void { if (P + n > B.length) fail('CBOR_TRUNCATED', `payload ends inside a CBOR item needing ${n} more bytes`) }

function readHead (): number {
  need(1)
  const ib = B[P++]!
  major = ib >> 5
  const ai = ib & 31
  info = ai
  argBig = undefined
  if (ai < 24) arg = ai
  else if (ai === 24) { need(1); arg = B[P++]! } else if (ai === 25) { need(2); arg = B.readUInt16BE(P); P += 2 } else if (ai === 26) { need(4); arg = B.readUInt32BE(P); P += 4 } else if (ai === 27) {
    need(8)
    const hi = B.readUInt32BE(P)
    arg = hi * 0x100000000 + B.readUInt32BE(P + 4)
    if (hi > 0x1fffff) argBig = B.readBigUInt64BE(P)
    P += 8
  } else if (ai === 31 && major >= 2 && major !== 6) arg = -1
  else fail('CBOR_UNSUPPORTED', `reserved or invalid CBOR additional information ${ai} for major type ${major}`)
  return major
}

function isBreak (): boolean {
  need(1)
  if (B[P] !== 0xff) return false
  P++
  return true
}

function readString (m: 2 | 3): Buffer | string {
  if (major !== m) fail('SENML_BAD_FIELD', `expected a CBOR ${m === 3 ? 'text' : 'byte'} string, got major type ${major}`)
  if (arg >= 0) {
    need(arg)
    const s = P
    P += arg
    return m === 3 ? decodeUtf8(B, s, P) : Buffer.from(B.subarray(s, P))
  }
  const chunks: Buffer[] = [] // indefinite length: definite chunks of the same type until "break" (RFC 8949 §3.2.3)
  while (!isBreak()) {
    readHead()
    if (major !== m || arg < 0) fail('CBOR_UNSUPPORTED', 'an indefinite string chunk must be a definite string of the same type')
    need(arg)
    chunks.push(B.subarray(P, P += arg))
  }
  const all = Buffer.concat(chunks)
  return m === 3 ? decodeUtf8(all, 0, all.length) : all
}

function readNumber (): number | bigint {
  if (major === 0) return argBig ?? arg
  if (major === 1) return argBig !== undefined ? -1n - argBig : -1 - arg
  if (major === 7 && info >= 25 && info <= 27) {
    const v = info === 25 ? half(arg) : info === 26 ? B.readFloatBE(P - 4) : B.readDoubleBE(P - 8)
    if (!Number.isFinite(v)) fail('SENML_BAD_FIELD', `a SenML number must be finite, not ${v}`)
    return v
  }
  return fail('SENML_BAD_FIELD', `expected a CBOR number, got major type ${major}`)
}

function half (h: number): number {
  const exp = (h >> 10) & 0x1f
  const mant = h & 0x3ff
  const v = exp === 0 ? mant * 2 ** -24 : exp === 31 ? (mant === 0 ? Infinity : NaN) : (mant + 1024) * 2 ** (exp - 25)
  return (h & 0x8000) !== 0 ? -v : v
}

function skipItem (depth: number): void {
  if (depth > 8) fail('CBOR_UNSUPPORTED', 'CBOR nested too deeply')
  readHead()
  if (major === 6) fail('CBOR_UNSUPPORTED', 'CBOR tags are not used by SenML')
  if (major === 7 && arg < 0) fail('CBOR_UNSUPPORTED', 'a CBOR "break" outside an indefinite-length item')
  if (major === 2 || major === 3) {
    if (arg >= 0) { need(arg); P += arg } else readString(major)
    return
  }
  if (major === 4 || major === 5) {
    const items = major === 5 ? 2 : 1
    const n = arg * items // read before the nested heads overwrite `arg`
    if (n >= 0) { for (let i = 0; i < n; i++) skipItem(depth + 1) } else while (!isBreak()) for (let i = 0; i < items; i++) skipItem(depth + 1)
  }
}

function readRecord (index: number): SenmlRecord {
  readHead()
  if (major !== 5) fail('SENML_BAD_RECORD', `record ${index} is CBOR major type ${major}, not a map`)
  const r: SenmlRecord = {}
  const count = arg
  for (let i = 0; count < 0 ? !isBreak() : i < count; i++) {
    const km = readHead()
    let code: number | undefined
    if (km === 0) code = arg
    else if (km === 1) code = -1 - arg
    else if (km === 3) {
      const key = readString(3) as string
      code = TEXT_LABELS.get(key)
      if (code === undefined && key.endsWith('_')) throw new Lwm2mFormatError('SENML_MUST_UNDERSTAND', `record ${index}: must-understand field "${key}" is not supported`)
    } else return fail('CBOR_BAD_KEY', `record ${index}: a label is an integer or text, not major type ${km}`)
    if (code === undefined || code < -6 || (code > 8 && code !== VLO)) { skipItem(0); continue }
    const vm = readHead()
    let dup = false
    switch (code) {
      case -2: dup = r.bn !== undefined; r.bn = readString(3) as string; break
      case -3: dup = r.bt !== undefined; r.bt = Number(readNumber()); break
      case 0: dup = r.n !== undefined; r.n = readString(3) as string; break
      case 2: dup = r.v !== undefined; r.v = readNumber(); break
      case 3: dup = r.vs !== undefined; r.vs = readString(3) as string; break
      case 6: dup = r.t !== undefined; r.t = Number(readNumber()); break
      case 4:
        if (vm !== 7 || info >= 24 || (arg !== 20 && arg !== 21)) fail('SENML_BAD_FIELD', `record ${index}: "vb" must be true or false`)
        dup = r.vb !== undefined
        r.vb = arg === 21
        break
      case 8: dup = r.vd !== undefined; r.vd = readString(2) as Buffer; break
      case VLO: dup = r.vlo !== undefined; r.vlo = readString(3) as string; break
      case -1: dup = r.bver !== undefined; r.bver = checkSenmlVersion(Number(readNumber()), index); break
      case -4: dup = r.bu !== undefined; r.bu = readString(3) as string; break
      case -5: dup = r.bv !== undefined; r.bv = Number(readNumber()); break
      case -6: dup = r.bs !== undefined; r.bs = Number(readNumber()); break
      case 1: dup = r.u !== undefined; r.u = readString(3) as string; break
      case 5: dup = r.s !== undefined; r.s = Number(readNumber()); break
      case 7: dup = r.ut !== undefined; r.ut = Number(readNumber()); break
    }
    if (dup) fail('SENML_BAD_RECORD', `record ${index}: label ${code === VLO ? 'vlo' : code} appears twice`)
  }
  checkOneValue(r, index)
  return r
}

export function decodeSenmlCbor (payload: Uint8Array): SenmlRecord[] {
  B = asBuffer(payload)
  P = 0
  try {
    if (B.length === 0) throw new Lwm2mFormatError('EMPTY_PAYLOAD', 'an empty SenML CBOR payload')
    readHead()
    if (major !== 4) fail('SENML_NOT_ARRAY', `a SenML pack is a CBOR array, not major type ${major}`)
    const records: SenmlRecord[] = []
    const count = arg
    for (let i = 0; count < 0 ? !isBreak() : i < count; i++) records.push(readRecord(i))
    if (P !== B.length) fail('CBOR_TRAILING', `${B.length - P} bytes after the SenML pack`)
    return records
  } finally {
    B = EMPTY // do not keep the datagram alive
  }
}
