// The naming and address rules that the experiment schema, the platform config, the CLI and the units all check with.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  bootstrapField, coapServerField, gatewayIdField, isGatewayId, isPlatformName, isPort, MAX_SERVICE_PORT,
  parseBootstrapList, parseCoapServer, parseHostPort, parseListenAddress, portField,
} from '../../../lib/schema/net.ts'
import { listenArg } from '../../../cli/options.ts'
import { InvalidConfigError } from '../../../lib/errors.ts'

test('a gateway id: 1-64 of letters, digits, _ and -, never a dot (it names Kafka topics)', () => {
  for (const ok of ['gw1', 'A_b-9', 'x'.repeat(64)]) assert.ok(isGatewayId(ok), ok)
  for (const bad of ['', 'gw.1', 'gw 1', 'x'.repeat(65), 7, undefined]) assert.equal(isGatewayId(bad), false, String(bad))
  assert.equal(gatewayIdField().safeParse('gw.1').success, false)
})

test('a platform name: 1-40 lower-case letters, digits and -, not starting with -', () => {
  for (const ok of ['default', 'exp-1a2b', 'a'.repeat(40)]) assert.ok(isPlatformName(ok), ok)
  for (const bad of ['', '-lead', 'Bad', 'x y', 'a'.repeat(41)]) assert.equal(isPlatformName(bad), false, bad)
})

test('ports: 1-65535, and 65534 for a service whose port + 1 is bound too', () => {
  assert.ok(isPort(1) && isPort(65535))
  for (const bad of [0, 65536, 1.5, '80', Number.NaN]) assert.equal(isPort(bad), false, String(bad))
  assert.ok(isPort(0, 0), 'a listen address may ask for any free port')
  assert.deepEqual(portField().safeParse('8086'), { success: true, data: 8086 })
  assert.equal(portField(MAX_SERVICE_PORT).safeParse(65535).success, false)
  const r = portField().safeParse(70000)
  assert.ok(!r.success && /expected a port 1-65535/.test(r.error.issues[0]!.message))
})

test('host:port and broker lists: a string of commas or a list, every entry host:port', () => {
  assert.deepEqual(parseHostPort('kafka-a:9092'), { host: 'kafka-a', port: 9092 })
  for (const bad of ['nohost', ':9092', 'h:0', 'h:99999', 'h :1', '[::1]:9092']) assert.equal(parseHostPort(bad), undefined, bad)
  assert.deepEqual(parseBootstrapList(' a:1, b:2,'), ['a:1', 'b:2'])
  assert.deepEqual(parseBootstrapList(['c:9092']), ['c:9092'])
  for (const bad of ['', [], ['a:1', 'b'], [7], 'a:1,b:x', 42]) assert.equal(parseBootstrapList(bad), undefined, JSON.stringify(bad))
  const r = bootstrapField().safeParse('nohost')
  assert.ok(!r.success && /expected host:port brokers/.test(r.error.issues[0]!.message))
})

test('coap:// servers: port 5683 when left out; { host, port } in files', () => {
  assert.deepEqual(parseCoapServer('coap://10.0.0.5'), { host: '10.0.0.5', port: 5683 })
  assert.deepEqual(parseCoapServer('coap://h:5684/'), { host: 'h', port: 5684 })
  for (const bad of ['h:5683', 'coaps://h', 'coap://h:0', 'coap://[::1]:5683']) assert.equal(parseCoapServer(bad), undefined, bad)
  assert.deepEqual(coapServerField().safeParse({ host: 'h', port: 1 }), { success: true, data: { host: 'h', port: 1 } })
  assert.equal(coapServerField().safeParse({ host: 'h', port: 1, extra: 1 }).success, false)
})

test('listen addresses: :port, a bare port, host:port, [v6]:port; port 0 is any free port', () => {
  assert.deepEqual(parseListenAddress(':9464'), { host: '127.0.0.1', port: 9464 })
  assert.deepEqual(parseListenAddress('7000'), { host: '127.0.0.1', port: 7000 })
  assert.deepEqual(parseListenAddress('0.0.0.0:80'), { host: '0.0.0.0', port: 80 })
  assert.deepEqual(parseListenAddress('[::1]:0'), { host: '::1', port: 0 })
  for (const bad of ['localhost', ':99999', '', 'a:b:1']) assert.equal(parseListenAddress(bad), undefined, bad)
  assert.deepEqual(listenArg('--out web', undefined, ':5665'), { host: '127.0.0.1', port: 5665 })
  assert.throws(() => listenArg('--out prometheus', ':70000', ':9464'),
    (err: unknown) => err instanceof InvalidConfigError && /^--out prometheus=:70000: expected \[host\]:port with a port 0-65535/.test(err.message))
})
