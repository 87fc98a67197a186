// The Leshan harness against itself (real JVMs, free ports chosen by the OS): a Leshan client registers at the
// Leshan server, which reads, writes, executes, observes and cancels through its control API. Then what the harness
// server does with fleetlab's traced notifications, stock and with fleetlabTrace; the server's receive-buffer option,
// and one JVM hosting several clients (startLeshanClients, what bench:lwm2m measures Leshan clients' memory with).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SetupMissingError } from '../../../lib/errors.ts'
import { projectRoot } from '../../../lib/home.ts'
import { standardObjects } from '../../../lib/lwm2m/objects.ts'
import { leshanVersion, startLeshanClient, startLeshanClients, startLeshanServer } from '../../../platform/leshan/harness.ts'
import type { LeshanServer } from '../../../platform/leshan/harness.ts'
import type { LeshanEvent } from '../../../platform/leshan/control-api.ts'
import { LeshanApiError } from '../../../platform/leshan/control-api.ts'
import { uniqueName } from '../../helpers.ts'
import { TracedDevice } from './traced-device.ts'

const isNotification = (ep: string) => (e: LeshanEvent): e is Extract<LeshanEvent, { type: 'NOTIFICATION' }> =>
  e.type === 'NOTIFICATION' && e.endpoint === ep

async function lastSeq (server: LeshanServer): Promise<number> {
  return (await server.events()).at(-1)?.seq ?? 0
}

test('leshanVersion is the version scripts/jvm/leshan/pom.xml pins', async () => {
  const pom = await readFile(join(projectRoot, 'scripts/jvm/leshan/pom.xml'), 'utf8')
  assert.equal(/<leshan\.version>(.*)<\/leshan\.version>/.exec(pom)?.[1], leshanVersion)
})

test('without the built harness, startLeshanServer fails with SetupMissingError and says to run setup', async t => {
  const home = await mkdtemp(join(tmpdir(), 'fleetlab-leshan-'))
  t.after(() => rm(home, { recursive: true, force: true }))
  await assert.rejects(startLeshanServer({ home }), (err: unknown) => {
    assert.ok(err instanceof SetupMissingError)
    assert.match(err.message, /Leshan harness is not built/)
    assert.match(err.hint ?? '', /npm run setup/)
    return true
  })
})

