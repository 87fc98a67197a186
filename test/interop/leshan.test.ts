// Interop with software no one here wrote (issue 3): Eclipse Leshan 2.0.0-M15 (platform/leshan/harness.ts, its real
// libraries in JVMs) against fleetlab's virtual devices and fleetlab's LWM2M server with its Kafka bridge.
//   1. `fleetlab devices --no-trace` (the real binary) registers at stock Leshan, which lists, reads and observes them;
//      Ctrl-C deregisters them.
//   2. Traced SenML CBOR devices (the simulator's Fleet) at Leshan with fleetlabTrace: the trace survives.
//   3. Leshan's client registers at our server; reads and observes go through the Kafka management topics of a real
//      edge broker (process runtime) and come back as replies and observation records.
// libcoap's coap-client against our server is in test/platform/lwm2m-server/registration-interface.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { projectRoot } from '../../lib/home.ts'
import { startLeshanClient, startLeshanServer } from '../../platform/leshan/harness.ts'
import type { LeshanServer } from '../../platform/leshan/harness.ts'
import type { LeshanEvent } from '../../platform/leshan/control-api.ts'
import { decodeKey, encodeKey, observationCodec, registrationCodec, requestCodec, responseCodec } from '../../platform/lwm2m-server/avro/codec.ts'
import { plainValue, readNode } from '../../platform/lwm2m-server/avro/records.ts'
import type { AvroInstanceResource, AvroRegistrationDelete, AvroRegistrationNew, AvroRequest, AvroResource, AvroResponse, AvroResponseObserve } from '../../platform/lwm2m-server/avro/types.ts'
import { KafkaBridge, Lwm2mServer } from '../../platform/lwm2m-server/index.ts'
import { Fleet, endpointName } from '../../simulator/fleet.ts'
import { defaultPlacement } from '../../simulator/placement.ts'
import { uniqueName, waitFor } from '../helpers.ts'
import { cleanups, collect, startEdgeKafka } from './helpers.ts'

type Notification = Extract<LeshanEvent, { type: 'NOTIFICATION' }>
type Deregistration = Extract<LeshanEvent, { type: 'DEREGISTRATION' }>

const SENSOR = '/3303/0/5700'
/** fleetlab's default 3303 generator is a diurnal sine 21 ± 4 °C with noise; Leshan's client a sine 21 ± 2 °C. */
const PLAUSIBLE_CELSIUS: readonly [number, number] = [10, 35]

const isNotification = (ep: string) => (e: LeshanEvent): e is Notification => e.type === 'NOTIFICATION' && e.endpoint === ep

async function lastSeq (server: LeshanServer): Promise<number> {
  return (await server.events()).at(-1)?.seq ?? 0
}

/** The next `n` events `match` accepts after `since`, in order. */
async function nextEvents<E extends LeshanEvent> (server: LeshanServer, match: (e: LeshanEvent) => e is E, n: number, since: number, timeoutMs: number): Promise<E[]> {
  const found: E[] = []
  const deadline = Date.now() + timeoutMs
  while (found.length < n) {
    const e = await server.waitForEvent(match, { since, timeoutMs: Math.max(1, deadline - Date.now()) })
    found.push(e)
    since = e.seq
  }
  return found
}

function assertPlausibleTemperature (value: unknown, what: string): void {
  assert.equal(typeof value, 'number', `${what}: ${JSON.stringify(value)}`)
  const v = value as number
  assert.ok(Number.isFinite(v) && v >= PLAUSIBLE_CELSIUS[0] && v <= PLAUSIBLE_CELSIUS[1], `${what}: ${v} °C`)
}

