// The device registry: one row per endpoint, kept from the registration records of iot.<gw>.registrations (zeelos's
// OrientDB asset sink kept the same registry). NEW registers the device (online; every field it carries), UPDATE
// changes only the fields it carried (the others are null in the record: avro-registrations.ts), DELETE marks it
// offline and records why (expired, or de-registered).
//
// At-least-once delivery replays batches (store.ts), so a record is applied only when its time (lastUp) is not older
// than the row's last_update: a replayed record finds the row as it left it, an older one leaves the row alone.
// Records of one endpoint keep their order (the bridge keys them by endpoint, so they share a partition).
import type pg from 'pg'
import { AvroNames } from '../../lwm2m-server/avro/types.ts'
import type { StoreItem } from '../store.ts'
import type { BatchTable, Parsed } from './postgres-batch-store.ts'

export const devicesTable = `CREATE TABLE IF NOT EXISTS devices (
  endpoint text PRIMARY KEY,
  objects jsonb,
  online boolean NOT NULL,
  registered_at timestamptz,
  last_update timestamptz NOT NULL,
  lifetime integer,
  binding text,
  server_id text,
  offline_reason text CHECK (offline_reason IN ('expired', 'deregistered')),
  last_event text NOT NULL CHECK (last_event IN ('NEW', 'UPDATE', 'DELETE')),
  last_offset bigint
)`

// $1: a JSON array of changes, at most one per endpoint (ON CONFLICT DO UPDATE cannot change a row twice in one
// statement). A field a record did not carry is null and keeps the row's value. A row not there yet is inserted
// from whatever record comes first: the sink may start reading after a device's NEW.
const upsert = `INSERT INTO devices AS d (endpoint, objects, online, registered_at, last_update, lifetime, binding, server_id, offline_reason, last_event, last_offset)
SELECT c.endpoint, c.objects, c.online, to_timestamp(c.registered_ms / 1000.0), to_timestamp(c.time_ms / 1000.0),
       c.lifetime, c.binding, c.server_id, c.offline_reason, c.event, c.kafka_offset
FROM jsonb_to_recordset($1::jsonb) AS c(endpoint text, objects jsonb, online boolean, registered_ms float8, time_ms float8,
     lifetime integer, binding text, server_id text, offline_reason text, event text, kafka_offset bigint)
ON CONFLICT (endpoint) DO UPDATE SET
  objects = COALESCE(excluded.objects, d.objects),
  online = CASE WHEN excluded.last_event = 'UPDATE' THEN d.online ELSE excluded.online END,
  registered_at = COALESCE(excluded.registered_at, d.registered_at),
  last_update = excluded.last_update,
  lifetime = COALESCE(excluded.lifetime, d.lifetime),
  binding = COALESCE(excluded.binding, d.binding),
  server_id = COALESCE(excluded.server_id, d.server_id),
  offline_reason = CASE excluded.last_event WHEN 'NEW' THEN NULL WHEN 'DELETE' THEN excluded.offline_reason ELSE d.offline_reason END,
  last_event = excluded.last_event,
  last_offset = excluded.last_offset
WHERE excluded.last_update >= d.last_update`

/** One record as a row change; a field left out was not carried and keeps the row's value. */
export interface DeviceChange {
  endpoint: string
  event: 'NEW' | 'UPDATE' | 'DELETE'
  /** The record's lastUp, epoch ms. */
  time_ms: number
  /** true for NEW, and for an UPDATE of a device the registry does not know yet (it is registered). */
  online: boolean
  objects?: unknown
  registered_ms?: number
  lifetime?: number
  binding?: string
  server_id?: string
  offline_reason?: 'expired' | 'deregistered'
  /** The record's Kafka offset, as text (JSON numbers lose precision past 2^53). */
  kafka_offset?: string
}

/** 0001-01-01 .. the end of JavaScript's Date range: inside PostgreSQL's timestamptz range. */
const minTimeMs = -62_135_596_800_000
const maxTimeMs = 8.64e15

function isTime (v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= minTimeMs && v <= maxTimeMs
}

/** A registration record (as registrationCodec decodes it) as a change, or why it cannot be used. */
export function deviceChange (record: unknown, offset?: string): Parsed<DeviceChange> {
  if (typeof record !== 'object' || record === null) return { reason: 'not a registration record' }
  const { kind, body } = record as { kind?: unknown, body?: unknown }
  const branch = kind === 'NEW' ? AvroNames.AvroRegistrationNew : kind === 'UPDATE' ? AvroNames.AvroRegistrationUpdate : kind === 'DELETE' ? AvroNames.AvroRegistrationDelete : undefined
  if (branch === undefined) return { reason: `unknown kind ${JSON.stringify(kind)} (expected NEW, UPDATE or DELETE)` }
  const b: unknown = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[branch] : undefined
  if (typeof b !== 'object' || b === null) return { reason: `${kind} record without its ${branch.split('.').pop()} body` }
  const f = b as Record<string, unknown>
  if (typeof f.ep !== 'string' || f.ep === '') return { reason: 'no endpoint (ep)' }
  if (!isTime(f.lastUp)) return { reason: 'no usable time (lastUp)' }
  const change: DeviceChange = { endpoint: f.ep, event: kind as DeviceChange['event'], time_ms: f.lastUp, online: kind !== 'DELETE' }
  if (offset !== undefined && /^\d{1,18}$/.test(offset)) change.kafka_offset = offset
  if (typeof f.serverId === 'string') change.server_id = f.serverId
  if (kind === 'DELETE') {
    change.offline_reason = f.expired === true ? 'expired' : 'deregistered'
  } else {
    if (Array.isArray(f.links)) change.objects = f.links
    if (f.lt !== null && f.lt !== undefined) {
      if (typeof f.lt !== 'number' || !Number.isInteger(f.lt) || f.lt < 0 || f.lt > 0x7fffffff) return { reason: 'lifetime (lt) is not an integer of 0..2^31-1' }
      change.lifetime = f.lt
    }
    if (typeof f.bnd === 'string') change.binding = f.bnd
    if (kind === 'NEW' && isTime(f.regDate)) change.registered_ms = f.regDate
  }
  // PostgreSQL text and jsonb cannot hold U+0000; Avro strings can.
  if (JSON.stringify(change).includes('\\u0000')) return { reason: 'a NUL character in a text field' }
  return { row: change }
}

/**
 * The batch as statements that touch each endpoint once: round i holds every endpoint's i-th change, so each
 * endpoint's changes apply in their order, and a batch of one change per device is one statement.
 */
export function rounds (batch: readonly DeviceChange[]): DeviceChange[][] {
  const out: DeviceChange[][] = []
  const seen = new Map<string, number>()
  for (const c of batch) {
    const i = seen.get(c.endpoint) ?? 0
    seen.set(c.endpoint, i + 1)
    ;(out[i] ??= []).push(c)
  }
  return out
}

export const registryTable: BatchTable<DeviceChange> = {
  input: 'registrations',
  what: 'registration records',
  parse (item: StoreItem) {
    if (item.kind !== 'registration') return { reason: 'an observation record (this store reads registrations)' }
    return deviceChange(item.record, item.offset)
  },
  async write (client: pg.PoolClient, rows: readonly DeviceChange[]) {
    for (const round of rounds(rows)) await client.query(upsert, [JSON.stringify(round)])
  },
}
