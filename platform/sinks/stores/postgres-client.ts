// How the postgres stores reach the server: the URL as a pool, which errors are worth another try, and the bounded
// retry with backoff they write through (house rule 7, docs/architecture.md: jitter, cap, bail, never retry programmer errors).
import pg from 'pg'
import { sleep } from '../../../lib/time.ts'

/** The server's SQLSTATE of an error, when it is one (pg's DatabaseError.code; socket errors carry errno names). */
export function sqlState (err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

/**
 * Worth another try: no SQLSTATE (refused, reset, timed out, "Connection terminated"), connection exceptions (08),
 * the server shutting down or starting (57P), out of resources (53), serialization failure or deadlock (40).
 * Everything else (a data exception, 22; a constraint, 23; a syntax error) fails the same way each time.
 */
export function retriable (err: unknown): boolean {
  const state = sqlState(err)
  return state === undefined || /^(08|57P|53|40)/.test(state)
}

/** A data or integrity error: something in one of the rows, not the connection (SQLSTATE classes 22 and 23). */
export function rowError (err: unknown): boolean {
  return /^(22|23)/.test(sqlState(err) ?? '')
}

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number
  /** Wait before the second try; it doubles each time, up to `capMs`, and takes a random half-to-whole of that. */
  backoffMs: number
  capMs: number
}

/** About 3 s of waiting in all before a store gives up on its server. */
export const defaultRetry: RetryPolicy = { attempts: 5, backoffMs: 200, capMs: 2000 }

export async function withRetries<T> (fn: () => Promise<T>, onRetry: (err: unknown, attempt: number) => void, policy = defaultRetry): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      if (attempt >= policy.attempts || !retriable(err)) throw err
      onRetry(err, attempt)
      const base = Math.min(policy.capMs, policy.backoffMs * 2 ** (attempt - 1))
      await sleep(base / 2 + Math.random() * base / 2)
    }
  }
}

/** postgres://[user[:password]@]host[:port]/database; the user defaults to the datastore's superuser. */
export function connectionConfig (url: string): pg.ClientConfig | undefined {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return undefined
  }
  const database = decodeURIComponent(u.pathname.slice(1))
  if ((u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') || u.hostname === '' || database === '' || database.includes('/')) return undefined
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port !== '' ? Number(u.port) : 5432,
    database,
    user: u.username !== '' ? decodeURIComponent(u.username) : 'postgres',
    ...(u.password !== '' ? { password: decodeURIComponent(u.password) } : {}),
  }
}

/** host:port/database, for messages (no password). */
export function describeUrl (url: string): string {
  const c = connectionConfig(url)
  return c === undefined ? url : `${String(c.host)}:${String(c.port)}/${String(c.database)}`
}

export function openPool (config: pg.ClientConfig): pg.Pool {
  // Two connections: one write at a time per store, and one spare for the table set-up. Idle ones close after a
  // second, so the datastore's smart shutdown (SIGTERM waits for sessions) is not held up by a quiet sink.
  const pool = new pg.Pool({ ...config, max: 2, idleTimeoutMillis: 1000, connectionTimeoutMillis: 3000, query_timeout: 30_000 })
  pool.on('error', () => { /* an idle connection dropped by the server: the next query opens another */ })
  return pool
}
