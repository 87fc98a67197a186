// Device management and information reporting against the lib/coap test device, over real UDP.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import { Code, ContentFormat as CF, OptionNumber, decode, encode, encodeEmpty, uintOption } from '../../../lib/coap/index.ts'
import { objectInstance, singleResource } from '../../../lib/lwm2m/model.ts'
import type { ObjectInstance, SingleResource } from '../../../lib/lwm2m/model.ts'
import { parseDiscover } from '../../../lib/lwm2m/link-format.ts'
import type { Notification } from '../../../platform/lwm2m-server/observations.ts'
import { startDevice, startServer, until } from './helpers.ts'

function resourceValue (node: unknown, id: number): unknown {
  return ((node as ObjectInstance).resources.get(id) as SingleResource | undefined)?.value
}

test('read /3/0 in TLV and in SenML JSON (Accept): both decode to the same values', async t => {
  const server = await startServer(t, { autoObserve: [] })
  const device = await startDevice(t, server)
  await device.register()

  const tlv = await server.read(device.endpoint, '/3/0', { format: CF.LWM2M_TLV })
  assert.equal(tlv.outcome, 'response')
  assert.equal(tlv.code, '2.05')
  assert.equal(tlv.contentFormat, CF.LWM2M_TLV)
  assert.equal(device.received.at(-1)?.accept, CF.LWM2M_TLV)
  assert.equal(tlv.node?.kind, 'instance')
  const senml = await server.read(device.endpoint, '/3/0', { format: CF.SENML_JSON })
  assert.equal(senml.contentFormat, CF.SENML_JSON)
  assert.match(senml.payload.toString(), /"bn":"\/3\/0\/"/)
  for (const node of [tlv.node, senml.node]) {
    assert.equal(resourceValue(node, 0), 'fleetlab')
    assert.equal(resourceValue(node, 2), device.endpoint)
    assert.equal(resourceValue(node, 9), 87)
  }

  const text = await server.read(device.endpoint, '/3/0/1', { format: CF.TEXT_PLAIN })
  assert.equal(text.payload.toString(), 'test-device')
  assert.deepEqual(text.node, { kind: 'single', id: 1, type: 'string', value: 'test-device' })
  const none = await server.read(device.endpoint, '/3/0')
  assert.equal(device.received.at(-1)?.accept, undefined, 'no Accept unless asked for')
  assert.equal(none.contentFormat, CF.LWM2M_TLV)
  assert.equal((await server.read(device.endpoint, '/9/0')).code, '4.04')
  const unknown = await server.read('nobody', '/3/0')
  assert.equal(unknown.outcome, 'unknown-endpoint')
})

test('write (replace, partial update), write-attributes, execute, create, delete and discover reach the device', async t => {
  const server = await startServer(t, { autoObserve: [] })
  const device = await startDevice(t, server)
  await device.register()
  const ep = device.endpoint

  const replace = await server.write(ep, '/3303/0/5700', singleResource(5700, 'float', 30.25))
  assert.equal(replace.code, '2.04')
  let req = device.received.at(-1)!
  assert.equal(req.method, Code.PUT)
  assert.equal(req.format, CF.LWM2M_TLV)
  assert.deepEqual(req.node, { kind: 'single', id: 5700, type: 'float', value: 30.25 })

  const update = await server.write(ep, '/3/0', objectInstance(0, [singleResource(14, 'string', '+02:00')]), { mode: 'update', format: CF.SENML_JSON })
  assert.equal(update.code, '2.04')
  req = device.received.at(-1)!
  assert.equal(req.method, Code.POST)
  assert.equal(req.format, CF.SENML_JSON)

  assert.equal((await server.writeAttributes(ep, '/3303/0/5700', 'pmin=1&pmax=5')).code, '2.04')
  req = device.received.at(-1)!
  assert.equal(req.method, Code.PUT)
  assert.deepEqual(req.query, { pmin: '1', pmax: '5' })
  assert.equal(req.payload, undefined)

  assert.equal((await server.execute(ep, '/3/0/4', "0='now'")).code, '2.04')
  req = device.received.at(-1)!
  assert.equal(req.method, Code.POST)
  assert.equal(req.path, '/3/0/4')
  assert.equal(req.payload?.toString(), "0='now'")

  const created = await server.create(ep, '/3303', objectInstance(7, [singleResource(5700, 'float', 1.5)]))
  assert.equal(created.code, '2.01')
  assert.deepEqual(created.locationPath, ['3303', '1'])
  assert.equal((await server.delete(ep, '/3303/1')).code, '2.02')
  assert.equal(device.received.at(-1)?.method, Code.DELETE)

  const discover = await server.discover(ep, '/3/0')
  assert.equal(discover.code, '2.05')
  assert.equal(discover.contentFormat, CF.LINK_FORMAT)
  assert.equal(device.received.at(-1)?.accept, CF.LINK_FORMAT)
  assert.ok(parseDiscover(discover.payload).some(l => l.path.resourceId === 9))
})

