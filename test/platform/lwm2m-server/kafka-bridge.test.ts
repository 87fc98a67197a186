// The Kafka bridge against a real Kafka broker started through the platform CLI (process runtime, one broker: the
// "cloud" side points at the edge broker, mirror off), with the lib/coap test device.
import { after, before, test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKafkaClient } from '../../../platform/kafka/index.ts'
import type { IncomingRecord, KafkaClient } from '../../../platform/kafka/client.ts'
import { traceOfContent, observedContent } from '../../../platform/lwm2m-server/avro-mapping.ts'
import { decodeKey, encodeKey, observationCodec, registrationCodec, requestCodec, responseCodec } from '../../../platform/lwm2m-server/avro/codec.ts'
import { plainValue, readNode } from '../../../platform/lwm2m-server/avro/records.ts'
import type { AvroRequest, AvroResource, AvroResponse } from '../../../platform/lwm2m-server/avro/types.ts'
import { KafkaBridge } from '../../../platform/lwm2m-server/kafka-bridge.ts'
import type { Lwm2mServer } from '../../../platform/lwm2m-server/server.ts'
import { freePortPair, runCli, uniqueName } from '../../helpers.ts'
import { startDevice, startServer, until } from './helpers.ts'

let kafka: KafkaClient
let platform = ''
let dir = ''

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlab-lwm2m-kafka-'))
  const port = await freePortPair()
  platform = uniqueName('t-lwm2m')
  const config = join(dir, 'platform.json')
  await writeFile(config, JSON.stringify({ name: platform, edge: { port, controllerPort: port + 1 }, cloud: { bootstrap: `127.0.0.1:${port}` }, mirror: { enabled: false }, lwm2m: { enabled: false } }))
  const up = await runCli(['platform', 'up', '--runtime', 'process', '--config', config])
  assert.equal(up.code, 0, up.stderr)
  kafka = createKafkaClient({ bootstrap: [`127.0.0.1:${port}`], clientId: 'lwm2m-bridge-test' })
})

after(async () => {
  await kafka?.close()
  if (platform !== '') await runCli(['platform', 'down', '--runtime', 'process', '--name', platform])
  await rm(dir, { recursive: true, force: true })
})

async function bridged (t: TestContext, options: { autoObserve?: string[] } = {}): Promise<{ server: Lwm2mServer, bridge: KafkaBridge, gw: string }> {
  const server = await startServer(t, { autoObserve: options.autoObserve ?? [] })
  const gw = uniqueName('gw')
  const bridge = new KafkaBridge({ server, kafka, gateway: gw })
  await bridge.start()
  t.after(() => bridge.stop())
  return { server, bridge, gw }
}

async function collect (t: TestContext, topics: string[]): Promise<IncomingRecord[]> {
  const records: IncomingRecord[] = []
  const consumer = await kafka.consume({ groupId: uniqueName('t-reader'), topics, fromBeginning: true, onRecord: r => { records.push(r) } })
  t.after(() => consumer.close())
  return records
}

async function request (gw: string, req: AvroRequest | Buffer, ep = ''): Promise<void> {
  const producer = await kafka.producer()
  await producer.send(`iot.${gw}.management.req`, [{ key: encodeKey(Buffer.isBuffer(req) ? ep : req.ep), value: Buffer.isBuffer(req) ? req : requestCodec.encode(req) }])
  await producer.close()
}

function replyFor (records: IncomingRecord[], ticket: string): AvroResponse | undefined {
  for (const r of records) {
    const reply = responseCodec.decode(r.value!)
    if (reply.ticket === ticket) return reply
  }
  return undefined
}

