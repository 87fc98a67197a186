// The sink unit end to end: a real platform (process runtime), virtual devices through the LWM2M server, the edge
// Kafka, MirrorMaker 2 and the cloud Kafka, and `fleetlab sink` started through the Runtime and driven over the
// control channel like `fleetlab run` drives it. Every traced notification is delivered once and measured; records
// written into the cloud topic by hand check duplicates, untraced and undecodable records.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SinkReport } from '../../../experiments/contracts.ts'
import { ChannelClient, ChannelServer } from '../../../lib/channel.ts'
import type { UnitConnection, UnitMessage } from '../../../lib/channel.ts'
import { fleetlabHome, platformDir } from '../../../lib/home.ts'
import { LatencyHistogram } from '../../../lib/metrics/histogram.ts'
import type { MetricWindowJSON } from '../../../lib/metrics/window.ts'
import { bootstrapOf, defaultPlatformConfig } from '../../../platform/config.ts'
import type { PlatformConfig } from '../../../platform/config.ts'
import { createKafkaClient } from '../../../platform/kafka/index.ts'
import { platformDown, platformUp } from '../../../platform/platform.ts'
import { openRuntime } from '../../../platform/runtime/index.ts'
import { sinkServiceSpec } from '../../../platform/sinks/service.ts'
import { runSinkUnit } from '../../../platform/sinks/sink-unit.ts'
import type { SinkLine } from '../../../platform/sinks/stores/file.ts'
import { SequenceAccounting } from '../../../platform/sinks/accounting.ts'
import { recordArrivals } from '../../../platform/sinks/arrivals.ts'
import type { Arrivals } from '../../../platform/sinks/arrivals.ts'
import { freePortPair, runCli, uniqueName, waitFor } from '../../helpers.ts'
import { observationRecord } from './helpers.ts'

/** A unit in this process on a real channel: its exit code and every message the runner got. */
async function unitInProcess (t: { after: (fn: () => Promise<void>) => void }, drive: (conn: UnitConnection, server: ChannelServer) => void):
Promise<{ code: number, messages: UnitMessage[] }> {
  const server = await ChannelServer.listen()
  t.after(async () => { await server.close() })
  const messages: UnitMessage[] = []
  server.on('message', (_c, m: UnitMessage) => messages.push(m))
  server.on('unit', conn => drive(conn, server))
  const client = await ChannelClient.connect(server.address, { token: server.token, unit: 'sink-0', kind: 'sink' })
  // A real Kafka client towards a port where nothing listens, failing fast.
  const code = await runSinkUnit({ channel: client, kafka: bootstrap => createKafkaClient({ bootstrap, retries: 0, connectionTimeoutMs: 300 }), configTimeoutMs: 5000 })
  await waitFor('the last messages', async () => messages.some(m => m.type === 'fatal') || code !== 1 ? true : undefined, 2000).catch(() => {})
  return { code, messages }
}

test('a config with problems is refused with every problem, as fatal, exit 1', async t => {
  const { code, messages } = await unitInProcess(t, conn => conn.send({ type: 'config', config: { bootstrap: 'x', topicPattern: '(', store: { kind: 'file', options: { outFile: 'rel.ndjson' } }, cost: { ms: -1 }, extra: 1 } }))
  assert.equal(code, 1)
  const fatal = messages.find(m => m.type === 'fatal')
  assert.ok(fatal?.type === 'fatal')
  assert.equal(fatal.code, 'FLEETLAB_INVALID_CONFIG')
  for (const field of ['extra', 'bootstrap', 'topicPattern', 'groupId', 'store\\.options\\.outFile', 'cost']) assert.match(fatal.message, new RegExp(`config\\.${field}`))
})

