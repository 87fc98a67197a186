// The LWM2M server's own counters (`lwm2m serve --metrics-port`, platform/lwm2m-server/prometheus.ts) scraped once a
// period into the run's metric stream: per-period increments of each counter and the gauges, under the server's
// dotted names. One scrape at a time: a slow server makes a reading late, never two readings race. Increments are
// differences from the first scrape, so what the server counted before the monitor started is not in the stream.
import type { MetricsRecorder } from '../lib/metrics/recorder.ts'
import { REASON_LABEL, REASON_PLACEHOLDER } from '../platform/lwm2m-server/prometheus.ts'
import type { Monitor } from './monitor.ts'

/** Metric names of the monitor itself. */
export const lwm2mMonitorMetric = {
  scrapeFailed: 'monitor.lwm2m_server.scrape_failed',
} as const

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
  timestampMs?: number
}

export interface Exposition {
  samples: Sample[]
  /** Metric family -> HELP text, unescaped. */
  help: Map<string, string>
  /** Metric family -> TYPE (counter, gauge, histogram, summary, untyped). */
  types: Map<string, string>
}

/** A line of the text exposition format (Prometheus 0.0.4) that cannot be read; `line` counts from 1. */
export class ExpositionParseError extends Error {
  readonly line: number
  constructor (line: number, message: string) {
    super(`line ${line}: ${message}`)
    this.name = 'ExpositionParseError'
    this.line = line
  }
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:]*/
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*/

/** Parses the text exposition format: HELP and TYPE comments, other comments skipped, labels with escapes, +Inf/NaN. */
export function parseExposition (text: string): Exposition {
  const out: Exposition = { samples: [], help: new Map(), types: new Map() }
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '')
    if (line.trim() === '') continue
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+([A-Za-z_:][A-Za-z0-9_:]*)(?:\s(.*))?$/.exec(line)
      if (m === null) continue
      if (m[1] === 'HELP') out.help.set(m[2]!, unescape(m[3] ?? '', false, i + 1))
      else out.types.set(m[2]!, (m[3] ?? '').trim())
      continue
    }
    out.samples.push(parseSample(line.trimStart(), i + 1))
  }
  return out
}

function parseSample (line: string, n: number): Sample {
  const name = NAME.exec(line)?.[0]
  if (name === undefined) throw new ExpositionParseError(n, `expected a metric name, got ${JSON.stringify(line.slice(0, 40))}`)
  let rest = line.slice(name.length)
  const labels: Record<string, string> = {}
  if (rest.startsWith('{')) {
    rest = rest.slice(1)
    for (;;) {
      rest = rest.trimStart()
      if (rest.startsWith('}')) { rest = rest.slice(1); break }
      const label = LABEL_NAME.exec(rest)?.[0]
      if (label === undefined) throw new ExpositionParseError(n, `expected a label name in ${name}`)
      rest = rest.slice(label.length).trimStart()
      if (!rest.startsWith('=')) throw new ExpositionParseError(n, `expected ="..." after label ${label}`)
      rest = rest.slice(1).trimStart()
      if (!rest.startsWith('"')) throw new ExpositionParseError(n, `expected a quoted value for label ${label}`)
      const { value, end } = quoted(rest, 1, n)
      labels[label] = value
      rest = rest.slice(end).trimStart()
      if (rest.startsWith(',')) rest = rest.slice(1)
      else if (!rest.startsWith('}')) throw new ExpositionParseError(n, `expected , or } after label ${label}`)
    }
  }
  const fields = rest.trim().split(/\s+/)
  if (fields.length < 1 || fields[0] === '' || fields.length > 2) throw new ExpositionParseError(n, `expected a value and an optional timestamp after ${name}`)
  const value = parseValue(fields[0]!, n)
  const sample: Sample = { name, labels, value }
  if (fields[1] !== undefined) {
    const ts = Number(fields[1])
    if (!Number.isInteger(ts)) throw new ExpositionParseError(n, `bad timestamp ${JSON.stringify(fields[1])}`)
    sample.timestampMs = ts
  }
  return sample
}

function parseValue (s: string, n: number): number {
  switch (s) {
    case '+Inf': case 'Inf': return Number.POSITIVE_INFINITY
    case '-Inf': return Number.NEGATIVE_INFINITY
    case 'NaN': return Number.NaN
  }
  const v = Number(s)
  if (Number.isNaN(v) || !/^[+-]?(\d|\.\d)/.test(s)) throw new ExpositionParseError(n, `bad value ${JSON.stringify(s)}`)
  return v
}

/** A label value from just after its opening quote; `end` is the index after the closing quote. */
function quoted (s: string, from: number, n: number): { value: string, end: number } {
  for (let i = from; i < s.length; i++) {
    if (s[i] === '\\') { i++; continue }
    if (s[i] === '"') return { value: unescape(s.slice(from, i), true, n), end: i + 1 }
  }
  throw new ExpositionParseError(n, 'unterminated label value')
}

/** Escapes of the format: \\ and \n everywhere, \" in label values; any other backslash stays as it is. */
function unescape (s: string, label: boolean, n: number): string {
  if (!s.includes('\\')) return s
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c !== '\\') { out += c; continue }
    const next = s[++i]
    if (next === undefined) throw new ExpositionParseError(n, 'a backslash at the end of a value')
    out += next === 'n' ? '\n' : next === '\\' ? '\\' : next === '"' && label ? '"' : `\\${next}`
  }
  return out
}

