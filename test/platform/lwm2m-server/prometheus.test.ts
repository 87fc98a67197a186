// The server's counters at GET /metrics: a real server on real UDP, scraped over real HTTP.
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import { formatCode } from '../../../lib/coap/index.ts'
import { prometheusName, startMetricsServer } from '../../../platform/lwm2m-server/prometheus.ts'
import type { Lwm2mServer } from '../../../platform/lwm2m-server/server.ts'
import { startDevice, startServer, until } from './helpers.ts'

async function serveMetrics (t: TestContext, server: Lwm2mServer): Promise<string> {
  const metrics = await startMetricsServer(server, '127.0.0.1', 0)
  t.after(() => metrics.close())
  return `http://127.0.0.1:${metrics.port}/metrics`
}

async function scrape (url: string): Promise<string> {
  const res = await fetch(url)
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  return await res.text()
}

/** The value of the sample line `series` (name and labels exactly as written), undefined when absent. */
function valueOf (text: string, series: string): number | undefined {
  const line = text.split('\n').find(l => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

test('names: counters get _total, a family its reason label, gauges neither', () => {
  assert.deepEqual(prometheusName('lwm2m.coap.send_failed', 'counter'), { name: 'fleetlab_lwm2m_coap_send_failed_total', dotted: 'lwm2m.coap.send_failed', reason: undefined })
  assert.deepEqual(prometheusName('lwm2m.malformed.TOO_SHORT', 'counter'), { name: 'fleetlab_lwm2m_malformed_total', dotted: 'lwm2m.malformed.<reason>', reason: 'TOO_SHORT' })
  assert.deepEqual(prometheusName('lwm2m.kafka.queue', 'gauge'), { name: 'fleetlab_lwm2m_kafka_queue', dotted: 'lwm2m.kafka.queue', reason: undefined })
})

test('notifications from two devices: the scraped counters grow by what the server counted', { timeout: 30_000 }, async t => {
  const server = await startServer(t, { autoObserve: ['/3303/0/5700'] })
  const url = await serveMetrics(t, server)
  const devices = [await startDevice(t, server), await startDevice(t, server)]
  for (const d of devices) assert.equal(formatCode((await d.register()).code), '2.01')
  await until('both auto-observations', () => devices.every(d => d.observers.size === 1))

  const before = await scrape(url)
  const received0 = server.metrics.get('lwm2m.notify.received')
  assert.equal(valueOf(before, 'fleetlab_lwm2m_notify_received_total') ?? 0, received0)
  assert.equal(valueOf(before, 'fleetlab_lwm2m_registrations'), 2)
  assert.equal(valueOf(before, 'fleetlab_lwm2m_observations'), 2)
  const perDevice = 25
  for (let i = 0; i < perDevice; i++) for (const d of devices) d.notify('/3303/0/5700', { confirmable: i % 2 === 0 })
  await until('every notification', () => server.metrics.get('lwm2m.notify.received') === received0 + perDevice * devices.length)

  const after = await scrape(url)
  const counters = server.snapshot().counters
  assert.equal(valueOf(after, 'fleetlab_lwm2m_notify_received_total'), counters['lwm2m.notify.received'])
  assert.equal(valueOf(after, 'fleetlab_lwm2m_notify_received_total')! - (valueOf(before, 'fleetlab_lwm2m_notify_received_total') ?? 0), perDevice * devices.length)
  assert.equal(valueOf(after, 'fleetlab_lwm2m_coap_received_total'), counters['lwm2m.coap.received'])
  assert.equal(valueOf(after, 'fleetlab_lwm2m_register_total'), 2)
  // Every plain counter of the server is there with its value.
  for (const [name, v] of Object.entries(counters)) {
    const p = prometheusName(name, 'counter')
    assert.equal(valueOf(after, p.reason === undefined ? p.name : `${p.name}{reason="${p.reason}"}`), v, name)
  }
})

test('malformed datagrams appear by reason; other paths get 404', { timeout: 30_000 }, async t => {
  const server = await startServer(t, { autoObserve: [] })
  const url = await serveMetrics(t, server)
  const peer = createSocket('udp4')
  t.after(() => peer.close())
  await new Promise<void>(resolve => peer.bind(0, '127.0.0.1', () => resolve()))
  const port = server.address().port
  const tooShort = 3
  const badVersion = 4
  // Under 4 bytes: no CoAP header; version bits 00 instead of 01 (RFC 7252 §3).
  for (let i = 0; i < tooShort; i++) peer.send(Buffer.from([0x40, i]), port, '127.0.0.1')
  for (let i = 0; i < badVersion; i++) peer.send(Buffer.from([0x00, 0x01, 0x00, i]), port, '127.0.0.1')
  await until('the datagrams counted', () => server.metrics.sum('lwm2m.malformed.') === tooShort + badVersion)

  const text = await scrape(url)
  assert.equal(valueOf(text, 'fleetlab_lwm2m_malformed_total{reason="TOO_SHORT"}'), server.metrics.get('lwm2m.malformed.TOO_SHORT'))
  assert.equal(valueOf(text, 'fleetlab_lwm2m_malformed_total{reason="BAD_VERSION"}'), server.metrics.get('lwm2m.malformed.BAD_VERSION'))
  assert.equal(server.metrics.get('lwm2m.malformed.TOO_SHORT'), tooShort)
  assert.equal(server.metrics.get('lwm2m.malformed.BAD_VERSION'), badVersion)
  assert.equal(text.split('\n').filter(l => l.startsWith('# TYPE fleetlab_lwm2m_malformed_total counter')).length, 1)

  for (const path of ['/', '/metrics/x', '/other']) {
    const res = await fetch(new URL(path, url))
    await res.arrayBuffer()
    assert.equal(res.status, 404, path)
  }
  const post = await fetch(url, { method: 'POST' })
  await post.arrayBuffer()
  assert.equal(post.status, 404)
})