test('a cloud Kafka that does not answer is a fatal start-up error, exit 1', async t => {
  const port = await freePortPair()
  const dir = await mkdtemp(join(tmpdir(), 'fleetlab-sink-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const { code, messages } = await unitInProcess(t, conn => conn.send({ type: 'config', config: { bootstrap: [`127.0.0.1:${port}`], topicPattern: '^iot\\.', groupId: 'g', store: { kind: 'file', options: { outFile: join(dir, 'x.ndjson') } } } }))
  assert.equal(code, 1)
  const fatal = messages.find(m => m.type === 'fatal')
  assert.ok(fatal?.type === 'fatal')
  assert.equal(fatal.code, 'FLEETLAB_KAFKA')
})

test('a runner that goes away before the config ends the unit with exit 1', async t => {
  const { code, messages } = await unitInProcess(t, (_conn, server) => { void server.close() })
  assert.equal(code, 1)
  assert.deepEqual(messages, [])
})

test('the sink unit accounts and measures every notification from devices to the cloud Kafka', { timeout: 300_000 }, async t => {
  const home = fleetlabHome()
  const name = uniqueName('t-sink')
  const gateway = `g${name.slice(-6)}`
  const [edgePort, cloudPort, lwm2mPort] = [await freePortPair(), await freePortPair(), await freePortPair()]
  const config: PlatformConfig = {
    ...defaultPlatformConfig,
    name,
    edge: { ...defaultPlatformConfig.edge, port: edgePort, controllerPort: edgePort + 1 },
    cloud: { ...defaultPlatformConfig.cloud, port: cloudPort, controllerPort: cloudPort + 1 },
    lwm2m: { enabled: true, port: lwm2mPort, gateway },
  }
  const runtime = await openRuntime(home, 'process')
  const ctx = { home, runtime, progress: () => {} }
  t.after(async () => {
    await platformDown(ctx, name).catch(() => {})
    await runtime.sweep(name)
    await runtime.close()
  })
  await platformUp(ctx, config)

  const channel = await ChannelServer.listen()
  t.after(async () => { await channel.close() })
  const windows: MetricWindowJSON[] = []
  const events: Array<{ kind: string, detail: string }> = []
  let report: SinkReport | undefined
  // the runner's side of the accounting: every batch's arrivals, as session.ts records them
  const accounting = new SequenceAccounting()
  const arrived = { delivered: 0, duplicates: 0 }
  channel.on('message', (_conn, m: UnitMessage) => {
    if (m.type === 'arrivals') {
      const r = recordArrivals(accounting, m.arrivals as Arrivals)
      arrived.delivered += r.delivered
      arrived.duplicates += r.duplicates
    } else if (m.type === 'windows') windows.push(...m.windows)
    else if (m.type === 'event') events.push({ kind: m.kind, detail: m.detail })
    else if (m.type === 'report') report = m.report as SinkReport
    else if (m.type === 'fatal') events.push({ kind: 'fatal', detail: m.message })
  })
  const counter = (metric: string): number => windows.reduce((s, w) => s + (w.counters[metric] ?? 0), 0)

  const dir = join(platformDir(home, name), 'run')
  const outFile = join(dir, 'observations.ndjson')
  await runtime.start(sinkServiceSpec({ platform: name, dir, env: channel.envFor('sink-0'), writablePaths: [dir] }))
  const unit = await channel.waitForUnit('sink-0', 30_000)
  assert.equal(unit.kind, 'sink')
  // The mirrored topic does not exist yet: the sink must pick it up once MirrorMaker creates it.
  const topic = `iot.${gateway}.observations`
  unit.send({ type: 'config', config: { bootstrap: bootstrapOf(config, 'cloud'), topicPattern: `^iot\\.${gateway}\\.observations$`, groupId: uniqueName('sink'), store: { kind: 'file', options: { outFile } } } })

  const prefix = `${name}-d`
  const fleet = await runCli(['devices', '--server', `coap://127.0.0.1:${lwm2mPort}`, '--count', '5', '--rate', '4/s', '--duration', '6s',
    '--endpoint-prefix', prefix, '--json'])
  assert.equal(fleet.code, 0, fleet.stderr)
  const sent = (JSON.parse(fleet.stdout) as { notificationsSent: number }).notificationsSent
  assert.ok(sent >= 50, `${sent} notifications`)

  // By hand into the cloud topic: one record that is not Avro, one traced record twice (a re-delivered batch), one untraced.
  const cloud = createKafkaClient({ bootstrap: bootstrapOf(config, 'cloud') })
  t.after(async () => { await cloud.close() })
  const producer = await cloud.producer()
  const temperature = { kind: 'single', id: 5700, type: 'float', value: 20.5 } as const
  const dup = observationRecord('dup-1', '/3303/0/5700', temperature, { seq: 0, sentAtMs: Date.now() })
  await producer.send(topic, [{ key: 'garbage', value: Buffer.from('\x02\x02 this is not avro') }])
  await producer.send(topic, [{ key: 'dup-1', value: dup }, { key: 'dup-1', value: dup }])
  await producer.send(topic, [{ key: 'plain', value: observationRecord('plain-1', '/3303/0/5700', temperature) }])
  await producer.close()
  const injected = 4

  await waitFor('the sink to read every record', async () => counter('sink.records') === sent + injected ? true : undefined, 60_000)
  unit.send({ type: 'finish' })
  await waitFor('the report', async () => report, 30_000)
  await waitFor('the sink to exit', async () => (await runtime.list({ platform: name, service: 'sink' })).length === 0 ? true : undefined, 20_000)
  assert.ok(report !== undefined)

  assert.deepEqual(events.filter(e => e.kind === 'fatal'), [])
  assert.equal(report.records, sent + injected)
  assert.equal(report.undecodable, 1)
  assert.equal(report.untraced, 1)
  const undecodable = events.filter(e => e.kind === 'sink.undecodable')
  assert.equal(undecodable.length, 1)
  assert.match(undecodable[0]!.detail, new RegExp(`${topic.replaceAll('.', '\\.')} partition \\d+ offset \\d+`))

  const devices = Object.entries(report.devices).filter(([ep]) => ep.startsWith(prefix))
  assert.equal(devices.length, 5)
  let delivered = 0
  for (const [ep, d] of devices) {
    assert.equal(d.duplicates, 0, `${ep} duplicates`)
    assert.equal(d.delivered, d.maxSeq + 1, `${ep}: sequences 0..${d.maxSeq} all delivered`)
    delivered += d.delivered
  }
  assert.equal(delivered, sent, 'delivered = sent over the fleet')
  assert.deepEqual(report.devices['dup-1'], { delivered: 1, duplicates: 1, maxSeq: 0 })

  // The arrivals told batch by batch give the runner the same totals; metrics: one latency per first arrival.
  assert.deepEqual(arrived, { delivered: sent + 1, duplicates: 1 })
  assert.deepEqual(accounting.report(), report.devices)
  assert.equal(counter('sink.untraced'), 1)
  assert.equal(counter('errors.sink.undecodable'), 1)
  const latency = windows.flatMap(w => w.histograms['e2e.latency'] ?? []).map(h => LatencyHistogram.fromJSON(h))
  assert.equal(latency.reduce((s, h) => s + h.count, 0), sent + 1)
  const lag = windows.flatMap(w => w.gauges['sink.fetch_lag'] ?? [])
  assert.ok(lag.length > 0 && lag.every(g => g.mode === 'sum' && g.value >= 0))
  assert.equal(lag.at(-1)!.value, 0, 'caught up at the end')
  // useful time: every handled record is in a batch whose busy time was counted (the autoscaler's true rate)
  assert.equal(counter('sink.busy_records'), sent + injected)
  assert.ok(counter('sink.busy_ms') > 0 && counter('sink.busy_ms') < 60_000, `${counter('sink.busy_ms')} ms busy`)

  // The file: one valid line per decodable record.
  const lines = (await readFile(outFile, 'utf8')).split('\n').filter(l => l !== '').map(l => JSON.parse(l) as SinkLine)
  assert.equal(lines.length, sent + injected - 1)
  const traced = lines.filter(l => l.endpoint.startsWith(prefix))
  assert.equal(traced.length, sent)
  for (const l of traced) {
    assert.equal(l.topic, topic)
    assert.ok(Number.isInteger(l.seq) && Number.isInteger(l.sentAtMs) && l.receivedAtMs >= l.sentAtMs!, JSON.stringify(l))
    assert.equal(typeof l.values['/3303/0/5700'], 'number', JSON.stringify(l))
    assert.match(l.offset, /^\d+$/)
  }
  assert.deepEqual(lines.filter(l => l.endpoint === 'plain-1').map(l => [l.seq, l.sentAtMs, l.values]), [[null, null, { '/3303/0/5700': 20.5 }]])
})
