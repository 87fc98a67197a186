// The `postgres` sink store: PostgreSQL (platform/datastores/postgres.ts) as the device registry, table `devices`
// from the registration records (postgres-registry.ts), or, with `observations: true`, the observations, table
// `observations` (postgres-observations.ts). A store reads one input, so a run that wants both has two sinks.
// Batching, transactions, retries and rejected records: postgres-batch-store.ts.
//
// options: { url: postgres://[user@]host:port/database (required), observations?: boolean (default false),
//            batchSize?: records per transaction (default 1000) }
import { InvalidConfigError, ServiceFailedError } from '../../../lib/errors.ts'
import type { SinkStore, StoreContext, StoreFactory } from '../store.ts'
import { PostgresBatchStore } from './postgres-batch-store.ts'
import type { BatchTable } from './postgres-batch-store.ts'
import { connectionConfig, describeUrl, openPool, retriable, sqlState, withRetries } from './postgres-client.ts'
import type { RetryPolicy } from './postgres-client.ts'
import { observationTable, observationsTable } from './postgres-observations.ts'
import { devicesTable, registryTable } from './postgres-registry.ts'

export const defaultBatchSize = 1000
const optionNames = ['url', 'observations', 'batchSize']

export interface PostgresStoreOptions {
  url: string
  observations: boolean
  batchSize: number
}

/** Every problem at once, each naming its field (house rule 2, docs/architecture.md). */
export function parsePostgresOptions (options: Record<string, unknown>): PostgresStoreOptions {
  const problems = Object.keys(options).filter(k => !optionNames.includes(k))
    .map(k => `sink.options.${k}: unknown option of the postgres sink (allowed: ${optionNames.join(', ')})`)
  const { url, observations = false, batchSize = defaultBatchSize } = options
  if (url === undefined) problems.push('sink.options.url: required, e.g. postgres://127.0.0.1:5432/fleetlab')
  else if (typeof url !== 'string' || connectionConfig(url) === undefined) problems.push(`sink.options.url: expected postgres://host:port/database, got ${JSON.stringify(url)}`)
  if (typeof observations !== 'boolean') problems.push(`sink.options.observations: expected true or false, got ${JSON.stringify(observations)}`)
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1) {
    problems.push(`sink.options.batchSize: expected a whole number >= 1, got ${JSON.stringify(batchSize)}`)
  }
  if (problems.length > 0) throw new InvalidConfigError(problems)
  return { url: url as string, observations: observations as boolean, batchSize: batchSize as number }
}

/** A test may shorten the retries (the server stopped on purpose). */
export interface OpenOptions { retry?: RetryPolicy }

async function openStore<R> (o: PostgresStoreOptions, schema: string, table: BatchTable<R>, ctx: StoreContext, open: OpenOptions): Promise<SinkStore> {
  const pool = openPool(connectionConfig(o.url)!)
  const where = describeUrl(o.url)
  try {
    // Replicas of one sink create the table at the same moment; CREATE TABLE IF NOT EXISTS can still lose that race
    // (23505 on the catalog, or 42P07): the next statement sees the table.
    await withRetries(() => pool.query(schema).catch((err: unknown) => {
      if (sqlState(err) === '23505' || sqlState(err) === '42P07') return pool.query(schema)
      throw err
    }), (err, attempt) => ctx.event('sink.postgres.retry', `try ${attempt} of creating the table at ${where} failed: ${(err as Error).message}`), open.retry)
  } catch (err) {
    await pool.end().catch(() => {})
    throw new ServiceFailedError('postgres', `cannot create the ${table.input === 'registrations' ? 'devices' : 'observations'} table at ${where}: ${(err as Error).message}`,
      { cause: err, retriable: retriable(err), hint: 'is the postgres datastore running? (fleetlab platform status)' })
  }
  return new PostgresBatchStore(pool, table, { batchSize: o.batchSize, where, ...(open.retry !== undefined ? { retry: open.retry } : {}) }, ctx)
}

/** The registry store (input 'registrations', table devices), whatever `observations` says. */
export async function createPostgresRegistryStore (options: Record<string, unknown>, ctx: StoreContext, open: OpenOptions = {}): Promise<SinkStore> {
  const o = parsePostgresOptions(options)
  return await openStore(o, devicesTable, registryTable, ctx, open)
}

/** The observations store (input 'observations', table observations), whatever `observations` says. */
export async function createPostgresObservationStore (options: Record<string, unknown>, ctx: StoreContext, open: OpenOptions = {}): Promise<SinkStore> {
  const o = parsePostgresOptions(options)
  return await openStore(o, observationsTable, observationTable, ctx, open)
}

/** `sink.kind: postgres`: the registry, or the observations with `observations: true`. */
export const createPostgresStore: StoreFactory = async (options, ctx) => {
  const o = parsePostgresOptions(options)
  return o.observations ? await openStore(o, observationsTable, observationTable, ctx, {}) : await openStore(o, devicesTable, registryTable, ctx, {})
}
