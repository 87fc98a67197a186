// A virtual LWM2M device against the tiny test server, over real UDP on loopback: registration interface, device
// management, information reporting with the trace, pmin/pmax, execute, write, discover, CoAP reliability.
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { Code, OptionNumber, decode, encode, observe as observeOption, stringOption, uintOption } from '../../../lib/coap/index.ts'
import type { CoapMessage } from '../../../lib/coap/index.ts'
import { decodeNode, encodeNode } from '../../../lib/lwm2m/content-format.ts'
import { parseDiscover } from '../../../lib/lwm2m/link-format.ts'
import type { ObjectInstance } from '../../../lib/lwm2m/model.ts'
import { parsePath } from '../../../lib/lwm2m/path.ts'
import { decodeTracedNotification, extractTrace } from '../../../lib/lwm2m/trace.ts'
import { createDriver, defaultDriverContext } from '../../../simulator/driver.ts'
import type { Device } from '../../../simulator/driver.ts'
import type { Lwm2mDriverOptions } from '../../../simulator/lwm2m/options.ts'
import { uniqueName } from '../../helpers.ts'
import { TestLwm2mServer } from '../test-server.ts'
import type { Notification, ServerOptions } from '../test-server.ts'

interface Setup {
  server: TestLwm2mServer
  device: Device
  endpoint: string
  counters: Map<string, number>
}

