// The `prometheus` output (`fleetlab run --out prometheus=[host]:port`): the run's stream on GET /metrics, in the
// Prometheus text format, through prom-client with a Registry of its own (never the global one, so two runs in one
// process, or a test beside a run, never mix). Naming follows Prometheus's conventions: `fleetlab_` prefix, base
// units (`_seconds`, `_bytes`, ratios), `_total` on counters only. Every series carries `run_id` and `experiment`;
// per-service series add `service`, per-gateway ones `gateway`, errors their stable `code`: bounded sets, never a
// device.
//
// Counters are the whole-run totals of the stream (RunSecond.totals, so a window that arrived late still counts);
// gauges are the latest second's reading; latencies are real histograms (not summaries, so they aggregate across
// runs and rate() over them works), filled from each second's HDR histograms bucket by bucket: the cost is a pass
// over the HDR buckets per second, never a call per record (histogram.ts countsAtOrBelow).
//
// The server listens from start() and, at stop(), keeps serving the final values until one scrape has read them or
// `graceMs` (default 2 s) has passed, whichever comes first, so the last second reaches Prometheus.
//
// The metric names of the stream belong to the units that emit them (experiments/, platform/, control/); they come in
// as data (PrometheusStreamNames), so this layer imports none of them.
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Counter, Gauge, Registry } from 'prom-client'
import { FleetlabError } from '../../lib/errors.ts'
import type { MetricWindow } from '../../lib/metrics/window.ts'
import type { Output, RunEnd, RunSecond, RunStart } from './contract.ts'
import { BucketHistogram } from './prometheus-histogram.ts'

/** Dotted names of the stream this output reads (cli/outputs.ts fills them from the units that emit them). */
export interface PrometheusStreamNames {
  readonly sent: string
  readonly late: string
  readonly lateness: string
  readonly edgeRecords: string
  readonly cloudRecords: string
  readonly sinkRecords: string
  readonly delivered: string
  readonly duplicates: string
  readonly udpDrops: string
  readonly e2e: string
  readonly rebalancePause: string
  readonly devicesActive: string
  readonly devicesRegistered: string
  /** Counters whose name starts with this are errors; the rest of the name is the `code` label. */
  readonly errorPrefix: string
  readonly serviceCpuPct: (service: string) => string
  readonly serviceMemMb: (service: string) => string
  readonly serviceReplicas: (service: string) => string
  readonly serviceNetRxBytes: (service: string) => string
  readonly serviceNetTxBytes: (service: string) => string
}

export interface PrometheusOutputOptions {
  readonly host: string
  /** 0: any free port (see `address` after start). */
  readonly port: number
  readonly names: PrometheusStreamNames
  /** How long stop() keeps serving at most, waiting for a last scrape; default 2000 ms. */
  readonly graceMs?: number
}

/** Bucket upper bounds, seconds. */
export const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const
export const latenessBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5] as const
export const pauseBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const

const MB = 1048576

type GaugeKey = 'elapsed' | 'phase' | 'devicesTarget' | 'devicesActive' | 'devicesRegistered' | 'gatewayActive' | 'gatewayRegistered' |
  'rateTarget' | 'lag' | 'lagSeconds' | 'mirrorLag' | 'replicas' | 'desired' | 'cpu' | 'memory' | 'serviceReplicas' | 'thresholdPassed'

interface Metrics {
  readonly counters: ReadonlyArray<{ readonly metric: Counter<string>, readonly stream: string }>
  readonly errors: Counter<string>
  readonly netRx: Counter<string>
  readonly netTx: Counter<string>
  readonly gauges: Readonly<Record<GaugeKey, Gauge<string>>>
  readonly histograms: ReadonlyArray<{ readonly metric: BucketHistogram, readonly stream: string }>
}