test('a Leshan client registers at the Leshan harness server, which reads, writes, executes and observes it', async t => {
  const server = await startLeshanServer()
  t.after(() => server.stop())
  assert.match(server.coapUrl, /^coap:\/\/127\.0\.0\.1:\d+$/)
  const endpoint = uniqueName('leshan-client')
  const client = await startLeshanClient({ endpoint, serverUrl: server.coapUrl, lifetime: 120 })
  t.after(() => client.stop())
  assert.match(client.registrationId, /^\S+$/)

  await t.test('GET /api/clients lists the registration, and a REGISTRATION event was logged', async () => {
    const clients = await server.clients()
    const reg = clients.find(c => c.endpoint === endpoint)
    assert.ok(reg, `${endpoint} in ${JSON.stringify(clients)}`)
    assert.equal(reg.registrationId, client.registrationId)
    assert.equal(reg.lifetime, 120)
    assert.equal(reg.lwm2mVersion, '1.1')
    assert.match(reg.address, /^127\.0\.0\.1:\d+$/)
    for (const link of ['</1/0>', '</3/0>', '</3303/0>']) assert.ok(reg.objectLinks.includes(link), `${link} in ${reg.objectLinks.join(',')}`)
    assert.deepEqual(await server.client(endpoint), reg)
    assert.equal(await server.client('nobody-here'), undefined)
    const registered = await server.waitForEvent(e => e.type === 'REGISTRATION' && e.endpoint === endpoint, { timeoutMs: 1000 })
    assert.equal(registered.registrationId, client.registrationId)
  })

  await t.test('read /3/0 gives the same Device resources in TLV, SenML JSON and SenML CBOR', async () => {
    const tlv = await server.read(endpoint, '/3/0', { format: 'TLV' })
    assert.equal(tlv.code, 'CONTENT')
    assert.equal(tlv.success, true)
    assert.equal(tlv.content?.['/3/0/0'], 'fleetlab')
    assert.equal(tlv.content?.['/3/0/1'], 'Leshan client 2.0.0-M15')
    assert.equal(tlv.content?.['/3/0/2'], endpoint)
    assert.equal(tlv.content?.['/3/0/16'], 'U')
    for (const format of ['SENML_JSON', 'SENML_CBOR'] as const) {
      const other = await server.read(endpoint, '/3/0', { format })
      assert.deepEqual(sorted(other.content), sorted(tlv.content), format)
    }
  })

  await t.test('read of a single resource in text; a missing one is a NOT_FOUND answer, not an API error', async () => {
    const value = await server.read(endpoint, '/3303/0/5700', { format: 'TEXT' })
    assert.equal(typeof value.content?.['/3303/0/5700'], 'number')
    const missing = await server.read(endpoint, '/3/0/9')
    assert.equal(missing.success, false)
    assert.equal(missing.code, 'NOT_FOUND')
  })

  await t.test('write replaces a resource (typed by the model), execute runs one', async () => {
    const written = await server.write(endpoint, '/3/0/15', 'Europe/Paris', { format: 'TEXT' })
    assert.equal(written.code, 'CHANGED')
    assert.equal((await server.read(endpoint, '/3/0/15', { format: 'TEXT' })).content?.['/3/0/15'], 'Europe/Paris')
    const executed = await server.execute(endpoint, '/3303/0/5605')
    assert.equal(executed.code, 'CHANGED')
  })

  await t.test('API errors: unknown endpoint 404, unknown format 400', async () => {
    await assert.rejects(server.read('nobody-here', '/3/0'), (err: unknown) => err instanceof LeshanApiError && err.status === 404)
    await assert.rejects(server.read(endpoint, '/3/0', { format: 'NOPE' as 'TLV' }), (err: unknown) => err instanceof LeshanApiError && err.status === 400)
  })

  await t.test('observe /3303/0/5700 yields NOTIFICATION events every second; an active cancel stops them', async () => {
    const since = await lastSeq(server)
    const first = await server.observe(endpoint, '/3303/0/5700', { format: 'SENML_JSON' })
    assert.equal(first.code, 'CONTENT')
    assert.equal(typeof first.content?.['/3303/0/5700'], 'number')
    const n1 = await server.waitForEvent(isNotification(endpoint), { since, timeoutMs: 5000 })
    const n2 = await server.waitForEvent(isNotification(endpoint), { since: n1.seq, timeoutMs: 5000 })
    for (const n of [n1, n2]) {
      assert.equal(n.path, '/3303/0/5700')
      assert.equal(typeof n.value['/3303/0/5700'], 'number')
      assert.equal(n.registrationId, client.registrationId)
    }
    assert.ok(n2.receivedAtMs - n1.receivedAtMs >= 500, `notifications ${n2.receivedAtMs - n1.receivedAtMs} ms apart`)
    const stats = await server.stats()
    assert.ok(stats.notifications >= 2, JSON.stringify(stats))
    assert.equal(stats.registrations, 1)
    assert.equal(stats.notificationErrors, 0)

    const cancelled = await server.cancelObserve(endpoint, '/3303/0/5700', { active: true })
    assert.equal('code' in cancelled ? cancelled.code : undefined, 'CONTENT')
    const after = await lastSeq(server)
    await new Promise(resolve => setTimeout(resolve, 2500))
    const late = (await server.events(after)).filter(isNotification(endpoint))
    assert.deepEqual(late, [], 'no notification after the cancel')
  })

  await t.test('Observe-Composite of two paths: one answer and notifications with both, until cancelled', async () => {
    const paths = ['/3303/0/5700', '/3/0/1']
    const since = await lastSeq(server)
    const first = await server.observeComposite(endpoint, paths, { format: 'SENML_JSON' })
    assert.equal(first.code, 'CONTENT')
    assert.deepEqual(Object.keys(first.content ?? {}).sort(), ['/3/0/1', '/3303/0/5700'])
    const n = await server.waitForEvent(isNotification(endpoint), { since, timeoutMs: 5000 })
    assert.deepEqual(n.paths, paths)
    assert.equal(n.value['/3/0/1'], 'Leshan client 2.0.0-M15')
    assert.deepEqual(await server.cancelObserveComposite(endpoint, paths), { cancelled: 1 })
  })

  await t.test('the server knows fleetlab\'s objects as lib/lwm2m/objects.ts defines them', async () => {
    const models = await server.models()
    const leshanType: Record<string, string> = {
      string: 'STRING', integer: 'INTEGER', unsigned: 'UNSIGNED_INTEGER', float: 'FLOAT', boolean: 'BOOLEAN',
      opaque: 'OPAQUE', time: 'TIME', objlnk: 'OBJLNK', corelnk: 'CORELINK', none: 'NONE',
    }
    for (const def of standardObjects.filter(d => d.id >= 3300)) {
      const model = models.find(m => m.id === def.id && m.version === def.version)
      assert.ok(model, `object ${def.id} version ${def.version} known`)
      const expected = Object.fromEntries([...def.resources.values()].map(r => [String(r.id), leshanType[r.type]]))
      assert.deepEqual(sorted(model.resources), sorted(expected), `object ${def.id}`)
    }
    for (const id of [3301, 3303, 3304, 3315]) {
      assert.ok(models.some(m => m.id === id && m.version === '1.0'), `object ${id} also as version 1.0 (no ver= in a registration)`)
    }
  })

  await t.test('stopping the client deregisters it', async () => {
    const since = await lastSeq(server)
    await client.stop()
    const gone = await server.waitForEvent(e => e.type === 'DEREGISTRATION' && e.endpoint === endpoint, { since, timeoutMs: 5000 })
    assert.equal(gone.type === 'DEREGISTRATION' && gone.expired, false)
    assert.deepEqual(await server.clients(), [])
  })
})