test('registrations: NEW, UPDATE and DELETE on iot.<gw>.registrations, keyed by endpoint', { timeout: 120_000 }, async t => {
  const { server, bridge } = await bridged(t)
  const records = await collect(t, [bridge.topics.registrations])
  const device = await startDevice(t, server)
  await device.register({ lt: 120 })
  await device.update({ lt: 240 })
  await device.deregister()
  await until('three registration records', () => records.length === 3, 30_000)
  const decoded = records.map(r => ({ key: decodeKey(r.key!), value: registrationCodec.decode(r.value!) }))
  assert.ok(decoded.every(d => d.key === device.endpoint))
  assert.deepEqual(decoded.map(d => d.value.kind), ['NEW', 'UPDATE', 'DELETE'])
  const created = decoded[0]!.value
  assert.equal(created.kind, 'NEW')
  const body = Object.values(created.body)[0] as { ep: string, lt: number, regId: string, port: number, serverId: string, links: Array<{ url: string }> }
  assert.equal(body.ep, device.endpoint)
  assert.equal(body.lt, 120)
  assert.equal(body.regId, device.registrationId)
  assert.equal(body.port, device.port)
  assert.equal(body.serverId, bridge.serverId)
  assert.deepEqual(body.links.map(l => l.url), ['/1/0', '/3/0', '/3303/0'])
  assert.equal((Object.values(decoded[1]!.value.body)[0] as { lt: number | null }).lt, 240)
  assert.equal((Object.values(decoded[2]!.value.body)[0] as { expired: boolean }).expired, false)
  await until('the acks counted', () => (server.snapshot().counters['lwm2m.kafka.acked'] ?? 0) >= 3, 10_000)
})

test('notifications go to iot.<gw>.observations with a stable ticket and observationId and the device\'s trace', { timeout: 120_000 }, async t => {
  const { server, bridge } = await bridged(t, { autoObserve: ['/3303/0/5700'] })
  const records = await collect(t, [bridge.topics.observations])
  const device = await startDevice(t, server)
  await device.register()
  await until('the auto-observation', () => device.observers.size === 1)
  for (let i = 0; i < 20; i++) {
    device.setTemperature(10 + i)
    device.notify('/3303/0/5700', { confirmable: i % 2 === 0 })
  }
  await until('21 observation records', () => records.length === 21, 30_000)
  const obs = records.map(r => ({ key: decodeKey(r.key!), value: observationCodec.decode(r.value!) }))
  const observationId = server.observations(device.endpoint)[0]!.id
  assert.ok(obs.every(o => o.key === device.endpoint && o.value.ticket === 'auto-observe' && o.value.observationId === observationId))
  assert.ok(obs.every(o => o.value.path === '/3303/0/5700' && o.value.rep.code === 'CONTENT' && o.value.rep.kind === 'observe'))
  const traced = obs.slice(1).map(o => {
    const content = readNode(o.value.rep.body)!
    const trace = traceOfContent(content)!
    assert.equal(trace.deviceId, device.endpoint)
    assert.equal(o.value.timestamp, trace.sentAtMs, 'the record time is the device send time')
    return { seq: trace.seq, value: plainValue((observedContent(content, '/3303/0/5700') as AvroResource).value) }
  })
  assert.deepEqual(traced.map(x => x.seq), Array.from({ length: 20 }, (_, i) => i))
  assert.deepEqual(traced.map(x => x.value), Array.from({ length: 20 }, (_, i) => 10 + i))
  await until('acks', () => server.snapshot().counters['lwm2m.kafka.acked'] === 22, 10_000) // 21 observations + NEW
})