test('fleetlab devices (untraced) at stock Leshan: listed, read in TLV and SenML, observed, and deregistered on Ctrl-C', { timeout: 180_000 }, async t => {
  const defer = cleanups(t)
  const server = await startLeshanServer({ readyTimeoutMs: 60_000 })
  defer(() => server.stop())
  const prefix = `${uniqueName('itp')}-`
  const count = 5
  const endpoints = Array.from({ length: count }, (_, i) => endpointName(prefix, i, count))

  // the real binary, as a user points it at their own Leshan; stopped with Ctrl-C once Leshan has seen enough
  const cli = spawn(process.execPath, [join(projectRoot, 'cli', 'bin.js'), 'devices', '--server', server.coapUrl,
    '--count', String(count), '--rate', '1/s', '--duration', '150s', '--lifetime', '120', '--no-trace', '--seed', '3',
    '--endpoint-prefix', prefix, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
  defer(() => { if (cli.exitCode === null && cli.signalCode === null) cli.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  cli.stdout.on('data', d => { stdout += String(d) })
  cli.stderr.on('data', d => { stderr += String(d) })
  // 'close': the exit code, and stdout read to its end
  const exited = new Promise<number | null>(resolve => cli.once('close', code => resolve(code)))

  await t.test('GET /api/clients lists the 5 endpoints with their object links', async () => {
    const ours = await waitFor('5 registrations at Leshan', async () => {
      const clients = (await server.clients()).filter(c => c.endpoint.startsWith(prefix))
      return clients.length === count ? clients : undefined
    }, 60_000)
    assert.deepEqual(ours.map(c => c.endpoint).sort(), endpoints)
    for (const c of ours) {
      assert.equal(c.lifetime, 120, c.endpoint)
      assert.equal(c.lwm2mVersion, '1.1', c.endpoint)
      assert.equal(c.bindingMode, 'U', c.endpoint)
      assert.match(c.address, /^127\.\d+\.\d+\.\d+:\d+$/)
      for (const link of ['</1/0>', '</3/0>', '</3303/0>']) assert.ok(c.objectLinks.includes(link), `${c.endpoint}: ${link} in ${c.objectLinks.join(',')}`)
    }
    assert.equal(new Set(ours.map(c => c.address)).size, count, 'each device has its own source address:port')
  })

  await t.test('read /3/0 in TLV, SenML JSON and SenML CBOR: the Device object our devices expose', async () => {
    for (const [index, ep] of endpoints.entries()) {
      const tlv = await server.read(ep, '/3/0', { format: 'TLV', timeoutS: 10 })
      assert.equal(tlv.code, 'CONTENT', `${ep}: ${JSON.stringify(tlv)}`)
      const c = tlv.content ?? {}
      assert.equal(c['/3/0/0'], 'fleetlab')
      assert.equal(c['/3/0/1'], 'fleetlab-virtual-lwm2m')
      assert.equal(c['/3/0/2'], `FL${String(index).padStart(8, '0')}`)
      assert.equal(c['/3/0/3'], '1.0.0')
      assert.equal(c['/3/0/16'], 'U')
      for (const format of ['SENML_JSON', 'SENML_CBOR'] as const) {
        const other = await server.read(ep, '/3/0', { format, timeoutS: 10 })
        assert.equal(other.code, 'CONTENT', `${ep} ${format}`)
        // /3/0/13 Current Time moves between two reads
        assert.deepEqual(withoutTime(other.content), withoutTime(tlv.content), `${ep}: ${format} as TLV`)
      }
    }
  })

  await t.test('observe /3303/0/5700 (SenML JSON): NOTIFICATION events with plausible temperatures', async () => {
    const ep = endpoints[2]!
    const since = await lastSeq(server)
    const first = await server.observe(ep, SENSOR, { format: 'SENML_JSON', timeoutS: 10 })
    assert.equal(first.code, 'CONTENT', JSON.stringify(first))
    assertPlausibleTemperature(first.content?.[SENSOR], 'observe response')
    const notes = await nextEvents(server, isNotification(ep), 3, since, 20_000)
    for (const n of notes) {
      assert.equal(n.path, SENSOR)
      assert.deepEqual(Object.keys(n.value), [SENSOR])
      assertPlausibleTemperature(n.value[SENSOR], `notification ${n.seq}`)
      assert.equal(n.trace, undefined, 'untraced devices, stock server')
    }
    const errors = (await server.events(since)).filter(e => e.type === 'NOTIFICATION_ERROR')
    assert.deepEqual(errors, [], 'Leshan decoded every notification')
    assert.equal((await server.stats()).notificationErrors, 0)
  })

  await t.test('Ctrl-C: every device deregisters (DEREGISTRATION events, Leshan\'s list empty), exit 130', async () => {
    const since = await lastSeq(server)
    cli.kill('SIGINT')
    const code = await Promise.race([exited, new Promise<'timeout'>(resolve => setTimeout(() => resolve('timeout'), 30_000))])
    assert.equal(code, 130, `exit ${String(code)}; stderr:\n${stderr}`)
    const gone = await nextEvents(server, (e): e is Deregistration => e.type === 'DEREGISTRATION' && e.endpoint.startsWith(prefix), count, since, 10_000)
    assert.deepEqual(gone.map(e => e.endpoint).sort(), endpoints)
    assert.ok(gone.every(e => !e.expired), 'deregistered, not expired')
    assert.deepEqual(await server.clients(), [])
    const summary = JSON.parse(stdout) as { everRegistered: number, deregistered: { clean: number, unclean: number }, errors: Record<string, number>, interrupted: boolean }
    assert.equal(summary.everRegistered, count)
    assert.deepEqual(summary.deregistered, { clean: count, unclean: 0 })
    assert.deepEqual(summary.errors, {})
    assert.equal(summary.interrupted, true)
  })
})

test('traced SenML CBOR devices at Leshan with fleetlabTrace: notifications decode and carry sequence, device id and send time', { timeout: 180_000 }, async t => {
  const defer = cleanups(t)
  const server = await startLeshanServer({ fleetlabTrace: true, readyTimeoutMs: 60_000 })
  defer(() => server.stop())
  const prefix = `${uniqueName('itt')}-`
  const count = 3
  const fleet = new Fleet({
    protocol: 'lwm2m',
    driver: {
      server: { host: server.host, port: server.coapPort }, lifetimeS: 120, ratePerS: 1, format: 112,
      objects: [{ objectId: 3303, instances: 1 }], trace: true,
    },
    count, endpointPrefix: prefix, placement: defaultPlacement(server.host), registrationRate: 50, seed: 11,
  })
  let stopped = false
  defer(async () => { if (!stopped) await fleet.stop() })
  const counters = new Map<string, number>()
  fleet.events.on('counter', (name: string, v: number) => counters.set(name, (counters.get(name) ?? 0) + v))
  fleet.start()
  await fleet.allRegistered(60_000)
  const endpoints = Array.from({ length: count }, (_, i) => endpointName(prefix, i, count))
  await waitFor('3 registrations at Leshan', async () => (await server.clients()).filter(c => c.endpoint.startsWith(prefix)).length === count ? true : undefined, 20_000)

  await t.test('two devices observed in SenML CBOR: each notification\'s trace names its device, its sequence steps by 1', async () => {
    const observed = endpoints.slice(0, 2)
    const since = await lastSeq(server)
    for (const ep of observed) {
      const first = await server.observe(ep, SENSOR, { format: 'SENML_CBOR', timeoutS: 10 })
      assert.equal(first.code, 'CONTENT', `${ep}: ${JSON.stringify(first)}`)
      assert.deepEqual(Object.keys(first.content ?? {}), [SENSOR], 'the trace records are not part of the observed node')
    }
    for (const ep of observed) {
      const notes = await nextEvents(server, isNotification(ep), 4, since, 30_000)
      for (const n of notes) {
        assert.deepEqual(Object.keys(n.value), [SENSOR])
        assertPlausibleTemperature(n.value[SENSOR], `${ep} notification ${n.seq}`)
        assert.ok(n.trace, `trace on ${JSON.stringify(n)}`)
        assert.equal(n.trace.deviceId, ep)
        // the SenML base time is the send time: Leshan reports it as the value's timestamp (bt is seconds, ms precision)
        assert.ok(n.timestampMs !== undefined && Math.abs(n.timestampMs - n.trace.sentAtMs) <= 1, `timestamp ${String(n.timestampMs)} vs sent ${n.trace.sentAtMs}`)
        const latency = n.receivedAtMs - n.trace.sentAtMs
        assert.ok(latency > -50 && latency < 5000, `${ep}: received ${latency} ms after the send time`)
      }
      const seqs = notes.map(n => n.trace!.seq)
      assert.deepEqual(seqs, seqs.map((_, i) => seqs[0]! + i), `${ep}: consecutive sequence numbers ${seqs.join(',')}`)
      const sent = notes.map(n => n.trace!.sentAtMs)
      for (let i = 1; i < sent.length; i++) assert.ok(sent[i]! > sent[i - 1]!, `${ep}: send times increase ${sent.join(',')}`)
    }
    const late = (await server.events(since)).filter(e => e.type === 'NOTIFICATION' && e.endpoint === endpoints[2])
    assert.deepEqual(late, [], 'the device nobody observes does not notify')
    const stats = await server.stats()
    assert.equal(stats.notificationErrors, 0)
    assert.ok(stats.tracesStripped >= 8, JSON.stringify(stats))
  })

  await t.test('stopping the fleet deregisters every device', async () => {
    const since = await lastSeq(server)
    stopped = true
    const result = await fleet.stop()
    assert.deepEqual(result, { clean: count, unclean: 0 })
    const gone = await nextEvents(server, (e): e is Deregistration => e.type === 'DEREGISTRATION' && e.endpoint.startsWith(prefix), count, since, 10_000)
    assert.deepEqual(gone.map(e => e.endpoint).sort(), endpoints)
    assert.deepEqual(await server.clients(), [])
    assert.deepEqual([...counters].filter(([k]) => k.startsWith('errors.')), [])
  })
})

test('Leshan\'s client at our server: registrations, a read and an observe through the Kafka management topics', { timeout: 300_000 }, async t => {
  const defer = cleanups(t)
  const kafka = await startEdgeKafka(defer)
  const server = new Lwm2mServer({ port: 0, autoObserve: [] })
  await server.start()
  defer(() => server.stop())
  const gw = uniqueName('gw')
  const bridge = new KafkaBridge({ server, kafka, gateway: gw })
  await bridge.start()
  defer(() => bridge.stop())
  const registrations = await collect(defer, kafka, bridge.topics.registrations)
  const replies = await collect(defer, kafka, bridge.topics.replies)
  const observations = await collect(defer, kafka, bridge.topics.observations)

  const endpoint = uniqueName('leshan')
  const client = await startLeshanClient({ endpoint, serverUrl: `coap://127.0.0.1:${server.address().port}`, lifetime: 120, registerTimeoutMs: 60_000 })
  let clientStopped = false
  defer(async () => { if (!clientStopped) await client.stop() })
  const base = { serverId: bridge.serverId, ep: endpoint }
  const send = async (req: AvroRequest): Promise<void> => {
    const producer = await kafka.producer()
    try {
      await producer.send(bridge.topics.requests, [{ key: encodeKey(req.ep), value: requestCodec.encode(req) }])
    } finally {
      await producer.close()
    }
  }
  const reply = (ticket: string): Promise<{ key: string, value: AvroResponse }> => waitFor(`the reply to ${ticket}`, async () => {
    for (const r of replies) {
      const value = responseCodec.decode(r.value!)
      if (value.ticket === ticket) return { key: decodeKey(r.key!), value }
    }
    return undefined
  }, 60_000)
  const observationsOf = (ticket: string): AvroResponseObserve[] => observations
    .filter(r => decodeKey(r.key!) === endpoint)
    .map(r => observationCodec.decode(r.value!))
    .filter(o => o.ticket === ticket)

  await t.test('a NEW registration record keyed by the endpoint, with the registration Leshan\'s client got', async () => {
    const created = await waitFor('the NEW record', async () => registrations.find(r => decodeKey(r.key!) === endpoint), 60_000)
    const value = registrationCodec.decode(created.value!)
    assert.equal(value.kind, 'NEW')
    const body = Object.values(value.body)[0] as AvroRegistrationNew
    assert.equal(body.ep, endpoint)
    assert.equal(body.lt, 120)
    assert.equal(body.regId, client.registrationId)
    assert.equal(body.ver, '1.1')
    assert.equal(body.bnd, 'U')
    assert.equal(body.serverId, bridge.serverId)
    const urls = body.links.map(l => l.url)
    for (const url of ['/1/0', '/3/0', '/3303/0']) assert.ok(urls.includes(url), `${url} in ${urls.join(',')}`)
  })

  await t.test('a read of /3/0 (TLV) is answered with its ticket, CONTENT and the device\'s manufacturer', async () => {
    const ticket = uniqueName('read')
    await send({ ...base, ticket, payload: { kind: 'read', path: '/3/0', contentFormat: 'TLV', body: null } })
    const { key, value } = await reply(ticket)
    assert.equal(key, endpoint)
    assert.equal(value.ep, endpoint)
    assert.equal(value.rep.kind, 'read')
    assert.equal(value.rep.code, 'CONTENT', JSON.stringify(value.rep.body))
    const instance = readNode(value.rep.body) as AvroInstanceResource
    assert.equal(instance.kind, 'INSTANCE')
    const resource = (id: number): unknown => { const r = instance.resources.find(x => x.id === id); return r === undefined ? undefined : plainValue(r.value) }
    assert.equal(resource(0), 'fleetlab')
    assert.equal(resource(1), 'Leshan client 2.0.0-M15')
    assert.equal(resource(2), endpoint)
  })

  const observeTicket = uniqueName('observe')
  await t.test('an observe of /3303/0/5700 (SenML JSON) is answered, then notifications arrive on iot.<gw>.observations', async () => {
    await send({ ...base, ticket: observeTicket, payload: { kind: 'observe', path: SENSOR, contentFormat: 'JSON_CODE', body: null } })
    const { value } = await reply(observeTicket)
    assert.equal(value.rep.code, 'CONTENT', JSON.stringify(value.rep.body))
    assert.equal(value.rep.kind, 'observe')
    assertPlausibleTemperature(plainValue((readNode(value.rep.body) as AvroResource).value), 'observe reply')
    // the first record is the observe's own response, then one per notification (Leshan's sensor changes every second)
    const records = await waitFor('3 observation records', async () => { const o = observationsOf(observeTicket); return o.length >= 3 ? o : undefined }, 30_000)
    for (const o of records) {
      assert.equal(o.ep, endpoint)
      assert.equal(o.path, SENSOR)
      assert.equal(o.rep.code, 'CONTENT')
      assert.equal(o.rep.kind, 'observe')
      assert.equal(o.observationId, records[0]!.observationId)
      assertPlausibleTemperature(plainValue((readNode(o.rep.body) as AvroResource).value), `observation at ${o.timestamp}`)
    }
    const times = records.map(o => o.timestamp)
    assert.ok(times.every((ts, i) => i === 0 || ts >= times[i - 1]!), `timestamps in order: ${times.join(',')}`)
  })

  await t.test('an observeCancel stops the observation records', async () => {
    const flowing = observationsOf(observeTicket).length
    await waitFor('one more observation record before the cancel', async () => observationsOf(observeTicket).length > flowing ? true : undefined, 15_000)
    const ticket = uniqueName('cancel')
    await send({ ...base, ticket, payload: { kind: 'observeCancel', path: SENSOR, contentFormat: 'TLV', body: null } })
    const { value } = await reply(ticket)
    assert.equal(value.rep.code, 'CHANGED', JSON.stringify(value.rep.body))
    assert.deepEqual(server.observations(endpoint), [])
    assert.equal(server.snapshot().counters['lwm2m.observe.cancelled'], 1)
    // a notification already on its way may still land; none after that
    await new Promise(resolve => setTimeout(resolve, 1500))
    const settled = observationsOf(observeTicket).length
    await new Promise(resolve => setTimeout(resolve, 3000))
    assert.equal(observationsOf(observeTicket).length, settled, 'no observation record after the cancel')
  })

  await t.test('stopping Leshan\'s client produces a DELETE registration record', async () => {
    clientStopped = true
    await client.stop()
    const deleted = await waitFor('the DELETE record', async () => registrations
      .filter(r => decodeKey(r.key!) === endpoint)
      .map(r => registrationCodec.decode(r.value!))
      .find(v => v.kind === 'DELETE'), 30_000)
    const body = Object.values(deleted.body)[0] as AvroRegistrationDelete
    assert.equal(body.ep, endpoint)
    assert.equal(body.expired, false)
    assert.equal(server.registration(endpoint), undefined)
  })
})

function withoutTime (content: Record<string, unknown> | undefined): Array<[string, unknown]> {
  return Object.entries(content ?? {}).filter(([k]) => k !== '/3/0/13').sort(([a], [b]) => a.localeCompare(b))
}
