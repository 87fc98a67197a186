// The InfluxDB 1.x store: one point per observed resource, as zeelos's Kafka Connect sink wrote them
// (shared/reference/zeelos-avro/connect-influxdb-sink.json): measurement `resources`, tags ep, path, kind (and
// serverId, observationId when the record has them), field `value` (numbers, as float64), `svalue` (strings) or
// `bvalue` (booleans), timestamp the record's. Written as line protocol (POST /write, precision=ms) in batches.
//
// At-least-once: a batch the consumer re-delivers (a replica killed between flush and commit) carries the same
// points. InfluxDB keys a point by measurement, tag set and timestamp; a second write of that key replaces the
// first one's fields instead of adding a point, so a re-delivered batch leaves the counts as they were.
import { InvalidConfigError, ServiceFailedError } from '../../../lib/errors.ts'
import { sleep } from '../../../lib/time.ts'
import type { ObservationItem, SinkStore, StoreContext, StoreFactory, StoreItem } from '../store.ts'

const allowed = ['url', 'database', 'batchSize', 'measurement'] as const
/** A string field InfluxDB 1.x takes is at most 64 KiB. */
const maxString = 64 * 1024
/** Five tries, backing off 0.5 s .. 2 s (±20% jitter): about 5 s before a write is given up. */
const backoffMs = [500, 1000, 1500, 2000]

export interface InfluxOptions {
  url: string
  database: string
  batchSize: number
  measurement: string
}

/** Validates `sink.options`, every problem at once. */
export function parseInfluxOptions (options: Record<string, unknown>): InfluxOptions {
  const problems = Object.keys(options).filter(k => !(allowed as readonly string[]).includes(k))
    .map(k => `sink.options.${k}: unknown option of the influxdb sink (allowed: ${allowed.join(', ')})`)
  const { url, database = 'fleetlab', batchSize = 5000, measurement = 'resources' } = options
  if (typeof url !== 'string' || !/^https?:\/\/[^/?#\s]+:\d+\/?$/.test(url) || !URL.canParse(url)) {
    problems.push(`sink.options.url: expected http(s)://host:port, got ${JSON.stringify(url)}`)
  }
  if (typeof database !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(database)) {
    problems.push(`sink.options.database: expected a name of letters, digits, _ and - (at most 64), got ${JSON.stringify(database)}`)
  }
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1_000_000) {
    problems.push(`sink.options.batchSize: expected an integer from 1 to 1000000, got ${JSON.stringify(batchSize)}`)
  }
  if (typeof measurement !== 'string' || measurement === '' || /[\r\n]/.test(measurement) || measurement.startsWith('#')) {
    problems.push(`sink.options.measurement: expected a non-empty name on one line, not starting with #, got ${JSON.stringify(measurement)}`)
  }
  if (problems.length > 0) throw new InvalidConfigError(problems)
  return { url: (url as string).replace(/\/$/, ''), database: database as string, batchSize: batchSize as number, measurement: measurement as string }
}

/** Line protocol escapes (InfluxDB 1.x): a measurement escapes commas and spaces. */
export function escapeMeasurement (s: string): string {
  return s.replace(/[, ]/g, c => `\\${c}`)
}

/** Tag keys and values escape commas, equals signs and spaces. */
export function escapeTag (s: string): string {
  return s.replace(/[,= ]/g, c => `\\${c}`)
}

/** A string field value is in double quotes; inside, quotes and backslashes are escaped. */
export function quoteString (s: string): string {
  return `"${s.replace(/["\\]/g, c => `\\${c}`)}"`
}

/** Why a tag value cannot be written, or undefined. */
function badTag (name: string, value: string): string | undefined {
  if (value === '') return `empty ${name} tag` // InfluxDB drops an empty tag: the point would lose its key
  if (/[\r\n]/.test(value)) return `newline in the ${name} tag`
  if (value.endsWith('\\')) return `${name} tag ends in a backslash` // it would escape the separator after it
  return undefined
}

