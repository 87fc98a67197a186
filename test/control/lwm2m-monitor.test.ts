// Lwm2mServerMonitor: its exposition parser, then scrapes of a real LWM2M server's GET /metrics into a recorder.
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { ExpositionParseError, Lwm2mServerMonitor, parseExposition } from '../../control/lwm2m-monitor.ts'
import { formatCode } from '../../lib/coap/index.ts'
import { MetricsRecorder } from '../../lib/metrics/recorder.ts'
import { startMetricsServer } from '../../platform/lwm2m-server/prometheus.ts'
import type { MetricsServer } from '../../platform/lwm2m-server/prometheus.ts'
import { Lwm2mServer } from '../../platform/lwm2m-server/server.ts'
import { startDevice, startServer, until } from '../platform/lwm2m-server/helpers.ts'

test('parser: comments, HELP and TYPE, labels with escapes, +Inf, NaN and timestamps', () => {
  const e = parseExposition([
    '# a free comment',
    '# HELP m_total lwm2m.m: back\\\\slash and\\nnewline',
    '# TYPE m_total counter',
    'm_total 12',
    'm_total{reason="a \\"quoted\\" \\\\ b\\nc",k="x,y}"} 3.5e2 1700000000000',
    '  up{ a = "1" , } +Inf',
    'down -Inf',
    'nan NaN',
    '',
    'metric_without_type 7\r',
  ].join('\n'))
  assert.equal(e.help.get('m_total'), 'lwm2m.m: back\\slash and\nnewline')
  assert.equal(e.types.get('m_total'), 'counter')
  assert.equal(e.samples.length, 6)
  assert.deepEqual(e.samples[0], { name: 'm_total', labels: {}, value: 12 })
  assert.deepEqual(e.samples[1], { name: 'm_total', labels: { reason: 'a "quoted" \\ b\nc', k: 'x,y}' }, value: 350, timestampMs: 1700000000000 })
  assert.deepEqual(e.samples[2], { name: 'up', labels: { a: '1' }, value: Number.POSITIVE_INFINITY })
  assert.equal(e.samples[3]!.value, Number.NEGATIVE_INFINITY)
  assert.ok(Number.isNaN(e.samples[4]!.value))
  assert.deepEqual(e.samples[5], { name: 'metric_without_type', labels: {}, value: 7 })
})

test('parser: an unreadable line is an error naming its line', () => {
  for (const [text, line] of [['ok 1\nbad{a="1" 2', 2], ['x{a="unterminated} 1', 1], ['x abc', 1], ['{a="1"} 1', 1], ['x 1 2 3', 1], ['x{a=1} 1', 1]] as const) {
    assert.throws(() => parseExposition(text), (err: unknown) => err instanceof ExpositionParseError && err.line === line, text)
  }
})

async function serveMetrics (t: TestContext, server: Lwm2mServer, port = 0): Promise<MetricsServer> {
  const metrics = await startMetricsServer(server, '127.0.0.1', port)
  t.after(() => metrics.close())
  return metrics
}

function recordedCounters (recorder: MetricsRecorder): Map<string, number> {
  const sums = new Map<string, number>()
  for (const w of recorder.drain(Number.POSITIVE_INFINITY)) for (const [name, n] of w.counters) sums.set(name, (sums.get(name) ?? 0) + n)
  return sums
}

test('against a real server: recorded increments are exact and sum to what the server counted since the first scrape', { timeout: 30_000 }, async t => {
  const server = await startServer(t, { autoObserve: ['/3303/0/5700'] })
  const metrics = await serveMetrics(t, server)
  const devices = [await startDevice(t, server), await startDevice(t, server)]
  for (const d of devices) assert.equal(formatCode((await d.register()).code), '2.01')
  await until('both auto-observations', () => devices.every(d => d.observers.size === 1))

  const recorder = new MetricsRecorder()
  const monitor = new Lwm2mServerMonitor({ url: `http://127.0.0.1:${metrics.port}/metrics`, recorder, periodMs: 100 })
  t.after(() => monitor.stop())
  assert.equal(await monitor.scrape(), true)
  const base = server.snapshot().counters
  monitor.start()
  const rounds = 6
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < 10; i++) for (const d of devices) d.notify('/3303/0/5700', { confirmable: i % 2 === 0 })
    await new Promise(resolve => setTimeout(resolve, 120))
  }
  const expected = (base['lwm2m.notify.received'] ?? 0) + rounds * 10 * devices.length
  await until('every notification', () => server.metrics.get('lwm2m.notify.received') === expected)
  await until('a scrape after the last', () => (monitor.totals()['lwm2m.notify.received'] ?? 0) === rounds * 10 * devices.length)
  await monitor.stop()

  const now = server.snapshot()
  const totals = monitor.totals()
  const recorded = recordedCounters(recorder)
  for (const [name, v] of Object.entries(now.counters)) {
    assert.equal(totals[name], v - (base[name] ?? 0), name)
    assert.equal(recorded.get(name) ?? 0, v - (base[name] ?? 0), name)
  }
  assert.equal(recorded.get('lwm2m.notify.received'), rounds * 10 * devices.length)
  assert.ok((recorded.get('lwm2m.coap.received') ?? 0) >= rounds * 10 * devices.length)
  assert.equal(monitor.failures, 0)
})