test('observe: first value, notifications in order with their trace, retransmissions once, cancel proactive then reactive', async t => {
  const server = await startServer(t, { autoObserve: [] })
  const device = await startDevice(t, server)
  await device.register()
  const seen: Notification[] = []
  server.on('notification', n => seen.push(n))

  const res = await server.observe(device.endpoint, '/3303/0/5700', { ticket: 'ticket-1' })
  assert.equal(res.code, '2.05')
  assert.equal(res.observe, 0)
  assert.equal(device.received.at(-1)?.accept, CF.SENML_JSON, 'SenML for a 1.1 client, so the trace can ride along')
  const o = res.observation!
  assert.equal(o.id, res.token?.toString('hex'))
  assert.equal(o.ticket, 'ticket-1')
  assert.equal(seen.length, 1)
  assert.equal(seen[0]!.initial, true)

  for (let i = 0; i < 5; i++) {
    device.setTemperature(20 + i)
    device.notify('/3303/0/5700', { confirmable: i % 2 === 0 })
  }
  await until('5 notifications', () => seen.length === 6)
  const later = seen.slice(1)
  assert.deepEqual(later.map(n => n.observe), [1, 2, 3, 4, 5])
  assert.deepEqual(later.map(n => (n.node as SingleResource).value), [20, 21, 22, 23, 24])
  assert.deepEqual(later.map(n => n.trace?.seq), [0, 1, 2, 3, 4])
  assert.ok(later.every(n => n.trace?.deviceId === device.endpoint && n.observation === o && !n.initial))

  // A CON notification retransmitted with the same message id: ACKed again, delivered once (RFC 7252 §4.5).
  const token = device.observers.get('/3303/0/5700')!.token
  const dup = encode({ type: 'CON', code: Code.CONTENT, messageId: 777, token, options: [uintOption(OptionNumber.OBSERVE, 99), uintOption(OptionNumber.CONTENT_FORMAT, 0)], payload: Buffer.from('25.5') })
  device.send(dup)
  device.send(dup)
  await until('the duplicate counted', () => server.snapshot().counters['lwm2m.notify.duplicate'] === 1)
  assert.equal(seen.length, 7)
  assert.equal((seen[6]!.node as SingleResource).value, 25.5)

  assert.equal(await server.cancelObservation(device.endpoint, '/3303/0/5700'), 1)
  assert.equal(device.observers.size, 0, 'GET with Observe 1 reached the device')
  assert.equal(server.observations(device.endpoint).length, 0)
  // A device that keeps notifying anyway gets RST (RFC 7641 §3.6).
  device.observers.set('/3303/0/5700', { token, format: CF.SENML_JSON, path: o.path, seq: 200 })
  device.notify('/3303/0/5700', { confirmable: true })
  await until('the RST', () => device.resets === 1)
  assert.equal(seen.length, 7)
})

test('auto-observe: the configured paths a device registers are observed at once; the others are not', async t => {
  const server = await startServer(t, { autoObserve: ['/3303/0/5700', '/3304/0/5700', '/3/0/9'] })
  const device = await startDevice(t, server)
  await device.register({}, '</1/0>,</3/0>,</3303/0>,</3304>')
  await until('two observations', () => server.observations(device.endpoint).length === 2)
  const observed = server.observations(device.endpoint)
  assert.deepEqual(observed.map(o => o.pathText).sort(), ['/3/0/9', '/3303/0/5700'])
  assert.ok(observed.every(o => o.auto && o.ticket === 'auto-observe'))
  assert.equal(server.snapshot().counters['lwm2m.observe.auto'], 2)
  await device.deregister()
  assert.equal(server.observations().length, 0, 'observations end with the registration')
})