/** One point's line, or the reason it cannot be written. */
export function pointLine (measurement: string, item: ObservationItem, path: string, value: string | number | boolean): { line: string } | { reason: string } {
  const o = item.observation
  const tags: Array<[string, string]> = [['ep', o.endpoint], ['kind', 'observe'], ['path', path]]
  if (o.observationId !== undefined) tags.push(['observationId', o.observationId])
  if (o.serverId !== undefined) tags.push(['serverId', o.serverId])
  for (const [k, v] of tags) {
    const bad = badTag(k, v)
    if (bad !== undefined) return { reason: bad }
  }
  let field: string
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { reason: 'number not finite (NaN or Infinity)' }
    field = `value=${value}`
  } else if (typeof value === 'string') {
    if (Buffer.byteLength(value) > maxString) return { reason: 'string over 64 KiB' }
    if (/[\r\n]/.test(value)) return { reason: 'newline in a string value' }
    field = `svalue=${quoteString(value)}`
  } else {
    field = `bvalue=${value}`
  }
  if (o.trace !== undefined) field += `,seq=${Math.trunc(o.trace.seq)}i`
  if (!Number.isFinite(o.timestamp)) return { reason: 'timestamp not finite' }
  // Tags sorted by key: InfluxDB's own order, so it need not sort them on every write.
  const tagSet = tags.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${escapeTag(k)}=${escapeTag(v)}`).join(',')
  return { line: `${escapeMeasurement(measurement)},${tagSet} ${field} ${Math.trunc(o.timestamp)}` }
}

class InfluxStore implements SinkStore {
  readonly name = 'influxdb'
  readonly input = 'observations' as const
  rejected = 0
  readonly #o: InfluxOptions
  readonly #ctx: StoreContext
  readonly #told = new Set<string>()
  #lines: string[] = []
  #chain: Promise<void> = Promise.resolve()

  constructor (o: InfluxOptions, ctx: StoreContext) {
    this.#o = o
    this.#ctx = ctx
  }

  /** Counts one bad point (a point, not a record: a record's other values are still written). */
  #reject (reason: string, count = 1): void {
    this.rejected += count
    if (this.#told.has(reason)) return
    this.#told.add(reason)
    this.#ctx.event('sink.influxdb.rejected', reason)
  }

  add (item: StoreItem): Promise<void> | undefined {
    if (item.kind !== 'observation') return undefined
    for (const [path, value] of Object.entries(item.observation.values)) {
      const point = pointLine(this.#o.measurement, item, path, value)
      if ('reason' in point) this.#reject(point.reason)
      else this.#lines.push(point.line)
    }
    return this.#lines.length >= this.#o.batchSize ? this.flush() : undefined
  }

  /** Written once InfluxDB answered 204 (or 400 for the points it dropped, counted as rejected). */
  flush (): Promise<void> {
    const lines = this.#lines
    this.#lines = []
    // One write at a time, in order; a failed write fails every later flush too (the store as a whole is gone).
    this.#chain = this.#chain.then(async () => { if (lines.length > 0) await this.#write(lines) })
    return this.#chain
  }

  async #write (lines: string[]): Promise<void> {
    const url = `${this.#o.url}/write?db=${encodeURIComponent(this.#o.database)}&precision=ms`
    const body = lines.join('\n')
    let lastError = ''
    for (let attempt = 0; attempt <= backoffMs.length; attempt++) {
      if (attempt > 0) await sleep(backoffMs[attempt - 1]! * (0.8 + 0.4 * Math.random()))
      try {
        const res = await fetch(url, { method: 'POST', body, signal: AbortSignal.timeout(10_000) })
        const text = await res.text()
        if (res.status === 204) return
        if (res.status === 400) {
          // A partial write: the others are written; the answer says how many it dropped (or which lines it could
          // not parse).
          const dropped = /dropped=(\d+)/.exec(text)
          const unparsed = text.match(/unable to parse/g)?.length
          this.#reject(`influxdb refused points: ${reasonOf(text)}`, dropped !== null ? Number(dropped[1]) : unparsed ?? lines.length)
          return
        }
        lastError = `POST /write answered ${res.status}: ${text.trim().slice(0, 300)}`
        if (res.status < 500) break // 401, 404 (no database): a retry would get the same answer
      } catch (err) {
        lastError = causeOf(err)
      }
    }
    throw new ServiceFailedError('influxdb', `writing ${lines.length} points to ${this.#o.url} failed: ${lastError}`,
      { hint: 'is the influxdb service of the platform running? (fleetlab platform status)' })
  }

  async close (): Promise<void> {
    await this.flush()
  }
}

