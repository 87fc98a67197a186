// Bad input at the server's socket: thousands of random and mutated datagrams while 10 devices are registered and
// notifying. The server keeps answering them, loses none of their notifications and counts malformed ones by reason.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import { Code, ContentFormat as CF, OptionNumber, block2Option, encode, encodeEmpty, formatCode, uintOption, uriPathOptions, uriQueryOptions } from '../../../lib/coap/index.ts'
import type { Notification } from '../../../platform/lwm2m-server/observations.ts'
import { fuzzInputs } from '../../lib/lwm2m/fuzz.ts'
import { startDevice, startServer, until } from './helpers.ts'
import type { TestDevice } from './test-device.ts'

const seeds = [
  encode({ type: 'CON', code: Code.POST, messageId: 1, token: Buffer.from('f00d'), options: [...uriPathOptions('/rd'), uintOption(OptionNumber.CONTENT_FORMAT, 40), ...uriQueryOptions({ ep: 'fuzz', lt: 60, lwm2m: '1.1' })], payload: Buffer.from('</1/0>,</3/0>,</3303/0>') }),
  encode({ type: 'CON', code: Code.POST, messageId: 2, token: Buffer.from('beef'), options: [...uriPathOptions('/rd/0123456789'), ...uriQueryOptions({ lt: 90 })] }),
  encode({ type: 'NON', code: Code.DELETE, messageId: 3, token: Buffer.from('01'), options: uriPathOptions('/rd/abcdef') }),
  encode({ type: 'CON', code: Code.GET, messageId: 4, token: Buffer.from('0102030405060708', 'hex'), options: [...uriPathOptions('/3/0'), uintOption(OptionNumber.ACCEPT, 11542), block2Option({ num: 1, more: false, szx: 2 })] }),
  encode({ type: 'CON', code: Code.CONTENT, messageId: 5, token: Buffer.from('cafe'), options: [uintOption(OptionNumber.OBSERVE, 7), uintOption(OptionNumber.CONTENT_FORMAT, CF.SENML_JSON)], payload: Buffer.from('[{"bn":"/3303/0/","n":"5700","v":1}]') }),
  encode({ type: 'ACK', code: Code.CONTENT, messageId: 6, token: Buffer.from('ab'), payload: Buffer.from('21.5') }),
  encode({ type: 'NON', code: Code.CHANGED, messageId: 7, token: Buffer.from('abcd') }),
  encodeEmpty('ACK', 8), encodeEmpty('RST', 9), encodeEmpty('CON', 10),
]

test('thousands of random and mutated datagrams: malformed counted by reason, the 10 devices served without loss', { timeout: 120_000 }, async t => {
  const server = await startServer(t, { autoObserve: ['/3303/0/5700'] })
  const devices: TestDevice[] = []
  for (let i = 0; i < 10; i++) devices.push(await startDevice(t, server))
  for (const d of devices) assert.equal(formatCode((await d.register()).code), '2.01')
  await until('10 auto-observations', () => devices.every(d => d.observers.size === 1))
  const received = new Map<string, number[]>()
  server.on('notification', (n: Notification) => {
    if (n.initial) return
    const list = received.get(n.observation.endpoint) ?? []
    list.push(n.trace!.seq)
    received.set(n.observation.endpoint, list)
  })

  const fuzzer = createSocket('udp4')
  t.after(() => fuzzer.close())
  await new Promise<void>(resolve => fuzzer.bind(0, '127.0.0.1', () => resolve()))
  const port = server.address().port
  const inputs = [...fuzzInputs(0x1a2b, seeds, 5000)]
  const perDevice = 30
  let sent = 0
  for (let round = 0; round < perDevice; round++) {
    for (const d of devices) d.notify('/3303/0/5700', { confirmable: round % 3 === 0 })
    // Bursts with a pause, as a hostile peer on a real network; the loopback buffer is no part of the test.
    for (const input of inputs.slice(round * 167, (round + 1) * 167)) {
      fuzzer.send(input, port, '127.0.0.1')
      sent++
    }
    await new Promise(resolve => setTimeout(resolve, 5))
  }
  assert.ok(sent >= 5000)

  await until('every notification', () => devices.every(d => (received.get(d.endpoint)?.length ?? 0) === perDevice), 10_000)
  for (const d of devices) assert.deepEqual(received.get(d.endpoint), Array.from({ length: perDevice }, (_, i) => i), d.endpoint)
  // Still serving: every device updates and answers a read through the same socket.
  for (const d of devices) {
    assert.equal(formatCode((await d.update({ lt: 120 })).code), '2.04')
    assert.equal((await server.read(d.endpoint, '/3/0/0', { format: CF.TEXT_PLAIN })).payload.toString(), 'fleetlab')
  }
  for (const d of devices) assert.equal(server.registration(d.endpoint)?.id, d.registrationId)

  const c = server.snapshot().counters
  if (process.env.FLEETLAB_DEBUG === '1') console.log(c)
  const reasons = Object.keys(c).filter(k => k.startsWith('lwm2m.malformed.'))
  const malformed = reasons.reduce((s, k) => s + c[k]!, 0)
  assert.ok(reasons.length >= 5, `reasons: ${reasons.join(', ')}`)
  assert.ok(malformed > 1000, `${malformed} malformed`)
  for (const reason of ['TOO_SHORT', 'BAD_VERSION', 'BAD_TOKEN_LENGTH', 'TRUNCATED_OPTION']) assert.ok((c[`lwm2m.malformed.${reason}`] ?? 0) > 0, reason)
  assert.equal(c['lwm2m.coap.handler_error'], undefined)
  assert.ok((c['lwm2m.coap.received'] ?? 0) >= sent)
})
