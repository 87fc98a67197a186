// The server's own counters and gauges (metrics.ts) in the Prometheus text format, for `lwm2m serve --metrics-port`.
// Values are read when a scrape asks for them (prom-client collect callbacks): the notification path keeps counting
// in its Map and never touches prom-client. A dotted name becomes `fleetlab_<name with _>`, `_total` for counters;
// a family (a reason or kind as the last segment, FAMILIES) becomes one metric with a `reason` label. Each metric's
// HELP starts with the dotted name (`<reason>` for a family) so that a scraper gets the exact name back
// (control/lwm2m-monitor.ts): `_` alone cannot tell `lwm2m.coap.send_failed` from `lwm2m.coap.send.failed`.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Counter, Gauge, Registry } from 'prom-client'
import type { MetricsSnapshot } from './metrics.ts'

/** Counter prefixes whose last part is a reason, kind or code (README.md "Metrics"). */
export const FAMILIES: readonly string[] = [
  'lwm2m.malformed.',
  'lwm2m.notify.undecodable.',
  'lwm2m.request.',
  'lwm2m.bridge.registrations.',
  'lwm2m.bridge.request.',
  'lwm2m.bridge.reply.',
  'lwm2m.bridge.malformed.',
]

export const REASON_LABEL = 'reason'
/** Written in HELP where a family's reason goes. */
export const REASON_PLACEHOLDER = '<reason>'

/** What is read at scrape time: Lwm2mServer.snapshot(). */
export interface MetricsSource {
  snapshot (): MetricsSnapshot
}

export interface PrometheusName {
  /** Metric name, `fleetlab_..._total` for a counter. */
  name: string
  /** The dotted name, with REASON_PLACEHOLDER for a family. */
  dotted: string
  /** The family member's reason; undefined for a plain name. */
  reason: string | undefined
}

export function prometheusName (dotted: string, kind: 'counter' | 'gauge'): PrometheusName {
  const family = kind === 'counter' ? FAMILIES.find(f => dotted.startsWith(f) && dotted.length > f.length) : undefined
  const base = family === undefined ? dotted : family.slice(0, -1)
  const name = `fleetlab_${base.replace(/[^A-Za-z0-9_]/g, '_')}${kind === 'counter' ? '_total' : ''}`
  return family === undefined
    ? { name, dotted, reason: undefined }
    : { name, dotted: family + REASON_PLACEHOLDER, reason: dotted.slice(family.length) }
}

interface Exported {
  kind: 'counter' | 'gauge'
  dotted: string
  /** Dotted names behind this metric (one for a plain name, the members of a family). */
  members: Map<string, string | undefined>
}

/**
 * A prom-client Registry over a server's snapshot. Names appear as the server first counts them: metrics() adds
 * the new ones before it renders, so scrape through metrics(), not registry.metrics().
 */
export class Lwm2mPrometheus {
  readonly registry = new Registry()
  readonly #source: MetricsSource
  readonly #exported = new Map<string, Exported>()
  /** The snapshot of the scrape under way: one read of the server per scrape. */
  #scrape: MetricsSnapshot | undefined

  constructor (source: MetricsSource) {
    this.#source = source
  }

  get contentType (): string {
    return this.registry.contentType
  }

  async metrics (): Promise<string> {
    this.#scrape = this.#source.snapshot()
    try {
      for (const dotted of Object.keys(this.#scrape.counters)) this.#add(dotted, 'counter')
      for (const dotted of Object.keys(this.#scrape.gauges)) this.#add(dotted, 'gauge')
      return await this.registry.metrics()
    } finally {
      this.#scrape = undefined
    }
  }

  #add (dotted: string, kind: 'counter' | 'gauge'): void {
    const p = prometheusName(dotted, kind)
    const known = this.#exported.get(p.name)
    if (known !== undefined) {
      // A plain name that flattens onto another metric's name is left out rather than mixed into it.
      if (known.kind === kind && known.dotted === p.dotted) known.members.set(dotted, p.reason)
      return
    }
    const e: Exported = { kind, dotted: p.dotted, members: new Map([[dotted, p.reason]]) }
    this.#exported.set(p.name, e)
    const read = (): MetricsSnapshot => this.#scrape ?? this.#source.snapshot()
    const labelNames = p.reason === undefined ? [] : [REASON_LABEL]
    const help = `${p.dotted}: ${kind} of fleetlab's LWM2M server`
    if (kind === 'counter') {
      this.registry.registerMetric(new Counter({
        name: p.name, help, labelNames, registers: [],
        collect () {
          const counters = read().counters
          this.reset()
          for (const [member, reason] of e.members) {
            const v = counters[member] ?? 0
            if (reason === undefined) this.inc(v)
            else this.inc({ [REASON_LABEL]: reason }, v)
          }
        },
      }))
    } else {
      this.registry.registerMetric(new Gauge({
        name: p.name, help, registers: [],
        collect () { this.set(read().gauges[dotted] ?? 0) },
      }))
    }
  }
}

export interface MetricsServer {
  /** The TCP port it listens on (the one asked for, or the one picked for 0). */
  port: number
  close (): Promise<void>
}

/** Serves GET /metrics on host:port (0: any free port); every other request gets 404. */
export async function startMetricsServer (source: MetricsSource, host: string, port: number): Promise<MetricsServer> {
  const prometheus = new Lwm2mPrometheus(source)
  const http = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: GET /metrics\n')
      return
    }
    prometheus.metrics().then(
      text => { res.writeHead(200, { 'content-type': prometheus.contentType }).end(text) },
      (err: unknown) => { res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`${(err as Error).message}\n`) },
    )
  })
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(port, host, () => { http.off('error', reject); resolve() })
  })
  return {
    port: (http.address() as AddressInfo).port,
    close: () => new Promise<void>(resolve => {
      http.close(() => resolve())
      // A scraper's keep-alive connection would hold close() open until it times out.
      http.closeAllConnections()
    }),
  }
}
