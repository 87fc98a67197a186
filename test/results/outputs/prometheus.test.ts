// The prometheus output fed a synthetic stream, scraped over real HTTP; the exposition text parsed and checked.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { MetricWindow } from '../../../lib/metrics/window.ts'
import { PrometheusOutput } from '../../../results/outputs/prometheus.ts'
import type { RunEnd, RunSecond, RunStart } from '../../../results/outputs/contract.ts'
import type { RunMeta, SummaryRow, TimeseriesRow } from '../../../results/run-format.ts'
import { prometheusStreamNames } from '../../../cli/prometheus-output.ts'

export function syntheticStart (runId: string): RunStart {
  const meta = {
    formatVersion: 1, runId, experiment: { file: 'x.ts', kind: 'linear', name: 'synthetic', config: {} }, seed: 1,
    versions: { fleetlab: '0', node: process.version, kafka: '3.9' }, git: null,
    machine: { hostname: 'h', os: 'linux', cpus: 2, cpuModel: 'x', memoryBytes: 1 }, runtime: 'process',
    platform: { name: 'p', external: false }, startedAt: new Date().toISOString(), endedAt: null, complete: false,
    thresholds: [{ metric: 'e2e.p99', source: '<1s', value: null, passed: true }],
  } satisfies RunMeta
  return { meta, runDir: '/tmp', startMs: Date.now(), services: ['edge-kafka', 'sink'], plannedWorkloadMs: 10_000 }
}

/** Second i of a synthetic run: 10 e2e values of 3 ms and 2 of 300 ms, 12 sent, lag i, CPU 50 %, 100 MB. */
export function syntheticSecond (i: number, totals: Record<string, number>): RunSecond {
  const n = prometheusStreamNames
  const w = new MetricWindow(1_000_000 + i)
  w.histogram(n.e2e, 3, 10)
  w.histogram(n.e2e, 300, 2)
  w.histogram(n.lateness, 0.2, 12)
  w.counter(n.sent, 12)
  w.counter('errors.sink.rejected', 1)
  w.gauge(n.devicesRegistered, 12, 'sum', 0)
  w.gauge(`${n.devicesActive}.gw-1`, 12, 'sum', 0)
  w.gauge(n.serviceCpuPct('edge-kafka'), 50, 'max', 0)
  w.gauge(n.serviceMemMb('edge-kafka'), 100, 'max', 0)
  w.gauge(n.serviceReplicas('sink'), 2, 'max', 0)
  for (const [k, v] of Object.entries({ [n.sent]: 12, [n.delivered]: 12, [n.duplicates]: 0, [n.edgeRecords]: 12, [n.cloudRecords]: 12, [n.sinkRecords]: 12, 'errors.sink.rejected': 1 })) {
    totals[k] = (totals[k] ?? 0) + v
  }
  const row: TimeseriesRow = {
    t_s: i, phase: i < 2 ? 'ramp' : 'hold', devices_target: 12, devices_active: 12, rate_target: 12, sent: 12, sent_late: 0,
    lateness_p99_ms: 0.2, edge_in: 12, udp_drops: 0, cloud_out: 12, delivered: 12, e2e_p50_ms: 3, e2e_p95_ms: 300,
    e2e_p99_ms: 300, e2e_max_ms: 300, consumer_lag: i, mirror_lag: 1, consumer_replicas: 2, errors: 1, consumer_desired: 3,
    consumer_lag_s: 0.5, services: {},
  }
  return { second: w.second, row, window: w, thresholds: [{ metric: 'e2e.p99', source: '<1s', value: 300, passed: true }], totals: { ...totals } }
}

export function syntheticEnd (start: RunStart): RunEnd {
  return { meta: { ...start.meta, complete: true }, summary: {} as SummaryRow, histograms: {} }
}

/** Exposition text -> `name{labels}` -> value (labels as written, sorted). */
export function parseExposition (text: string): { samples: Map<string, number>, types: Map<string, string> } {
  const samples = new Map<string, number>()
  const types = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) { const [, , name, type] = line.split(' '); types.set(name!, type!); continue }
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    assert.ok(m, `unparsable line: ${line}`)
    const labels = (m[2] ?? '').match(/[a-z_]+="[^"]*"/g) ?? []
    samples.set(`${m[1]}{${labels.filter(l => !l.startsWith('run_id=') && !l.startsWith('experiment=')).sort().join(',')}}`, Number(m[3] === '+Inf' ? Infinity : m[3]))
  }
  return { samples, types }
}