/** The error text without the point data it quotes, so that events of one kind stay one reason. */
function reasonOf (text: string): string {
  const error = (() => { try { return String((JSON.parse(text) as { error?: unknown }).error ?? text) } catch { return text } })()
  return error.replace(/'[^']*'/g, "'...'").replace(/dropped=\d+/, '').replace(/\s+/g, ' ').trim().slice(0, 200)
}

function causeOf (err: unknown): string {
  const e = err as Error & { cause?: { code?: string, message?: string } }
  return e.cause?.code ?? e.cause?.message ?? e.message
}

async function query (url: string, database: string, q: string, method: 'GET' | 'POST'): Promise<unknown> {
  const params = new URLSearchParams({ db: database, q, epoch: 'ms' })
  const res = await fetch(`${url.replace(/\/$/, '')}/query?${params.toString()}`, { method, signal: AbortSignal.timeout(30_000) })
  const text = await res.text()
  const body = (() => { try { return JSON.parse(text) as { error?: string, results?: Array<{ error?: string }> } } catch { return undefined } })()
  const error = body?.error ?? body?.results?.find(r => r.error !== undefined)?.error
  if (res.status !== 200 || error !== undefined) {
    throw new ServiceFailedError('influxdb', `${q}: ${res.status} ${error ?? text.trim().slice(0, 300)}`)
  }
  return body
}

/** InfluxQL double-quoted identifier. */
function ident (s: string): string {
  return `"${s.replace(/["\\]/g, c => `\\${c}`)}"`
}

/**
 * Points in `measurement`. Every point the store writes has exactly one of the fields value, svalue, bvalue, so the
 * sum of their three counts is the number of points, exactly (count over one field counts the points that have it).
 */
export async function influxCount (url: string, database: string, measurement = 'resources'): Promise<number> {
  const m = ident(measurement)
  const body = await query(url, database, `SELECT count("value") FROM ${m}; SELECT count("svalue") FROM ${m}; SELECT count("bvalue") FROM ${m}`, 'GET') as
    { results: Array<{ series?: Array<{ values: Array<[unknown, number | null]> }> }> }
  return body.results.reduce((sum, r) => sum + (r.series?.[0]?.values[0]?.[1] ?? 0), 0)
}

/** Raw InfluxQL, for tests and checks by hand: the `results` of GET /query. */
export async function influxQuery (url: string, database: string, q: string): Promise<unknown> {
  return await query(url, database, q, 'GET')
}

/** options: { url: http(s)://host:port, database ('fleetlab'), batchSize (5000 points), measurement ('resources') }. */
export const createInfluxStore: StoreFactory = async (options, ctx) => {
  const o = parseInfluxOptions(options)
  try {
    await query(o.url, o.database, `CREATE DATABASE ${ident(o.database)}`, 'POST')
  } catch (err) {
    throw new ServiceFailedError('influxdb', `creating database ${o.database} at ${o.url} failed: ${err instanceof ServiceFailedError ? err.message : causeOf(err)}`,
      { hint: 'is the influxdb service of the platform running? (fleetlab platform status)', cause: err })
  }
  return new InfluxStore(o, ctx)
}