export interface Lwm2mServerMonitorOptions {
  /** The server's metrics URL, http://host:port/metrics. */
  url: string
  recorder?: MetricsRecorder
  /** Default 1000 ms. */
  periodMs?: number
  /** A scrape that takes longer is given up and counted in `failures`. Default 800 ms. */
  timeoutMs?: number
  /** A counter went down: the server restarted; every counter's base restarts at 0. */
  onRestart?: () => void
  /** Default globalThis.fetch. */
  fetch?: typeof fetch
}

interface Reading {
  counters: Map<string, number>
  gauges: Map<string, number>
}

export class Lwm2mServerMonitor implements Monitor {
  readonly #o: Lwm2mServerMonitorOptions
  readonly #fetch: typeof fetch
  readonly #stopping = new AbortController()
  readonly #totals = new Map<string, number>()
  #last: Map<string, number> | undefined
  #timer: NodeJS.Timeout | undefined
  #busy: Promise<boolean> | undefined
  /** Scrapes that failed (no answer, not 200, unreadable); the next period scrapes again. */
  failures = 0
  /** Why the latest failed scrape failed. */
  lastError: Error | undefined
  /** Times a counter went down (the server restarted). */
  restarts = 0

  constructor (o: Lwm2mServerMonitorOptions) {
    this.#o = o
    this.#fetch = o.fetch ?? globalThis.fetch
  }

  start (): void {
    void this.scrape()
    this.#timer = setInterval(() => { void this.scrape() }, this.#o.periodMs ?? 1000)
  }

  async stop (): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#stopping.abort()
    await this.#busy
  }

  /** Each counter's increase since the first scrape (restarts included), by dotted name. */
  totals (): Record<string, number> {
    return Object.fromEntries([...this.#totals].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0))
  }

  /** One scrape now (or the one in flight); resolves true when it was read. Never rejects. */
  scrape (): Promise<boolean> {
    this.#busy ??= this.#scrape().finally(() => { this.#busy = undefined })
    return this.#busy
  }

  async #scrape (): Promise<boolean> {
    if (this.#stopping.signal.aborted) return false
    let reading: Reading
    try {
      const signal = AbortSignal.any([AbortSignal.timeout(this.#o.timeoutMs ?? 800), this.#stopping.signal])
      const res = await this.#fetch(this.#o.url, { signal })
      const text = await res.text()
      if (res.status !== 200) throw new Error(`GET ${this.#o.url}: HTTP ${res.status}`)
      reading = readingOf(parseExposition(text))
    } catch (err) {
      if (this.#stopping.signal.aborted) return false
      this.failures++
      this.lastError = err as Error
      this.#o.recorder?.counter(lwm2mMonitorMetric.scrapeFailed)
      return false
    }
    this.#record(reading)
    return true
  }

  #record ({ counters, gauges }: Reading): void {
    const r = this.#o.recorder
    const last = this.#last
    this.#last = counters
    for (const [name, v] of gauges) if (Number.isFinite(v)) r?.gauge(name, v, 'max')
    if (last === undefined) {
      for (const name of counters.keys()) this.#totals.set(name, 0)
      return
    }
    let restarted = false
    for (const [name, v] of counters) if (v < (last.get(name) ?? 0)) restarted = true
    if (restarted) {
      this.restarts++
      this.#o.onRestart?.()
    }
    for (const [name, v] of counters) {
      // A name first seen now was 0 before (the server lists a counter once it counted); after a restart, all were.
      const delta = restarted ? v : v - (last.get(name) ?? 0)
      this.#totals.set(name, (this.#totals.get(name) ?? 0) + delta)
      if (delta > 0) r?.counter(name, delta)
    }
  }
}

/** Counters and gauges by dotted name: HELP gives it (prometheus.ts), else the metric name with `_` as `.`. */
function readingOf (e: Exposition): Reading {
  const out: Reading = { counters: new Map(), gauges: new Map() }
  for (const s of e.samples) {
    const counter = e.types.get(s.name) === 'counter'
    const gauge = e.types.get(s.name) === 'gauge'
    if (!counter && !gauge) continue
    const name = dottedName(s, e.help.get(s.name))
    if (name === undefined) continue
    const into = counter ? out.counters : out.gauges
    into.set(name, (into.get(name) ?? 0) + s.value)
  }
  return out
}

function dottedName (s: Sample, help: string | undefined): string | undefined {
  const reason = s.labels[REASON_LABEL]
  const fromHelp = help === undefined ? undefined : /^([A-Za-z0-9_.<>-]+\.[A-Za-z0-9_.<>-]+):/.exec(help)?.[1]
  if (fromHelp !== undefined) {
    if (!fromHelp.endsWith(REASON_PLACEHOLDER)) return fromHelp
    return reason === undefined ? undefined : fromHelp.slice(0, -REASON_PLACEHOLDER.length) + reason
  }
  const base = s.name.replace(/^fleetlab_/, '').replace(/_total$/, '').replaceAll('_', '.')
  return reason === undefined ? base : `${base}.${reason}`
}