test('gauges are recorded with mode max; a family comes back as dotted names by reason', { timeout: 30_000 }, async t => {
  const server = await startServer(t, { autoObserve: [] })
  const metrics = await serveMetrics(t, server)
  const device = await startDevice(t, server)
  assert.equal(formatCode((await device.register()).code), '2.01')
  const recorder = new MetricsRecorder()
  const monitor = new Lwm2mServerMonitor({ url: `http://127.0.0.1:${metrics.port}/metrics`, recorder })
  assert.equal(await monitor.scrape(), true)
  device.send(Buffer.from([0x40]))
  device.send(Buffer.from([0x40, 0x01]))
  await until('two malformed', () => server.metrics.get('lwm2m.malformed.TOO_SHORT') === 2)
  assert.equal(await monitor.scrape(), true)
  assert.equal(monitor.totals()['lwm2m.malformed.TOO_SHORT'], 2)
  const windows = recorder.drain(Number.POSITIVE_INFINITY)
  assert.equal(windows.reduce((s, w) => s + (w.counters.get('lwm2m.malformed.TOO_SHORT') ?? 0), 0), 2)
  const gauge = windows.at(-1)!.gauges.get('lwm2m.registrations')
  assert.equal(gauge?.mode, 'max')
  assert.equal(gauge?.value, server.registrations.size)
})

test('the server stopped: failures are counted, the monitor goes on, a restarted server is a restart, stop() resolves', { timeout: 30_000 }, async t => {
  const server = await startServer(t, { autoObserve: [] })
  const metrics = await serveMetrics(t, server)
  const url = `http://127.0.0.1:${metrics.port}/metrics`
  const devices = [await startDevice(t, server), await startDevice(t, server)]
  for (const d of devices) assert.equal(formatCode((await d.register()).code), '2.01')
  let restarts = 0
  const recorder = new MetricsRecorder()
  const monitor = new Lwm2mServerMonitor({ url, recorder, periodMs: 100, onRestart: () => restarts++ })
  t.after(() => monitor.stop())
  monitor.start()
  await until('a first scrape', () => monitor.totals()['lwm2m.register'] !== undefined)
  const before = server.snapshot().counters

  await metrics.close()
  await server.stop()
  await until('three failed scrapes', () => monitor.failures >= 3)
  assert.match(monitor.lastError?.message ?? '', /fetch failed|ECONNREFUSED/)

  // Another server on the same metrics port, having counted less: every counter restarts from 0.
  const again = new Lwm2mServer({ port: 0, autoObserve: [] })
  await again.start()
  t.after(() => again.stop())
  await serveMetrics(t, again, metrics.port)
  const device = await startDevice(t, again)
  assert.equal(formatCode((await device.register()).code), '2.01')
  await until('the restart seen', () => restarts === 1)
  assert.ok(again.metrics.get('lwm2m.register') < before['lwm2m.register']!)
  const failures = monitor.failures
  await until('a scrape after the registration', () => monitor.totals()['lwm2m.register'] === again.metrics.get('lwm2m.register'))
  const started = performance.now()
  await monitor.stop()
  assert.ok(performance.now() - started < 900)
  assert.equal(monitor.failures, failures)
  assert.equal(monitor.restarts, 1)
  // Since the first scrape: nothing more on the first server, then everything the second counted.
  const totals = monitor.totals()
  for (const [name, v] of Object.entries(again.snapshot().counters)) assert.equal(totals[name], v, name)
  assert.equal(recordedCounters(recorder).get('monitor.lwm2m_server.scrape_failed'), failures)
})
