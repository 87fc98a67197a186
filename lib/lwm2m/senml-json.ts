// SenML JSON, content format 110 (RFC 8428 §5, LWM2M 1.1 §7.4.4). The encoder writes the JSON text directly (no
// intermediate objects, no JSON.stringify of the pack); the decoder uses the native JSON parser, then checks every
// field strictly: wrong JSON types, non-finite numbers, bad base64 in "vd", several values in one record, unknown
// must-understand fields (names ending in "_", RFC 8428 §4.4) and versions above 10 are rejected with a reason.
// JSON.parse reads numbers as doubles, so integers of 16 or more digits are quoted before parsing and read back
// exactly (64-bit integer and unsigned resources survive SenML JSON).
import { Lwm2mFormatError } from './errors.ts'
import { asBuffer, decodeBase64, decodeUtf8 } from './codec-util.ts'
import { normalizeInteger } from './model.ts'
import { checkOneValue } from './senml.ts'
import type { SenmlRecord } from './senml.ts'

/** RFC 8428 §4.4: the version this implementation understands (the default, 10). */
export const SENML_VERSION = 10

function num (v: number | bigint, field: string): string {
  if (typeof v === 'bigint') return v.toString()
  if (!Number.isFinite(v)) throw new Lwm2mFormatError('VALUE_TYPE', `SenML "${field}" must be a finite number, not ${v}`)
  return String(v)
}

function str (v: string): string { return JSON.stringify(v) }

/** Fields in a fixed order: base fields, name, unit, time, value, sum. */
export function formatSenmlJsonRecord (r: SenmlRecord): string {
  let s = '{'
  if (r.bn !== undefined) s += `"bn":${str(r.bn)},`
  if (r.bt !== undefined) s += `"bt":${num(r.bt, 'bt')},`
  if (r.bu !== undefined) s += `"bu":${str(r.bu)},`
  if (r.bv !== undefined) s += `"bv":${num(r.bv, 'bv')},`
  if (r.bs !== undefined) s += `"bs":${num(r.bs, 'bs')},`
  if (r.bver !== undefined) s += `"bver":${num(r.bver, 'bver')},`
  if (r.n !== undefined) s += `"n":${str(r.n)},`
  if (r.u !== undefined) s += `"u":${str(r.u)},`
  if (r.t !== undefined) s += `"t":${num(r.t, 't')},`
  if (r.ut !== undefined) s += `"ut":${num(r.ut, 'ut')},`
  if (r.v !== undefined) s += `"v":${num(r.v, 'v')},`
  if (r.vs !== undefined) s += `"vs":${str(r.vs)},`
  if (r.vb !== undefined) s += `"vb":${r.vb ? 'true' : 'false'},`
  if (r.vd !== undefined) s += `"vd":"${asBuffer(r.vd).toString('base64url')}",`
  if (r.vlo !== undefined) s += `"vlo":${str(r.vlo)},`
  if (r.s !== undefined) s += `"s":${num(r.s, 's')},`
  return s.length === 1 ? '{}' : `${s.slice(0, -1)}}`
}

export function encodeSenmlJson (records: readonly SenmlRecord[]): Buffer {
  let s = '['
  for (let i = 0; i < records.length; i++) {
    checkOneValue(records[i]!, i)
    s += i === 0 ? formatSenmlJsonRecord(records[i]!) : `,${formatSenmlJsonRecord(records[i]!)}`
  }
  return Buffer.from(`${s}]`, 'utf8')
}

