// The observations table: one row per observed resource value of a traced notification, keyed by (endpoint, seq,
// path). A record read twice (a CON retransmission published twice, a batch replayed after a rebalance) hits the
// key and adds nothing (ON CONFLICT DO NOTHING), so the table holds each value once with its first arrival's
// received_at, and its row count per device is what was delivered.
import type pg from 'pg'
import type { StoreItem } from '../store.ts'
import type { BatchTable, Parsed } from './postgres-batch-store.ts'

export const observationsTable = `CREATE TABLE IF NOT EXISTS observations (
  endpoint text NOT NULL,
  seq bigint NOT NULL,
  sent_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  path text NOT NULL,
  value jsonb NOT NULL,
  PRIMARY KEY (endpoint, seq, path)
)`

// Duplicates inside one statement are fine too: DO NOTHING (unlike DO UPDATE) may meet a key twice.
const insert = `INSERT INTO observations (endpoint, seq, sent_at, received_at, path, value)
SELECT c.endpoint, c.seq, to_timestamp(c.sent_ms / 1000.0), to_timestamp(c.received_ms / 1000.0), c.path, c.value
FROM jsonb_to_recordset($1::jsonb) AS c(endpoint text, seq bigint, sent_ms float8, received_ms float8, path text, value jsonb)
ON CONFLICT DO NOTHING`

export interface ObservationRow {
  endpoint: string
  seq: number
  sent_ms: number
  received_ms: number
  path: string
  value: string | number | boolean
}

const maxTimeMs = 8.64e15

/** One row per observed value of the item, or why it cannot be stored. */
export function observationRows (item: StoreItem): Parsed<ObservationRow[]> {
  if (item.kind !== 'observation') return { reason: 'a registration record (this store reads observations)' }
  const o = item.observation
  if (typeof o.endpoint !== 'string' || o.endpoint === '') return { reason: 'no endpoint (ep)' }
  // The key needs the device's sequence number: an untraced notification cannot be told from its duplicates.
  if (o.trace === undefined) return { reason: 'untraced (no sequence number to key it by)' }
  const { seq, sentAtMs } = o.trace
  if (!Number.isSafeInteger(seq) || seq < 0) return { reason: 'sequence number is not a whole number >= 0' }
  if (!Number.isFinite(sentAtMs) || Math.abs(sentAtMs) > maxTimeMs) return { reason: 'send time is not a usable time' }
  const entries = Object.entries(o.values)
  if (entries.length === 0) return { reason: 'no observed value' }
  const rows: ObservationRow[] = []
  for (const [path, value] of entries) {
    // jsonb has no NaN or Infinity, and neither text nor jsonb holds U+0000.
    if (typeof value === 'number' && !Number.isFinite(value)) return { reason: 'a value that is not a finite number' }
    rows.push({ endpoint: o.endpoint, seq, sent_ms: sentAtMs, received_ms: item.receivedAtMs, path, value })
  }
  if (JSON.stringify(rows).includes('\\u0000')) return { reason: 'a NUL character in a text field' }
  return { row: rows }
}

/** Rows are per record (one record, several values); the batch store buffers records. */
export const observationTable: BatchTable<ObservationRow[]> = {
  input: 'observations',
  what: 'observation records',
  parse: observationRows,
  async write (client: pg.PoolClient, records: ReadonlyArray<readonly ObservationRow[]>) {
    await client.query(insert, [JSON.stringify(records.flat())])
  },
}