export class PrometheusOutput implements Output {
  readonly name = 'prometheus'
  readonly registry = new Registry()
  readonly #o: PrometheusOutputOptions
  readonly #m: Metrics
  /** What each counter series was last raised to, by series key (totals are whole-run; prom-client counters only inc). */
  readonly #exported = new Map<string, number>()
  #server: Server | undefined
  #services: readonly string[] = []
  /** Scrapes served, so stop() can tell when the final values were read. */
  #scrapes = 0
  #onScrape: (() => void) | undefined

  constructor (o: PrometheusOutputOptions) {
    this.#o = o
    const r = [this.registry]
    const counter = (name: string, help: string, stream: string): { metric: Counter<string>, stream: string } =>
      ({ metric: new Counter({ name, help: `${help} (${stream})`, registers: r }), stream })
    const gauge = (name: string, help: string, labelNames: string[] = []): Gauge<string> => new Gauge({ name, help, labelNames, registers: r })
    const n = o.names
    this.#m = {
      counters: [
        counter('fleetlab_notifications_sent_total', 'LWM2M notifications the virtual devices sent', n.sent),
        counter('fleetlab_notifications_late_total', 'notifications sent later than scheduled', n.late),
        counter('fleetlab_udp_drops_total', 'UDP datagrams the LWM2M server dropped', n.udpDrops),
        counter('fleetlab_edge_records_total', 'records appended to the edge Kafka topics', n.edgeRecords),
        counter('fleetlab_cloud_records_total', 'records appended to the cloud Kafka topics (mirrored)', n.cloudRecords),
        counter('fleetlab_sink_records_total', 'records the sink consumers read', n.sinkRecords),
        counter('fleetlab_delivered_total', 'notifications delivered end to end, first copies', n.delivered),
        counter('fleetlab_duplicates_total', 'copies of notifications delivered before', n.duplicates),
      ],
      errors: new Counter({ name: 'fleetlab_errors_total', help: `errors by stable code (${n.errorPrefix}<code>)`, labelNames: ['code'], registers: r }),
      netRx: new Counter({ name: 'fleetlab_service_network_receive_bytes_total', help: 'bytes a service received (runtimes that see its interfaces)', labelNames: ['service'], registers: r }),
      netTx: new Counter({ name: 'fleetlab_service_network_transmit_bytes_total', help: 'bytes a service sent (runtimes that see its interfaces)', labelNames: ['service'], registers: r }),
      gauges: {
        elapsed: gauge('fleetlab_run_elapsed_seconds', 'seconds since the run started (t_s of the latest second)'),
        phase: gauge('fleetlab_run_phase', '1 for the phase the run is in (setup, ramp, hold, drain, ...), 0 for phases left', ['phase']),
        devicesTarget: gauge('fleetlab_devices_target', 'virtual devices the workload wants'),
        devicesActive: gauge('fleetlab_devices_active', 'virtual devices running (sending notifications)'),
        devicesRegistered: gauge('fleetlab_devices_registered', 'virtual devices registered with the LWM2M server'),
        gatewayActive: gauge('fleetlab_gateway_devices_active', 'virtual devices running, by gateway', ['gateway']),
        gatewayRegistered: gauge('fleetlab_gateway_devices_registered', 'virtual devices registered, by gateway', ['gateway']),
        rateTarget: gauge('fleetlab_rate_target_per_second', 'notifications per second the workload asks for'),
        lag: gauge('fleetlab_consumer_lag_records', "records the sink's consumer group is behind (committed offsets)"),
        lagSeconds: gauge('fleetlab_consumer_lag_seconds', "the sink group's largest partition time lag"),
        mirrorLag: gauge('fleetlab_mirror_lag_records', 'edge end offsets minus cloud end offsets (MirrorMaker 2 behind)'),
        replicas: gauge('fleetlab_sink_replicas', 'sink consumer replicas running'),
        desired: gauge('fleetlab_sink_replicas_desired', 'sink consumer replicas the control loop wants'),
        cpu: gauge('fleetlab_service_cpu_usage_ratio', 'CPU a service uses, in cores (1 = one core busy; cpu_pct / 100)', ['service']),
        memory: gauge('fleetlab_service_memory_bytes', 'memory a service uses (resident, replicas summed)', ['service']),
        serviceReplicas: gauge('fleetlab_service_replicas', 'running replicas of a service', ['service']),
        thresholdPassed: gauge('fleetlab_threshold_passed', '1 while a threshold of the experiment holds, 0 once crossed', ['threshold']),
      },
      histograms: [
        { metric: new BucketHistogram({ name: 'fleetlab_e2e_latency_seconds', help: `end-to-end latency, device send to sink (${n.e2e})`, buckets: [...latencyBuckets], registers: r }), stream: n.e2e },
        { metric: new BucketHistogram({ name: 'fleetlab_send_lateness_seconds', help: `how late devices sent after their schedule (${n.lateness})`, buckets: [...latenessBuckets], registers: r }), stream: n.lateness },
        { metric: new BucketHistogram({ name: 'fleetlab_sink_rebalance_pause_seconds', help: `how long a rebalance stopped a sink replica (${n.rebalancePause})`, buckets: [...pauseBuckets], registers: r }), stream: n.rebalancePause },
      ],
    }
  }

  /** Where /metrics is served (after start). */
  get address (): { host: string, port: number } {
    const a = this.#server?.address() as AddressInfo | null | undefined
    if (a == null) throw new Error('prometheus output: not listening (start() first)')
    return { host: a.address, port: a.port }
  }

  async start (run: RunStart): Promise<void> {
    this.registry.setDefaultLabels({ run_id: run.meta.runId, experiment: run.meta.experiment.name })
    this.#services = run.services
    for (const t of run.meta.thresholds) this.#m.gauges.thresholdPassed.set({ threshold: t.metric }, 1)
    const server = createServer((req, res) => { void this.#serve(req, res) })
    const { host, port } = this.#o
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') {
          reject(new FleetlabError('FLEETLAB_PORT_IN_USE', `--out prometheus: TCP port ${port} on ${host} is already in use`,
            { hint: 'stop whatever listens there (ss -ltnp) or choose another port: --out prometheus=:<port>' }))
        } else {
          reject(new FleetlabError('FLEETLAB_PORT_IN_USE', `--out prometheus: cannot listen on ${host}:${port}: ${err.message}`))
        }
      })
      server.listen(port, host, () => resolve())
    })
    this.#server = server
  }

  add (s: RunSecond): void {
    const g = this.#m.gauges
    const row = s.row
    const set = (gauge: Gauge<string>, v: number | null | undefined): void => { if (v !== null && v !== undefined) gauge.set(v) }
    g.elapsed.set(row.t_s)
    this.#phase(row.phase)
    set(g.devicesTarget, row.devices_target)
    set(g.devicesActive, row.devices_active)
    set(g.devicesRegistered, s.window.gauges.get(this.#o.names.devicesRegistered)?.value)
    set(g.rateTarget, row.rate_target)
    set(g.lag, row.consumer_lag)
    set(g.lagSeconds, row.consumer_lag_s)
    set(g.mirrorLag, row.mirror_lag)
    set(g.replicas, row.consumer_replicas)
    set(g.desired, row.consumer_desired)
    this.#gateways(s.window)
    this.#serviceGauges(s.window)
    for (const t of s.thresholds) g.thresholdPassed.set({ threshold: t.metric }, t.passed ? 1 : 0)
    this.#counters(s.totals)
    for (const h of this.#m.histograms) {
      const hdr = s.window.histograms.get(h.stream)
      if (hdr === undefined || hdr.count === 0) continue
      // HDR values are ms; the buckets are seconds.
      h.metric.addCounts(hdr.countsAtOrBelow(h.metric.bounds.map(b => b * 1000)), hdr.count, hdr.sum / 1000)
    }
  }

  event (): void {}

  async stop (end: RunEnd): Promise<void> {
    const server = this.#server
    if (server === undefined) return
    for (const t of end.meta.thresholds) this.#m.gauges.thresholdPassed.set({ threshold: t.metric }, t.passed ? 1 : 0)
    const grace = this.#o.graceMs ?? 2000
    if (grace > 0) {
      await new Promise<void>(resolve => {
        const timer = setTimeout(done, grace)
        this.#onScrape = done
        function done (): void { clearTimeout(timer); resolve() }
      })
    }
    this.#onScrape = undefined
    this.#server = undefined
    await new Promise<void>(resolve => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }

  /** Scrapes served so far. */
  get scrapes (): number { return this.#scrapes }

  async #serve (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/'
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('only GET /metrics\n')
      return
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('fleetlab serves GET /metrics\n')
      return
    }
    try {
      const body = await this.registry.metrics()
      res.writeHead(200, { 'Content-Type': this.registry.contentType }).end(req.method === 'HEAD' ? undefined : body)
      this.#scrapes++
      this.#onScrape?.()
    } catch (err) {
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${(err as Error).message}\n`)
    }
  }

  #phaseSeen = new Set<string>()
  #phase (phase: string): void {
    const g = this.#m.gauges.phase
    this.#phaseSeen.add(phase)
    for (const p of this.#phaseSeen) g.set({ phase: p }, p === phase ? 1 : 0)
  }

  /** Gauges `<devicesActive>.<gateway>` / `<devicesRegistered>.<gateway>`, when the window has them. */
  #gateways (w: MetricWindow): void {
    const active = `${this.#o.names.devicesActive}.`
    const registered = `${this.#o.names.devicesRegistered}.`
    for (const [name, gauge] of w.gauges) {
      if (name.startsWith(active)) this.#m.gauges.gatewayActive.set({ gateway: name.slice(active.length) }, gauge.value)
      else if (name.startsWith(registered)) this.#m.gauges.gatewayRegistered.set({ gateway: name.slice(registered.length) }, gauge.value)
    }
  }

  #serviceGauges (w: MetricWindow): void {
    const n = this.#o.names
    const g = this.#m.gauges
    // The runner itself is measured too (control/service-monitor.ts), though it is not a platform service.
    for (const service of new Set([...this.#services, 'runner'])) {
      const cpu = w.gauges.get(n.serviceCpuPct(service))
      const mem = w.gauges.get(n.serviceMemMb(service))
      const replicas = w.gauges.get(n.serviceReplicas(service))
      if (cpu !== undefined) g.cpu.set({ service }, cpu.value / 100)
      if (mem !== undefined) g.memory.set({ service }, Math.round(mem.value * MB))
      if (replicas !== undefined) g.serviceReplicas.set({ service }, replicas.value)
    }
  }

  #counters (totals: Readonly<Record<string, number>>): void {
    for (const c of this.#m.counters) this.#raise(c.stream, totals[c.stream], by => c.metric.inc(by))
    const n = this.#o.names
    for (const [name, v] of Object.entries(totals)) {
      if (name.startsWith(n.errorPrefix)) this.#raise(name, v, by => this.#m.errors.inc({ code: name.slice(n.errorPrefix.length) }, by))
    }
    for (const service of new Set([...this.#services, 'runner'])) {
      this.#raise(n.serviceNetRxBytes(service), totals[n.serviceNetRxBytes(service)], by => this.#m.netRx.inc({ service }, by))
      this.#raise(n.serviceNetTxBytes(service), totals[n.serviceNetTxBytes(service)], by => this.#m.netTx.inc({ service }, by))
    }
  }

  /** Raises a counter to a whole-run total (never down: a total only grows). */
  #raise (key: string, total: number | undefined, inc: (by: number) => void): void {
    if (total === undefined) return
    const before = this.#exported.get(key)
    if (before === undefined) {
      // First sight: export the series even at 0, so rate() has a starting point.
      inc(Math.max(0, total))
      this.#exported.set(key, Math.max(0, total))
      return
    }
    if (total > before) {
      inc(total - before)
      this.#exported.set(key, total)
    }
  }
}

export function prometheusOutput (o: PrometheusOutputOptions): PrometheusOutput {
  return new PrometheusOutput(o)
}