test('a device that does not answer: the request ends as a timeout', async t => {
  const server = await startServer(t, { autoObserve: [], requestTimeoutMs: 300 })
  const device = await startDevice(t, server)
  await device.register()
  device.socket.removeAllListeners('message')
  const r = await server.read(device.endpoint, '/3/0')
  assert.equal(r.outcome, 'timeout')
  assert.equal(server.snapshot().counters['lwm2m.request.timeout'], 1)
})

test('a notification whose message id equals a request in flight to another device is still delivered', async t => {
  const server = await startServer(t, { autoObserve: [], requestTimeoutMs: 2000 })
  const observed = await startDevice(t, server)
  const silent = await startDevice(t, server)
  await observed.register()
  await silent.register()
  await server.observe(observed.endpoint, '/3303/0/5700')
  const seen: Notification[] = []
  server.on('notification', n => seen.push(n))
  let inFlightId: number | undefined
  silent.socket.removeAllListeners('message')
  silent.socket.on('message', buf => { inFlightId = decode(buf).messageId })
  const pending = server.read(silent.endpoint, '/3/0')
  await until('the request to the silent device', () => inFlightId !== undefined)
  const token = observed.observers.get('/3303/0/5700')!.token
  observed.send(encode({ type: 'CON', code: Code.CONTENT, messageId: inFlightId!, token, options: [uintOption(OptionNumber.OBSERVE, 5), uintOption(OptionNumber.CONTENT_FORMAT, 0)], payload: Buffer.from('19.5') }))
  await until('the notification', () => seen.length === 1)
  assert.equal((seen[0]!.node as SingleResource).value, 19.5)
  assert.equal((await pending).outcome, 'timeout')
  // And an ACK from the wrong peer does not settle someone else's request.
  const stranger = createSocket('udp4')
  t.after(() => stranger.close())
  await new Promise<void>(resolve => stranger.bind(0, '127.0.0.1', () => resolve()))
  inFlightId = undefined
  const second = server.read(silent.endpoint, '/3/0')
  await until('the second request', () => inFlightId !== undefined)
  stranger.send(encode({ type: 'ACK', code: Code.CONTENT, messageId: inFlightId!, payload: Buffer.from('spoofed') }), server.address().port, '127.0.0.1')
  assert.equal((await second).outcome, 'timeout')
  assert.ok((server.snapshot().counters['lwm2m.coap.unmatched_ack'] ?? 0) >= 1)
})

test('a separate response (empty ACK, then CON 2.05) completes the request and is ACKed; an RST ends it as reset', async t => {
  const server = await startServer(t, { autoObserve: [], requestTimeoutMs: 3000 })
  const device = await startDevice(t, server)
  await device.register()
  const acks: number[] = []
  device.socket.removeAllListeners('message')
  device.socket.on('message', buf => {
    const m = decode(buf)
    if (m.code === 0 && m.type === 'ACK') { acks.push(m.messageId); return }
    if (m.code !== Code.GET) return
    if (m.options.some(o => o.number === OptionNumber.URI_PATH && o.value.toString() === '9')) {
      device.send(encodeEmpty('RST', m.messageId))
      return
    }
    device.send(encodeEmpty('ACK', m.messageId))
    // The same separate response twice (a retransmission): delivered once, ACKed twice.
    const late = encode({ type: 'CON', code: Code.CONTENT, messageId: 4321, token: m.token, options: [uintOption(OptionNumber.CONTENT_FORMAT, CF.TEXT_PLAIN)], payload: Buffer.from('late but here') })
    setTimeout(() => { device.send(late); device.send(late) }, 50)
  })
  const r = await server.read(device.endpoint, '/3/0/0', { format: CF.TEXT_PLAIN })
  assert.equal(r.outcome, 'response')
  assert.equal(r.code, '2.05')
  assert.equal(r.payload.toString(), 'late but here')
  await until('both ACKs', () => acks.filter(id => id === 4321).length === 2)
  const reset = await server.read(device.endpoint, '/9/0')
  assert.equal(reset.outcome, 'reset')
  assert.equal(server.snapshot().counters['lwm2m.request.reset'], 1)
})