test('management requests: a read and an observe get replies with their ticket; an unknown endpoint NOT_FOUND', { timeout: 120_000 }, async t => {
  const { server, bridge, gw } = await bridged(t)
  const replies = await collect(t, [bridge.topics.replies])
  const observations = await collect(t, [bridge.topics.observations])
  const device = await startDevice(t, server)
  await device.register()
  const base = { serverId: bridge.serverId, ep: device.endpoint }
  await request(gw, { ...base, ticket: 'read-1', payload: { kind: 'read', path: '/3/0', contentFormat: 'TLV', body: null } })
  await request(gw, { ...base, ticket: 'obs-1', payload: { kind: 'observe', path: '/3303/0/5700', contentFormat: 'JSON_CODE', body: null } })
  await request(gw, { ...base, ep: 'nobody-here', ticket: 'ghost-1', payload: { kind: 'read', path: '/3/0', contentFormat: 'TLV', body: null } })
  await until('three replies', () => replies.length === 3, 30_000)
  const read = replyFor(replies, 'read-1')!
  assert.equal(read.rep.code, 'CONTENT')
  assert.equal(read.rep.kind, 'read')
  assert.equal(read.ep, device.endpoint)
  assert.equal(decodeKey(replies.find(r => responseCodec.decode(r.value!).ticket === 'read-1')!.key!), device.endpoint)
  const instance = readNode(read.rep.body) as { kind: string, resources: AvroResource[] }
  assert.equal(instance.kind, 'INSTANCE')
  assert.equal(plainValue(instance.resources.find(r => r.id === 0)!.value), 'fleetlab')
  assert.equal(replyFor(replies, 'obs-1')?.rep.code, 'CONTENT')
  const ghost = replyFor(replies, 'ghost-1')!
  assert.equal(ghost.rep.code, 'NOT_FOUND')
  assert.equal(ghost.ep, 'nobody-here')

  device.notify('/3303/0/5700')
  await until('the notification of the requested observe', () => observations.length === 1, 30_000)
  const n = observationCodec.decode(observations[0]!.value!)
  assert.equal(n.ticket, 'obs-1', 'notifications carry the observe request\'s ticket')
  assert.equal(n.observationId, server.observations(device.endpoint)[0]!.id)
})

test('malformed requests are counted by reason, answered when a ticket can be recovered, and the server keeps serving', { timeout: 120_000 }, async t => {
  const { server, bridge, gw } = await bridged(t)
  const replies = await collect(t, [bridge.topics.replies])
  const device = await startDevice(t, server)
  await device.register()
  const base = { serverId: bridge.serverId, ep: device.endpoint }
  const valid = requestCodec.encode({ ...base, ticket: 'bad-kind', payload: { kind: 'read', path: '/3/0', contentFormat: 'TLV', body: null } })
  // The kind enum index sits right after the three strings: make it 42.
  const kindAt = valid.length - 1 /* body null */ - 1 /* format */ - (1 + 4) /* path */ - 1
  const badKind = Buffer.from(valid)
  badKind[kindAt] = 84
  await request(gw, Buffer.from('definitely not avro \u0000\u00ff'), device.endpoint)
  await request(gw, Buffer.alloc(0), device.endpoint)
  await request(gw, badKind, device.endpoint)
  await request(gw, { ...base, ticket: 'bad-path', payload: { kind: 'read', path: '3/0/x', contentFormat: 'TLV', body: null } })
  await request(gw, { ...base, ticket: 'bad-body', payload: { kind: 'write', path: '/3/0/13', contentFormat: 'TLV', body: null } })
  await request(gw, { ...base, ticket: 'after', payload: { kind: 'read', path: '/3/0/0', contentFormat: 'TEXT_CODE', body: null } })
  await until('four replies', () => replies.length === 4, 30_000)
  assert.equal(replyFor(replies, 'bad-kind')?.rep.code, 'BAD_REQUEST')
  assert.equal(replyFor(replies, 'bad-path')?.rep.code, 'BAD_REQUEST')
  assert.equal(replyFor(replies, 'bad-body')?.rep.code, 'BAD_REQUEST')
  const after = replyFor(replies, 'after')!
  assert.equal(after.rep.code, 'CONTENT')
  assert.equal(plainValue((readNode(after.rep.body) as AvroResource).value), 'fleetlab')
  const c = server.snapshot().counters
  assert.equal(c['lwm2m.bridge.malformed.avro'], 2)
  assert.equal(c['lwm2m.bridge.malformed.kind'], 1)
  assert.equal(c['lwm2m.bridge.malformed.path'], 1)
  assert.equal(c['lwm2m.bridge.malformed.body'], 1)
})
