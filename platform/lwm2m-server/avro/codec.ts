// Typed Avro encode/decode for the records our LWM2M-Kafka bridge publishes and consumes, byte-compatible with the
// zeelos schemas (same names, namespaces and field order), so a zeelos consumer reads our records and we read its
// management requests. Decoding never trusts its input: a malformed buffer is an AvroError, never a crash or a hang.
import type { Type } from 'avsc'
import { AvroError } from './errors.ts'
import { fingerprint64, loadSchemas } from './schemas.ts'
import { AvroNames } from './types.ts'
import type { AvroKey, AvroRegistrationResponse, AvroRequest, AvroResponse, AvroResponseObserve } from './types.ts'
import { checkWire } from './wire-check.ts'

export interface RecordCodec<T> {
  /** Full name of the record type. */
  readonly name: string
  readonly type: Type
  /** CRC-64-AVRO of the schema's Parsing Canonical Form, 16 hex digits: equal fingerprints, same wire format. */
  readonly fingerprint: string
  /** Avro binary encoding (no framing). Throws AvroError naming the fields that do not fit the schema. */
  encode (value: T): Buffer
  /** Throws AvroError, with the schema and `topic` in its message, for anything that is not one such record. */
  decode (buf: Buffer, topic?: string): T
}

const schemas = loadSchemas()

function invalidFields (type: Type, value: unknown): string[] {
  const problems: string[] = []
  type.isValid(value, {
    errorHook: (path, val, t) => {
      problems.push(`${path.length > 0 ? path.join('.') : '(record)'}: ${JSON.stringify(val) ?? String(val)} is not a valid ${t.name ?? t.typeName}`)
    },
  })
  return problems
}

function recordCodec<T> (name: string, check?: (value: T) => string | undefined): RecordCodec<T> {
  const type = schemas.registry[name]
  if (type === undefined) throw new Error(`Avro type ${name} is not defined by the schema files`)
  return {
    name,
    type,
    fingerprint: fingerprint64(type).toString(16).padStart(16, '0'),
    encode (value: T): Buffer {
      const problem = check?.(value)
      if (problem !== undefined) throw new AvroError(name, `cannot encode: ${problem}`)
      try {
        return type.toBuffer(value)
      } catch (err) {
        const fields = invalidFields(type, value)
        throw new AvroError(name, `cannot encode: ${fields.length > 0 ? fields.join('; ') : String(err)}`, { cause: err })
      }
    },
    decode (buf: Buffer, topic?: string): T {
      if (!Buffer.isBuffer(buf)) throw new AvroError(name, `expected a Buffer to decode, got ${typeof buf}`, { topic })
      const malformed = checkWire(type, buf)
      if (malformed !== undefined) throw new AvroError(name, `malformed record: ${malformed}`, { topic })
      let value: T
      try {
        value = type.fromBuffer(buf) as T
      } catch (err) {
        throw new AvroError(name, `malformed record: ${err instanceof Error ? err.message : String(err)}`, { topic, cause: err })
      }
      const problem = check?.(value)
      if (problem !== undefined) throw new AvroError(name, `malformed record: ${problem}`, { topic })
      return value
    },
  }
}

const registrationBodies = {
  NEW: AvroNames.AvroRegistrationNew,
  UPDATE: AvroNames.AvroRegistrationUpdate,
  DELETE: AvroNames.AvroRegistrationDelete,
} as const

/** The schema allows any kind with any body; zeelos always pairs them, and our type relies on it. */
function registrationKindMatchesBody (value: AvroRegistrationResponse): string | undefined {
  const expected = registrationBodies[value.kind] as string | undefined
  const branch = value.body === null || typeof value.body !== 'object' ? undefined : Object.keys(value.body)[0]
  return expected === undefined || branch === expected ? undefined : `kind ${value.kind} with a ${branch ?? 'missing'} body`
}

/** The record key of every topic: { ep } (io.zeelos.leshan.avro.AvroKey). */
export const keyCodec: RecordCodec<AvroKey> = recordCodec(AvroNames.AvroKey)
/** iot.<gw>.registrations: NEW, UPDATE, DELETE. */
export const registrationCodec: RecordCodec<AvroRegistrationResponse> = recordCodec(AvroNames.AvroRegistrationResponse, registrationKindMatchesBody)
/** iot.<gw>.observations: one notification. */
export const observationCodec: RecordCodec<AvroResponseObserve> = recordCodec(AvroNames.AvroResponseObserve)
/** iot.<gw>.management.req: a command for a device. */
export const requestCodec: RecordCodec<AvroRequest> = recordCodec(AvroNames.AvroRequest)
/** iot.<gw>.management.rep: the reply, with the request's ticket. */
export const responseCodec: RecordCodec<AvroResponse> = recordCodec(AvroNames.AvroResponse)

export const recordCodecs = {
  key: keyCodec,
  registration: registrationCodec,
  observation: observationCodec,
  request: requestCodec,
  response: responseCodec,
} as const

export function encodeKey (ep: string): Buffer {
  return keyCodec.encode({ ep })
}

export function decodeKey (buf: Buffer, topic?: string): string {
  return keyCodec.decode(buf, topic).ep
}

/**
 * Confluent Schema Registry framing (magic byte 0, 4-byte big-endian schema id, Avro binary): what zeelos's
 * KafkaAvroSerializer wrote and what Kafka Connect's AvroConverter expects. Our topics carry plain Avro unless a
 * registry is configured; these two helpers are the whole difference.
 */
export function confluentFrame (schemaId: number, avro: Buffer): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0x7fffffff) throw new RangeError(`schema id ${schemaId} is not a positive int32`)
  const framed = Buffer.allocUnsafe(5 + avro.length)
  framed[0] = 0
  framed.writeUInt32BE(schemaId, 1)
  avro.copy(framed, 5)
  return framed
}

export function confluentUnframe (buf: Buffer, topic?: string): { schemaId: number, avro: Buffer } {
  if (buf.length < 5 || buf[0] !== 0) {
    throw new AvroError('confluent-wire-format', `not Schema Registry framing (${buf.length} bytes, first byte ${buf[0] ?? 'none'})`, { topic })
  }
  return { schemaId: buf.readUInt32BE(1), avro: buf.subarray(5) }
}
