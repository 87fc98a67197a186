// The registration interface over real UDP: a device made of lib/coap messages, and libcoap's coap-client.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { promisify } from 'node:util'
import { Code, ContentFormat, OptionNumber, decode, encode, formatCode, locationPath, uintOption, uriPathOptions, uriQueryOptions } from '../../../lib/coap/index.ts'
import { nextEvent, startDevice, startServer, until } from './helpers.ts'

const run = promisify(execFile)

test('register, update, de-register: 2.01 with Location-Path rd/<id>, 2.04, 2.02, and an event each', async t => {
  const server = await startServer(t, { autoObserve: [] })
  const device = await startDevice(t, server)
  const registered = nextEvent(server, 'registered')
  const res = await device.register({ lt: 300 })
  assert.equal(formatCode(res.code), '2.01')
  assert.equal(res.type, 'ACK')
  const location = locationPath(res)
  assert.equal(location.length, 2)
  assert.equal(location[0], 'rd')
  const [reg] = await registered
  assert.equal(reg.id, location[1])
  assert.equal(reg.endpoint, device.endpoint)
  assert.equal(reg.lifetimeS, 300)
  assert.equal(reg.lwm2mVersion, '1.1')
  assert.equal(reg.binding, 'U')
  assert.equal(reg.address, '127.0.0.1')
  assert.equal(reg.port, device.port, 'devices are told apart by address:port')
  assert.deepEqual(reg.links?.objects.map(o => `${o.objectId}/${o.instanceId}`), ['1/0', '3/0', '3303/0'])
  assert.equal(server.registration(device.endpoint), reg)

  const updated = nextEvent(server, 'updated')
  const up = await device.update({ lt: 600 }, '</1/0>,</3/0>,</3303/0>,</3303/1>')
  assert.equal(formatCode(up.code), '2.04')
  const [after, changes] = await updated
  assert.equal(after.lifetimeS, 600)
  assert.deepEqual(changes.lifetimeS, 600)
  assert.equal(after.links?.objects.length, 4)

  const gone = nextEvent(server, 'deregistered')
  const del = await device.deregister()
  assert.equal(formatCode(del.code), '2.02')
  assert.equal((await gone)[0].endpoint, device.endpoint)
  assert.equal(server.registrations.size, 0)
  const snap = server.snapshot()
  assert.equal(snap.counters['lwm2m.register'], 1)
  assert.equal(snap.counters['lwm2m.update'], 1)
  assert.equal(snap.counters['lwm2m.deregister'], 1)
  assert.equal(snap.gauges['lwm2m.registrations'], 0)
})

test('an unknown registration id is 4.04 for Update and De-register', async t => {
  const server = await startServer(t, { autoObserve: [] })
  const device = await startDevice(t, server)
  device.location = ['rd', 'nosuchid']
  const up = await device.update({ lt: 60 })
  assert.equal(formatCode(up.code), '4.04')
  assert.match(up.payload?.toString() ?? '', /no registration \/rd\/nosuchid/)
  assert.equal(formatCode((await device.deregister()).code), '4.04')
  assert.equal(server.snapshot().counters['lwm2m.rd.unknown_registration'], 2)
})

test('bad parameters are 4.00 with a diagnostic naming each problem; other paths and methods 4.04 / 4.05', async t => {
  const server = await startServer(t, { autoObserve: [] })
  const device = await startDevice(t, server)
  const cases: Array<[Record<string, string | undefined>, string, RegExp]> = [
    [{ ep: '' }, '</3/0>', /ep: the endpoint client name is missing/],
    [{ lt: 'soon' }, '</3/0>', /lt: expected a lifetime in whole seconds.*"soon"/],
    [{ lt: '0' }, '</3/0>', /lt: expected/],
    [{ b: 'X' }, '</3/0>', /b: expected a binding/],
    [{ lwm2m: 'one' }, '</3/0>', /lwm2m: expected a version/],
    [{}, '<3/0', /payload: /],
    [{}, '</3/0/1/2/3>', /payload: /],
    [{ lt: '-1', b: 'UU' }, 'nonsense', /lt: .*; b: .*; payload: /],
  ]
  for (const [query, links, diagnostic] of cases) {
    const res = await device.register(query, links)
    assert.equal(formatCode(res.code), '4.00', JSON.stringify(query))
    assert.match(res.payload?.toString() ?? '', diagnostic)
  }
  const noPayload = await device.request(Code.POST, '/rd', { query: { ep: 'x', lt: 60 } })
  assert.equal(formatCode(noPayload.code), '4.00')
  assert.match(noPayload.payload?.toString() ?? '', /payload: .*missing/)
  const wrongFormat = await device.request(Code.POST, '/rd', { query: { ep: 'x' }, payload: Buffer.from('</3/0>'), format: ContentFormat.JSON })
  assert.equal(formatCode(wrongFormat.code), '4.00')
  assert.equal(formatCode((await device.register({ lwm2m: '2.0' })).code), '4.12')
  assert.equal(formatCode((await device.request(Code.GET, '/rd')).code), '4.05')
  assert.equal(formatCode((await device.request(Code.POST, '/bs', { query: { ep: 'x' } })).code), '4.04')
  assert.equal(server.registrations.size, 0)
  assert.equal(server.snapshot().counters['lwm2m.rd.bad_request'], cases.length + 2)
})