export function decodeSenmlJson (payload: Uint8Array): SenmlRecord[] {
  const buf = asBuffer(payload)
  if (buf.length === 0) throw new Lwm2mFormatError('EMPTY_PAYLOAD', 'an empty SenML JSON payload')
  const text = decodeUtf8(buf, 0, buf.length)
  let parsed: unknown
  try {
    parsed = JSON.parse(quoteLongIntegers(text))
  } catch (err) {
    throw new Lwm2mFormatError('SENML_SYNTAX', `not JSON: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (!Array.isArray(parsed)) throw new Lwm2mFormatError('SENML_NOT_ARRAY', 'a SenML pack is a JSON array of records')
  const out: SenmlRecord[] = new Array(parsed.length)
  for (let i = 0; i < parsed.length; i++) out[i] = toRecord(parsed[i], i)
  return out
}

function toRecord (o: unknown, i: number): SenmlRecord {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    throw new Lwm2mFormatError('SENML_BAD_RECORD', `record ${i} is ${Array.isArray(o) ? 'an array' : typeof o}, not an object`)
  }
  const src = o as Record<string, unknown>
  const r: SenmlRecord = {}
  for (const key in src) {
    const v = src[key]
    switch (key) {
      case 'bn': r.bn = text(v, key, i); break
      case 'bu': r.bu = text(v, key, i); break
      case 'n': r.n = text(v, key, i); break
      case 'u': r.u = text(v, key, i); break
      case 'vs': r.vs = text(v, key, i); break
      case 'vlo': r.vlo = text(v, key, i); break
      case 'bt': r.bt = number(v, key, i); break
      case 'bv': r.bv = number(v, key, i); break
      case 'bs': r.bs = number(v, key, i); break
      case 't': r.t = number(v, key, i); break
      case 'ut': r.ut = number(v, key, i); break
      case 'v': r.v = value(v, i); break
      case 's': r.s = number(v, key, i); break
      case 'bver': r.bver = checkSenmlVersion(number(v, key, i), i); break
      case 'vb':
        if (typeof v !== 'boolean') throw field(key, i, 'a boolean')
        r.vb = v
        break
      case 'vd': r.vd = decodeBase64(text(v, key, i), 'SENML_BAD_FIELD'); break
      default:
        if (key.endsWith('_')) throw new Lwm2mFormatError('SENML_MUST_UNDERSTAND', `record ${i}: must-understand field "${key}" is not supported`)
    }
  }
  checkOneValue(r, i)
  return r
}

function text (v: unknown, key: string, i: number): string {
  if (typeof v !== 'string') throw field(key, i, 'a string')
  return v
}

function number (v: unknown, key: string, i: number): number {
  const long = longInteger(v)
  if (long !== undefined) return Number(long)
  if (typeof v !== 'number' || !Number.isFinite(v)) throw field(key, i, 'a finite number')
  return v
}

/** "v" keeps long integers exact: a number when safe, a bigint beyond 2^53. */
function value (v: unknown, i: number): number | bigint {
  const long = longInteger(v)
  return long !== undefined ? normalizeInteger(long) : number(v, 'v', i)
}

/** The integer behind a marked string (quoteLongIntegers); a sender can forge the marker, so the digits are checked. */
function longInteger (v: unknown): bigint | undefined {
  if (typeof v !== 'string' || !v.startsWith(LONG)) return undefined
  const digits = v.slice(LONG.length)
  return /^-?[0-9]{1,400}$/.test(digits) ? BigInt(digits) : undefined
}

const LONG = '\u0000long:' // a NUL-prefixed marker; in the JSON text it is written escaped (LONG_IN_JSON)
const LONG_IN_JSON = '\\u0000long:'
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39

/** Wraps integer tokens of 16+ digits outside strings in a marked string, so JSON.parse cannot round them. */
function quoteLongIntegers (text: string): string {
  if (!/[0-9]{16}/.test(text)) return text
  let out = ''
  let last = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
      continue
    }
    if (c === 0x22) { inString = true; continue }
    if (c !== 0x2d && !isDigit(c)) continue
    const digits = c === 0x2d ? i + 1 : i
    let j = digits
    while (j < text.length && isDigit(text.charCodeAt(j))) j++
    const next = text.charCodeAt(j)
    const leadingZero = text.charCodeAt(digits) === 0x30 && j - digits > 1 // invalid JSON: left for JSON.parse to reject
    if (j - digits >= 16 && !leadingZero && next !== 0x2e && next !== 0x65 && next !== 0x45) {
      out += `${text.slice(last, i)}"${LONG_IN_JSON}${text.slice(i, j)}"`
      last = j
    }
    i = j - 1
  }
  return out + text.slice(last)
}

export function checkSenmlVersion (v: number, i: number): number {
  if (!Number.isInteger(v) || v < 1) throw field('bver', i, 'a positive integer')
  if (v > SENML_VERSION) throw new Lwm2mFormatError('SENML_MUST_UNDERSTAND', `record ${i}: SenML version ${v} is newer than ${SENML_VERSION}`)
  return v
}

function field (key: string, i: number, expected: string): Lwm2mFormatError {
  return new Lwm2mFormatError('SENML_BAD_FIELD', `record ${i}: "${key}" must be ${expected}`)
}
