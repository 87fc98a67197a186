// The part both postgres stores share: add() turns an item into a row (or a reason it cannot be one) and buffers
// it; flush() writes the buffer in one transaction and resolves once COMMIT returned (store.ts: only then may the
// consumer commit the offsets). A lost connection is retried a bounded number of times, then flush throws
// ServiceFailedError('postgres'); the rows stay buffered, never half written (the transaction rolled back).
//
// A row the server refuses (a data or constraint error the parsing did not foresee) must not stop the sink: the
// batch is written again row by row, each under its own SAVEPOINT in the same transaction, and the refused rows are
// rejected like any unusable record.
import type pg from 'pg'
import { ServiceFailedError } from '../../../lib/errors.ts'
import type { SinkStore, StoreContext, StoreInput, StoreItem } from '../store.ts'
import { defaultRetry, retriable, rowError, sqlState, withRetries } from './postgres-client.ts'
import type { RetryPolicy } from './postgres-client.ts'

/** One buffered row and where its record came from, for the event that rejects it. */
export interface Pending<R> {
  readonly row: R
  readonly source: string
}

export type Parsed<R> = { row: R } | { reason: string }

interface Refusal { reason: string, source: string }

/** What one table of a store knows: how an item becomes a row, and how rows are written. */
export interface BatchTable<R> {
  readonly input: StoreInput
  /** For messages: "registration records". */
  readonly what: string
  /** An item as a row, or why it cannot be one (a short reason without the record's values: it is told once). */
  parse (item: StoreItem): Parsed<R>
  /** Writes rows in the open transaction, in their order. */
  write (client: pg.PoolClient, rows: readonly R[]): Promise<void>
}

export interface BatchStoreOptions {
  batchSize: number
  /** host:port/database, for messages. */
  where: string
  retry?: RetryPolicy
}

export class PostgresBatchStore<R> implements SinkStore {
  readonly name = 'postgres'
  readonly input: StoreInput
  readonly #pool: pg.Pool
  readonly #table: BatchTable<R>
  readonly #options: BatchStoreOptions
  readonly #ctx: StoreContext
  readonly #told = new Set<string>()
  #buffer: Array<Pending<R>> = []
  #rejected = 0
  #writing: Promise<void> = Promise.resolve()
  #closed = false
  /** The last write gave up on the server: the next tries once, not the whole retry policy again (close after a failed flush). */
  #gaveUp = false

  constructor (pool: pg.Pool, table: BatchTable<R>, options: BatchStoreOptions, ctx: StoreContext) {
    this.#pool = pool
    this.#table = table
    this.#options = options
    this.#ctx = ctx
    this.input = table.input
  }

  get rejected (): number { return this.#rejected }

  add (item: StoreItem): Promise<void> | undefined {
    const source = `${item.topic} partition ${item.partition} offset ${item.offset}`
    const parsed = this.#table.parse(item)
    if ('reason' in parsed) {
      this.#reject(parsed.reason, source)
      return undefined
    }
    this.#buffer.push({ row: parsed.row, source })
    // A full buffer: the consumer waits for the write (backpressure) instead of the buffer growing.
    return this.#buffer.length >= this.#options.batchSize ? this.flush() : undefined
  }

  flush (): Promise<void> {
    // One write at a time, in the order the records came.
    const next = this.#writing.then(() => this.#write())
    this.#writing = next.catch(() => {})
    return next
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      await this.flush()
    } finally {
      await this.#pool.end().catch(() => {})
    }
  }

  #reject (reason: string, source: string): void {
    this.#rejected++
    if (this.#told.has(reason)) return
    this.#told.add(reason)
    this.#ctx.event('sink.postgres.rejected', `${source}: ${reason} (told once per reason)`)
  }

  async #write (): Promise<void> {
    if (this.#buffer.length === 0) return
    const batch = this.#buffer
    this.#buffer = []
    const { where } = this.#options
    let refused: Refusal[]
    const policy = this.#options.retry ?? defaultRetry
    try {
      refused = await withRetries(() => this.#transaction(batch),
        (err, attempt) => this.#ctx.event('sink.postgres.retry', `try ${attempt} of writing ${batch.length} ${this.#table.what} to ${where} failed: ${messageOf(err)}`),
        this.#gaveUp ? { ...policy, attempts: 1 } : policy)
      this.#gaveUp = false
    } catch (err) {
      this.#gaveUp = true
      // Not written (rolled back): kept, so a later flush or close tries again; the consumer has not committed them.
      this.#buffer = [...batch, ...this.#buffer]
      throw new ServiceFailedError('postgres', `cannot write ${batch.length} ${this.#table.what} to ${where}: ${messageOf(err)}`,
        { cause: err, retriable: retriable(err), hint: 'is the postgres datastore running? (fleetlab platform status)' })
    }
    // Counted once committed: a try that failed later (and was retried) refused nothing for good.
    for (const r of refused) this.#reject(r.reason, r.source)
  }

  /** The rows the server refused, if it refused any. */
  async #transaction (batch: ReadonlyArray<Pending<R>>): Promise<Refusal[]> {
    const client = await this.#pool.connect()
    let broken = false
    let refused: Refusal[] = []
    try {
      await client.query('BEGIN')
      try {
        await this.#table.write(client, batch.map(p => p.row))
      } catch (err) {
        if (!rowError(err)) throw err
        await client.query('ROLLBACK')
        await client.query('BEGIN')
        refused = await this.#rowByRow(client, batch)
      }
      await client.query('COMMIT')
      return refused
    } catch (err) {
      broken = true
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release(broken)
    }
  }

  async #rowByRow (client: pg.PoolClient, batch: ReadonlyArray<Pending<R>>): Promise<Refusal[]> {
    const refused: Refusal[] = []
    for (const p of batch) {
      await client.query('SAVEPOINT fleetlab_row')
      try {
        await this.#table.write(client, [p.row])
        await client.query('RELEASE SAVEPOINT fleetlab_row')
      } catch (err) {
        if (!rowError(err)) throw err
        await client.query('ROLLBACK TO SAVEPOINT fleetlab_row')
        refused.push({ reason: `refused by the server (SQLSTATE ${sqlState(err) ?? '?'}: ${messageOf(err)})`, source: p.source })
      }
    }
    return refused
  }
}

function messageOf (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