test('prometheus output: /metrics over HTTP has fleetlab_* names, base units, _total counters and exact histograms', async t => {
  const out = new PrometheusOutput({ host: '127.0.0.1', port: 0, names: prometheusStreamNames, graceMs: 300 })
  const start = syntheticStart('run-unit-1')
  await out.start(start)
  t.after(() => out.stop(syntheticEnd(start)))
  const totals: Record<string, number> = {}
  for (let i = 0; i < 3; i++) out.add(syntheticSecond(i, totals))
  const url = `http://127.0.0.1:${out.address.port}/metrics`
  const res = await fetch(url)
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /text\/plain; version=0\.0\.4/)
  const text = await res.text()
  assert.match(text, /fleetlab_notifications_sent_total\{run_id="run-unit-1",experiment="synthetic"\} 36/)
  const { samples, types } = parseExposition(text)
  for (const name of types.keys()) {
    assert.match(name, /^fleetlab_/)
    if (types.get(name) === 'counter') assert.match(name, /_total$/, `${name} is a counter`)
    else assert.doesNotMatch(name, /_total$/, `${name} is a ${types.get(name)}`)
  }
  assert.equal(types.get('fleetlab_e2e_latency_seconds'), 'histogram')
  assert.equal(types.get('fleetlab_send_lateness_seconds'), 'histogram')
  assert.equal(types.get('fleetlab_sink_rebalance_pause_seconds'), 'histogram')
  // 3 seconds of 10 x 3 ms and 2 x 300 ms
  const b = (le: string): number | undefined => samples.get(`fleetlab_e2e_latency_seconds_bucket{le="${le}"}`)
  assert.equal(b('0.001'), 0)
  assert.equal(b('0.0025'), 0)
  assert.equal(b('0.005'), 30)
  assert.equal(b('0.25'), 30)
  assert.equal(b('0.5'), 36)
  assert.equal(b('+Inf'), 36)
  assert.equal(samples.get('fleetlab_e2e_latency_seconds_count{}'), 36)
  assert.ok(Math.abs(samples.get('fleetlab_e2e_latency_seconds_sum{}')! - (30 * 0.003 + 6 * 0.3)) < 1e-9)
  assert.equal(samples.get('fleetlab_send_lateness_seconds_bucket{le="0.00025"}'), 36)
  assert.equal(samples.get('fleetlab_send_lateness_seconds_bucket{le="0.0001"}'), 0)
  assert.equal(samples.get('fleetlab_sink_rebalance_pause_seconds_count{}'), 0)
  assert.equal(samples.get('fleetlab_delivered_total{}'), 36)
  assert.equal(samples.get('fleetlab_errors_total{code="sink.rejected"}'), 3)
  assert.equal(samples.get('fleetlab_consumer_lag_records{}'), 2)
  assert.equal(samples.get('fleetlab_consumer_lag_seconds{}'), 0.5)
  assert.equal(samples.get('fleetlab_sink_replicas{}'), 2)
  assert.equal(samples.get('fleetlab_sink_replicas_desired{}'), 3)
  assert.equal(samples.get('fleetlab_service_cpu_usage_ratio{service="edge-kafka"}'), 0.5)
  assert.equal(samples.get('fleetlab_service_memory_bytes{service="edge-kafka"}'), 100 * 1048576)
  assert.equal(samples.get('fleetlab_service_replicas{service="sink"}'), 2)
  assert.equal(samples.get('fleetlab_gateway_devices_active{gateway="gw-1"}'), 12)
  assert.equal(samples.get('fleetlab_run_phase{phase="hold"}'), 1)
  assert.equal(samples.get('fleetlab_run_phase{phase="ramp"}'), 0)
  assert.equal(samples.get('fleetlab_threshold_passed{threshold="e2e.p99"}'), 1)
  // never a device label
  assert.doesNotMatch(text, /device=|endpoint=/)
  assert.equal((await fetch(`http://127.0.0.1:${out.address.port}/`)).status, 404)
})

test('prometheus output: stop serves until one last scrape, then closes', async () => {
  const out = new PrometheusOutput({ host: '127.0.0.1', port: 0, names: prometheusStreamNames, graceMs: 10_000 })
  const start = syntheticStart('run-unit-2')
  await out.start(start)
  const port = out.address.port
  const began = Date.now()
  const stopped = out.stop(syntheticEnd(start))
  const res = await fetch(`http://127.0.0.1:${port}/metrics`)
  assert.equal(res.status, 200)
  await res.text()
  await stopped
  assert.ok(Date.now() - began < 5000, 'stop returned once the scrape came, not at the end of the grace')
  await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`))
})

test('prometheus output: a port in use is a clear error naming it', async t => {
  const blocker = createServer()
  await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve))
  t.after(() => blocker.close())
  const port = (blocker.address() as { port: number }).port
  const out = new PrometheusOutput({ host: '127.0.0.1', port, names: prometheusStreamNames })
  await assert.rejects(out.start(syntheticStart('run-unit-3')), (err: Error & { code?: string }) =>
    err.code === 'FLEETLAB_PORT_IN_USE' && err.message.includes(`TCP port ${port} on 127.0.0.1 is already in use`))
})

test('prometheus output: a second of 1,000 records costs well under a millisecond to add', async t => {
  const out = new PrometheusOutput({ host: '127.0.0.1', port: 0, names: prometheusStreamNames, graceMs: 0 })
  const start = syntheticStart('run-unit-4')
  await out.start(start)
  t.after(() => out.stop(syntheticEnd(start)))
  const totals: Record<string, number> = {}
  const seconds = Array.from({ length: 200 }, (_, i) => {
    const s = syntheticSecond(i, totals)
    for (let k = 0; k < 1000; k++) s.window.histogram(prometheusStreamNames.e2e, 5 + (k % 500))
    return s
  })
  const began = performance.now()
  for (const s of seconds) out.add(s)
  const perSecondMs = (performance.now() - began) / seconds.length
  t.diagnostic(`add() of a second with 1,012 e2e records: ${perSecondMs.toFixed(3)} ms`)
  const { samples } = parseExposition(await (await fetch(`http://127.0.0.1:${out.address.port}/metrics`)).text())
  assert.equal(samples.get('fleetlab_e2e_latency_seconds_count{}'), 200 * 1012)
  assert.ok(perSecondMs < 20, `add() took ${perSecondMs} ms per second`)
})