test('a registration whose lifetime passes without Update expires within the next sweep', async t => {
  const server = await startServer(t, { autoObserve: [] })
  const device = await startDevice(t, server, { lifetimeS: 2 })
  const t0 = Date.now()
  assert.equal(formatCode((await device.register()).code), '2.01')
  const [expired] = await nextEvent(server, 'expired', 5000)
  const after = Date.now() - t0
  assert.equal(expired.endpoint, device.endpoint)
  assert.ok(after >= 1900 && after < 4500, `expired after ${after} ms`)
  assert.equal(server.registrations.size, 0)
  assert.equal(formatCode((await device.update()).code), '4.04', 'an expired registration is gone')
  assert.equal(server.snapshot().counters['lwm2m.expire'], 1)
})

test('Register again from the same endpoint replaces the registration; a retransmitted Register is answered once', async t => {
  const server = await startServer(t, { autoObserve: [] })
  const device = await startDevice(t, server)
  await device.register()
  const first = device.registrationId
  await device.register()
  assert.notEqual(device.registrationId, first)
  assert.equal(server.registrations.size, 1)

  // The same CON twice (a retransmission, RFC 7252 §4.5): node-coap's Server answers the duplicate from its cache.
  const raw = createSocket('udp4')
  t.after(() => raw.close())
  await new Promise<void>(resolve => raw.bind(0, '127.0.0.1', () => resolve()))
  const responses: Buffer[] = []
  raw.on('message', buf => responses.push(buf))
  const buf = encode({ type: 'CON', code: Code.POST, messageId: 4242, token: Buffer.from('abcd'), options: [...uriPathOptions('/rd'), uintOption(OptionNumber.CONTENT_FORMAT, 40), ...uriQueryOptions({ ep: 'dup-test', lt: 60 })], payload: Buffer.from('</3/0>') })
  raw.send(buf, server.address().port, '127.0.0.1')
  await until('the first response', () => responses.length === 1)
  raw.send(buf, server.address().port, '127.0.0.1')
  await until('the second response', () => responses.length === 2)
  assert.deepEqual(responses[1], responses[0])
  assert.equal(server.snapshot().counters['lwm2m.register'], 3)
  assert.deepEqual(locationPath(decode(responses[0]!))[0], 'rd')
})

test('libcoap\'s coap-client registers and gets 2.01 Created with a Location-Path', async t => {
  const server = await startServer(t, { autoObserve: [] })
  const registered = nextEvent(server, 'registered')
  const { stdout, stderr } = await run('coap-client-notls', ['-v', '7', '-m', 'post', '-t', '40', '-e', '</1/0>,</3/0>',
    `coap://127.0.0.1:${server.address().port}/rd?ep=libcoap-client&lt=60`], { timeout: 20_000 })
  const out = stdout + stderr
  const [reg] = await registered
  assert.equal(reg.endpoint, 'libcoap-client')
  assert.deepEqual(reg.links?.objects.map(o => o.objectId), [1, 3])
  // -v 7 prints each PDU: "v:1 t:ACK c:2.01 i:fad8 {01} [ Location-Path:rd, Location-Path:3aa6a05754 ]"
  assert.match(out, new RegExp(`t:ACK c:2\\.01 .*\\[ Location-Path:rd, Location-Path:${reg.id} \\]`), out)
})