test('fleetlab-traced notifications: stock Leshan rejects the trace records, fleetlabTrace takes them out', async t => {
  const stock = await startLeshanServer()
  t.after(() => stock.stop())
  const traced = await startLeshanServer({ fleetlabTrace: true })
  t.after(() => traced.stop())

  await t.test('stock: Leshan refuses a single-path SenML notification with records outside the observed path', async () => {
    const device = await TracedDevice.start(uniqueName('traced'), { host: '127.0.0.1', port: stock.coapPort })
    t.after(() => device.close())
    assert.equal(await device.register(), 0x41) // 2.01 Created
    // the first response carries the trace too: Leshan cannot decode it, and says why
    await assert.rejects(stock.observe(device.endpoint, '/3303/0/5700', { format: 'SENML_JSON' }),
      (err: unknown) => err instanceof LeshanApiError && err.status === 502 && /Invalid path \[\/33000\/0\/0\]/.test(err.message))
  })

  await t.test('fleetlabTrace: notifications decode, and each event carries the trace (sequence, send time, device id)', async () => {
    for (const format of ['SENML_JSON', 'SENML_CBOR'] as const) {
      const device = await TracedDevice.start(uniqueName('traced'), { host: '127.0.0.1', port: traced.coapPort })
      t.after(() => device.close())
      assert.equal(await device.register(), 0x41)
      const since = await lastSeq(traced)
      const first = await traced.observe(device.endpoint, '/3303/0/5700', { format })
      assert.equal(first.code, 'CONTENT', format)
      assert.deepEqual(Object.keys(first.content ?? {}), ['/3303/0/5700'])
      const n = await traced.waitForEvent(isNotification(device.endpoint), { since, timeoutMs: 5000 })
      assert.deepEqual(Object.keys(n.value), ['/3303/0/5700'], format)
      assert.ok(n.trace, `${format}: trace on ${JSON.stringify(n)}`)
      assert.equal(n.trace.deviceId, device.endpoint)
      assert.ok(n.trace.seq >= 1, `seq ${n.trace.seq}`)
      // the SenML base time is the send time in seconds: Leshan reports it as the value's timestamp
      assert.equal(n.timestampMs, n.trace.sentAtMs, format)
      assert.ok(n.receivedAtMs >= n.trace.sentAtMs && n.receivedAtMs - n.trace.sentAtMs < 2000, `${format}: latency ${n.receivedAtMs - n.trace.sentAtMs} ms`)
      await traced.cancelObserve(device.endpoint, '/3303/0/5700')
    }
    const stats = await traced.stats()
    assert.equal(stats.notificationErrors, 0)
    assert.ok(stats.tracesStripped >= 4, JSON.stringify(stats))
  })
})

test('recvBufferBytes sets the CoAP socket\'s receive buffer; startLeshanClients hosts several clients in one JVM and reports its memory', async t => {
  // 256 KiB: under any usual net.core.rmem_max; Linux grants it doubled
  const server = await startLeshanServer({ recvBufferBytes: 256 * 1024 })
  t.after(() => server.stop())
  assert.equal(server.coapRecvBuffer.askedBytes, 256 * 1024)
  assert.ok((server.coapRecvBuffer.gotBytes ?? 0) >= 256 * 1024, JSON.stringify(server.coapRecvBuffer))

  const prefix = `${uniqueName('many')}-`
  const clients = await startLeshanClients({ serverUrl: server.coapUrl, prefix, heapMb: 128 })
  t.after(() => clients.stop())
  const none = await clients.memory()
  assert.equal(none.clients, 0)
  assert.ok(none.heapUsedBytes > 0 && none.threads > 0 && none.rssBytes !== 0, JSON.stringify(none))

  const three = await clients.resize(3)
  assert.deepEqual({ ...three, ms: 0 }, { running: 3, registered: 3, failures: 0, ms: 0 })
  assert.deepEqual((await server.clients()).map(c => c.endpoint).sort(), [`${prefix}0`, `${prefix}1`, `${prefix}2`])
  const some = await clients.memory()
  assert.equal(some.registered, 3)
  assert.ok(some.threads > none.threads, `threads ${none.threads} -> ${some.threads}`)

  const since = await lastSeq(server)
  assert.equal((await clients.resize(1)).running, 1)
  await server.waitForEvent(e => e.type === 'DEREGISTRATION' && e.endpoint === `${prefix}2`, { since, timeoutMs: 5000 })
  assert.deepEqual((await server.clients()).map(c => c.endpoint), [`${prefix}0`])
  // while the server answers: the last client deregisters on the way out
  await clients.stop()
  assert.deepEqual(await server.clients(), [])
})

function sorted<T> (record: Record<string, T> | undefined): Array<[string, T]> {
  return Object.entries(record ?? {}).sort(([a], [b]) => a.localeCompare(b))
}