async function setup (t: TestContext, options: Partial<Lwm2mDriverOptions> = {}, serverOptions: ServerOptions = {}, waitRegistered = true): Promise<Setup> {
  const server = await TestLwm2mServer.start(serverOptions)
  const driver = createDriver('lwm2m', {
    server: { host: server.host, port: server.port }, lifetimeS: 60, ratePerS: 1, format: 110,
    objects: [{ objectId: 3303, instances: 1 }, { objectId: 3304, instances: 1 }], ...options,
  }, defaultDriverContext(42))
  const events = new EventEmitter()
  const counters = new Map<string, number>()
  events.on('counter', (name: string, v: number) => counters.set(name, (counters.get(name) ?? 0) + v))
  const endpoint = uniqueName('dev')
  const device = driver.createDevice({ index: 0, endpoint, bindAddress: '127.0.0.1' }, events)
  t.after(async () => {
    device.close()
    driver.close()
    await server.close()
  })
  device.start()
  if (waitRegistered) await server.waitFor('registration', () => server.registrations.has(endpoint) && device.status === 'registered')
  return { server, device, endpoint, counters }
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
const traces = (list: readonly Notification[]): Array<{ seq: number, sentAtMs: number, deviceId: string }> =>
  list.map(n => extractTrace(n.format!, n.payload)!)

test('registers with POST /rd?ep&lt&lwm2m=1.1&b=U and its object links', async t => {
  const { server, endpoint } = await setup(t, { lifetimeS: 45, objects: [{ objectId: 3303, instances: 2 }, { objectId: 3304, instances: 1 }] })
  const reg = server.registrations.get(endpoint)!
  assert.deepEqual(reg.query, { ep: endpoint, lt: '45', lwm2m: '1.1', b: 'U' })
  assert.equal(reg.address, '127.0.0.1')
  assert.deepEqual(reg.links.contentFormats, [110, 112, 11542])
  const instances = reg.links.objects.filter(o => o.instanceId !== undefined).map(o => `/${o.objectId}/${o.instanceId}`)
  assert.deepEqual(instances, ['/1/0', '/3/0', '/3303/0', '/3303/1', '/3304/0'])
  assert.ok(reg.links.objects.some(o => o.objectId === 3303 && o.instanceId === undefined && o.version === '1.1'))
  assert.match(reg.linksText, /^<\/>;rt="oma.lwm2m";ct="110 112 11542",<\/1>;ver=1.1,<\/1\/0>/)
  // the second instance has values of its own
  const [a, b] = await Promise.all(['/3303/0/5700', '/3303/1/5700'].map(p => server.read(endpoint, p, 0)))
  assert.notEqual(a!.payload!.toString(), b!.payload!.toString())
})

test('updates before the lifetime runs out, and deregisters on stop', async t => {
  const { server, device, endpoint, counters } = await setup(t, { lifetimeS: 2 })
  const reg = server.registrations.get(endpoint)!
  await server.waitFor('two updates', () => reg.updates.length >= 2, 6000)
  const first = reg.updates[0]!.at - reg.registeredAt
  assert.ok(first >= 1500 && first < 2000, `first update ${first} ms after registering (lifetime 2 s, window 80-90 %)`)
  assert.ok(reg.updates[1]!.at - reg.updates[0]!.at < 2000)
  assert.deepEqual(reg.updates[0]!.query, {}) // nothing changed: no parameters
  assert.equal(await device.stop(), true)
  assert.equal(device.status, 'stopped')
  assert.ok(reg.deregisteredAt !== undefined)
  assert.deepEqual(server.log.map(e => e.kind).filter(k => k !== 'update'), ['register', 'deregister'])
  assert.equal(counters.get('lwm2m.deregister.ok'), 1)
})

test('Read /3/0 in TLV and SenML JSON decodes with lib/lwm2m; text for one resource; errors per RFC 7252', async t => {
  const { server, endpoint } = await setup(t)
  const tlv = await server.read(endpoint, '/3/0', 11542)
  assert.equal(tlv.code, Code.CONTENT)
  const fromTlv = decodeNode(11542, parsePath('/3/0'), tlv.payload!) as ObjectInstance
  const json = await server.read(endpoint, '/3/0', 110)
  const fromJson = decodeNode(110, parsePath('/3/0'), json.payload!) as ObjectInstance
  for (const node of [fromTlv, fromJson]) {
    assert.equal((node.resources.get(0) as { value: unknown }).value, 'fleetlab')
    assert.deepEqual((node.resources.get(16) as { value: unknown }).value, 'U')
    assert.ok(node.resources.has(11) && node.resources.has(13))
  }
  const cbor = await server.read(endpoint, '/3303/0', 112)
  const sensor = decodeNode(112, parsePath('/3303/0'), cbor.payload!) as ObjectInstance
  assert.deepEqual((sensor.resources.get(5701) as { value: unknown }).value, 'Cel')
  const text = await server.read(endpoint, '/3303/0/5700', 0)
  assert.ok(Number.isFinite(Number(text.payload!.toString())))
  assert.equal((await server.read(endpoint, '/3303/0', 0)).code, Code.NOT_ACCEPTABLE) // text carries one value
  assert.equal((await server.read(endpoint, '/3303/0', 50)).code, Code.NOT_ACCEPTABLE) // plain JSON is not LWM2M
  assert.equal((await server.read(endpoint, '/3303/1')).code, Code.NOT_FOUND)
  assert.equal((await server.read(endpoint, '/9999/0')).code, Code.NOT_FOUND)
  assert.equal((await server.read(endpoint, '/3/0/4')).code, Code.METHOD_NOT_ALLOWED) // Reboot is executable
  const noAccept = await server.read(endpoint, '/3303/0/5700')
  assert.equal(noAccept.code, Code.CONTENT)
  assert.equal(noAccept.options.find(o => o.number === OptionNumber.CONTENT_FORMAT)?.value.readUIntBE(0, 1), 110)
})

test('Observe: increasing Observe numbers, a trace whose sequence grows by 1, send time close to receipt; Cancel stops it', async t => {
  const { server, endpoint, counters } = await setup(t, { ratePerS: 10 })
  const { token, response, notifications } = await server.observe(endpoint, '/3303/0/5700', 112)
  assert.equal(response.code, Code.CONTENT)
  assert.equal(observeOption(response), 0)
  await server.waitFor('notifications', () => notifications.length >= 15, 5000)
  const observes = notifications.map(n => n.observe!)
  for (let i = 1; i < observes.length; i++) assert.ok(observes[i]! > observes[i - 1]!, `Observe ${observes.join(',')}`)
  const tr = traces(notifications)
  assert.deepEqual(tr.map(x => x.seq), tr.map((_, i) => i))
  for (const [i, x] of tr.entries()) {
    assert.equal(x.deviceId, endpoint)
    const delay = notifications[i]!.receivedAt - x.sentAtMs
    assert.ok(delay >= -2 && delay < 50, `notification ${i} received ${delay} ms after its send time`)
  }
  // the value node beside the trace is the observed resource
  const { node } = decodeTracedNotification(112, parsePath('/3303/0/5700'), notifications[3]!.payload)
  assert.equal(node.kind, 'single')
  assert.equal(notifications.filter(n => n.type === 'NON').length, notifications.length - 1) // NON by default
  const cancel = await server.cancel(endpoint, '/3303/0/5700', token)
  assert.equal(cancel.code, Code.CONTENT)
  assert.equal(observeOption(cancel), undefined)
  const after = notifications.length
  await sleep(400)
  assert.equal(notifications.length, after)
  assert.equal(counters.get('lwm2m.observe.cancelled'), 1)
  assert.equal(counters.get('lwm2m.notify.sent'), after)
})

test('Write-Attributes: pmax forces a notification without change, pmin throttles a fast sensor', async t => {
  const { server, endpoint } = await setup(t, { ratePerS: 20 })
  // a static resource: only pmax makes it notify
  assert.equal((await server.writeAttributes(endpoint, '/3/0/9', { pmax: 1 })).code, Code.CHANGED)
  const battery = await server.observe(endpoint, '/3/0/9', 110)
  // a sensor sampled 20 times a second, held back to one notification every 2 s
  assert.equal((await server.writeAttributes(endpoint, '/3303/0/5700', { pmin: 2 })).code, Code.CHANGED)
  const temp = await server.observe(endpoint, '/3303/0/5700', 110)
  await sleep(4300)
  const b = traces(battery.notifications)
  assert.ok(b.length >= 4 && b.length <= 6, `${b.length} battery notifications in 4.3 s with pmax=1`)
  for (let i = 1; i < b.length; i++) assert.ok(Math.abs(b[i]!.sentAtMs - b[i - 1]!.sentAtMs - 1000) <= 2, 'one per second')
  const values = battery.notifications.map(n => decodeTracedNotification(110, parsePath('/3/0/9'), n.payload).node)
  assert.ok(values.every(v => JSON.stringify(v) === JSON.stringify(values[0])), 'the value never changed')
  const tt = traces(temp.notifications)
  assert.ok(tt.length >= 2 && tt.length <= 4, `${tt.length} temperature notifications in 4.3 s with pmin=2 (80 samples)`)
  for (let i = 1; i < tt.length; i++) assert.ok(tt[i]!.sentAtMs - tt[i - 1]!.sentAtMs >= 1999, 'never closer than pmin')
  // removing pmin (a bare name) lets every sample through again
  await server.writeAttributes(endpoint, '/3303/0/5700', { pmin: undefined })
  const before = temp.notifications.length
  await sleep(1000)
  assert.ok(temp.notifications.length - before >= 10, `${temp.notifications.length - before} notifications in 1 s without pmin`)
  // bad attributes
  assert.equal((await server.writeAttributes(endpoint, '/3303/0', { st: 1 })).code, Code.BAD_REQUEST) // st only on a numeric resource
  assert.equal((await server.writeAttributes(endpoint, '/3303/0/5700', { pmin: -1 })).code, Code.BAD_REQUEST)
  assert.equal((await server.request(endpoint, { method: Code.PUT, path: '/3303/0/5700', query: ['colour=red'] })).code, Code.BAD_REQUEST)
})

test('Discover lists objects, instances and resources with their attributes', async t => {
  const { server, endpoint } = await setup(t)
  await server.writeAttributes(endpoint, '/3303/0', { pmin: 5, pmax: 60 })
  await server.writeAttributes(endpoint, '/3303/0/5700', { st: 0.5 })
  const obj = await server.discover(endpoint, '/3303')
  assert.equal(obj.code, Code.CONTENT)
  const links = parseDiscover(obj.payload!)
  assert.deepEqual(links[0], { path: parsePath('/3303'), attributes: { ver: '1.1' } })
  assert.deepEqual(links[1], { path: parsePath('/3303/0'), attributes: { pmin: 5, pmax: 60 } })
  assert.deepEqual(links.find(l => l.path.resourceId === 5700)?.attributes, { st: 0.5 })
  assert.ok(links.some(l => l.path.resourceId === 5605), 'executable resources are listed')
  const res = parseDiscover((await server.discover(endpoint, '/3303/0/5700')).payload!)
  assert.deepEqual(res, [{ path: parsePath('/3303/0/5700'), attributes: { pmin: 5, pmax: 60, st: 0.5 } }]) // inherited
  const dev = parseDiscover((await server.discover(endpoint, '/3/0')).payload!)
  assert.equal(dev.find(l => l.path.resourceId === 6)?.attributes.dim, 2)
})

test('Execute: reset min/max, reboot (a new registration), registration update trigger; not on a readable resource', async t => {
  const { server, endpoint, counters } = await setup(t, { ratePerS: 50 })
  await sleep(300) // the sensor moves: min < max
  const read = async (): Promise<Map<number, unknown>> => {
    const node = decodeNode(110, parsePath('/3303/0'), (await server.read(endpoint, '/3303/0', 110)).payload!) as ObjectInstance
    return new Map([...node.resources].map(([id, r]) => [id, (r as { value: unknown }).value]))
  }
  const moved = await read()
  assert.ok((moved.get(5601) as number) < (moved.get(5602) as number))
  assert.equal((await server.execute(endpoint, '/3303/0/5605')).code, Code.CHANGED)
  const reset = await read()
  assert.ok((reset.get(5602) as number) - (reset.get(5601) as number) < (moved.get(5602) as number) - (moved.get(5601) as number))
  assert.equal((await server.execute(endpoint, '/3303/0/5700')).code, Code.METHOD_NOT_ALLOWED)
  assert.equal((await server.execute(endpoint, '/3/0/99')).code, Code.NOT_FOUND)
  const reg = server.registrations.get(endpoint)!
  assert.equal((await server.execute(endpoint, '/1/0/8')).code, Code.CHANGED)
  await server.waitFor('triggered update', () => reg.updates.length === 1)
  const obs = await server.observe(endpoint, '/3303/0/5700')
  assert.equal((await server.execute(endpoint, '/3/0/4')).code, Code.CHANGED)
  await server.waitFor('registration after reboot', () => server.log.filter(e => e.kind === 'register').length === 2, 5000)
  const n = obs.notifications.length
  await sleep(300)
  assert.equal(obs.notifications.length, n, 'a reboot ends the observations')
  assert.equal(counters.get('lwm2m.execute.3.4'), 1)
})

test('Write: a new lifetime is sent in an Update; read-only resources refuse', async t => {
  const { server, endpoint } = await setup(t)
  const reg = server.registrations.get(endpoint)!
  const path = parsePath('/1/0/1')
  const payload = encodeNode(11542, path, { kind: 'single', id: 1, type: 'integer', value: 120 })
  assert.equal((await server.write(endpoint, '/1/0/1', 11542, payload)).code, Code.CHANGED)
  await server.waitFor('update with lt', () => reg.updates.length === 1)
  assert.deepEqual(reg.updates[0]!.query, { lt: '120' })
  const lt = await server.read(endpoint, '/1/0/1', 0)
  assert.equal(lt.payload!.toString(), '120')
  // partial update of the instance (POST), then the value reads back
  const tz = encodeNode(110, parsePath('/3/0'), { kind: 'instance', id: 0, resources: new Map([[15, { kind: 'single', id: 15, type: 'string', value: 'Europe/Paris' }]]) })
  assert.equal((await server.write(endpoint, '/3/0', 110, tz, Code.POST)).code, Code.CHANGED)
  assert.equal((await server.read(endpoint, '/3/0/15', 0)).payload!.toString(), 'Europe/Paris')
  const serial = encodeNode(0, parsePath('/3/0/2'), { kind: 'single', id: 2, type: 'string', value: 'x' })
  assert.equal((await server.write(endpoint, '/3/0/2', 0, serial)).code, Code.METHOD_NOT_ALLOWED)
  assert.equal((await server.write(endpoint, '/3/0/15', 110, Buffer.from('not json'))).code, Code.BAD_REQUEST)
  assert.equal((await server.write(endpoint, '/3/0/15', 9999, Buffer.from('x'))).code, Code.UNSUPPORTED_CONTENT_FORMAT)
})

test('CoAP reliability: a lost Register is retransmitted (RFC 7252 §4.8), a duplicate request gets the same reply', async t => {
  const { server, endpoint, counters } = await setup(t, { ackTimeoutMs: 200 }, { dropRegisters: 1 }, false)
  await server.waitFor('registration after a retransmission', () => server.registrations.has(endpoint), 3000)
  assert.equal(counters.get('coap.retransmit'), 1)
  assert.equal(counters.get('lwm2m.register.sent'), 1)
  // the same CON message id twice: one read, two identical replies
  const replies = server.unmatched
  const req = encode({ type: 'CON', code: Code.GET, messageId: 777, token: Buffer.from([9]), options: [stringOption(OptionNumber.URI_PATH, '3'), stringOption(OptionNumber.URI_PATH, '0'), stringOption(OptionNumber.URI_PATH, '0'), uintOption(OptionNumber.ACCEPT, 0)] })
  server.sendRaw(endpoint, req)
  await sleep(50)
  server.sendRaw(endpoint, req)
  await server.waitFor('two replies', () => replies.length === 2)
  assert.deepEqual(replies[0], replies[1])
  const reply: CoapMessage = decode(replies[0]!)
  assert.equal(reply.type, 'ACK')
  assert.equal(reply.payload!.toString(), 'fleetlab')
  assert.equal(counters.get('lwm2m.request.read'), 1)
  assert.equal(counters.get('coap.duplicate'), 1)
})

test('CON notifications are acknowledged by the server; a Reset cancels the observation', async t => {
  const { server, endpoint, counters } = await setup(t, { ratePerS: 10, confirmable: true })
  const obs = await server.observe(endpoint, '/3303/0/5700', 110)
  await server.waitFor('CON notifications', () => obs.notifications.length >= 5)
  assert.ok(obs.notifications.slice(1).every(n => n.type === 'CON'))
  assert.equal(counters.get('coap.retransmit') ?? 0, 0, 'every CON notification was acknowledged')
  // the server forgets the token: its RST to the next notification ends the observation (RFC 7641 §3.6)
  server.observations.clear()
  await server.waitFor('cancelled by reset', () => counters.get('lwm2m.observe.cancelled') === 1, 3000)
})

test('a device whose server does not answer keeps failing, then stops cleanly without deregistering', async t => {
  const { server, device, endpoint, counters } = await setup(t, { ackTimeoutMs: 50 }, { dropRegisters: 1000 }, false)
  await server.waitFor('a failed registration', () => (counters.get('lwm2m.register.failed') ?? 0) >= 1, 5000)
  assert.equal(device.status, 'failed')
  assert.equal(counters.get('errors.ETIMEDOUT'), 1)
  assert.equal(await device.stop(), true)
  assert.equal(server.registrations.has(endpoint), false)
})
