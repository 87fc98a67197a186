import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createConnection } from 'node:net'
import { ChannelClient, ChannelServer, CHANNEL_ENV } from '../../lib/channel.ts'
import type { RunnerMessage, UnitConnection, UnitMessage } from '../../lib/channel.ts'

async function server (t: { after: (fn: () => Promise<void>) => void }): Promise<ChannelServer> {
  const s = await ChannelServer.listen()
  t.after(async () => { await s.close() })
  return s
}

test('a unit connects with the env the runner gives it, gets its config and sends windows back', async t => {
  const s = await server(t)
  const received: UnitMessage[] = []
  s.on('message', (_c: UnitConnection, m: UnitMessage) => received.push(m))
  const client = await ChannelClient.fromEnv('gateway', s.envFor('gateway-0'))
  t.after(async () => { await client.close() })
  const conn = await s.waitForUnit('gateway-0', 5000)
  assert.equal(conn.kind, 'gateway')
  assert.equal(conn.pid, process.pid)
  const got = new Promise<RunnerMessage>(resolve => client.once('message', resolve))
  conn.send({ type: 'config', config: { maxDevices: 5 } })
  assert.deepEqual(await got, { type: 'config', config: { maxDevices: 5 } })
  client.send({ type: 'windows', windows: [{ second: 7, counters: { a: 1 }, gauges: {}, histograms: {} }] })
  client.send({ type: 'report', report: { sent: {} } })
  const deadline = Date.now() + 5000
  while (received.length < 2 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10))
  assert.deepEqual(received.map(m => m.type), ['windows', 'report'])
})

test('a wrong token, a missing hello and garbage are turned away without stopping the server', async t => {
  const s = await server(t)
  const rejected: string[] = []
  s.on('rejected', (r: string) => rejected.push(r))
  const env = s.envFor('sink-0')
  await ChannelClient.fromEnv('sink', { ...env, [CHANNEL_ENV.token]: 'nope' })
  const [host, port] = [s.address.split(':')[0]!, Number(s.address.split(':')[1])]
  const raw = createConnection({ host, port })
  raw.on('error', () => {})
  raw.write('not json\n{"type":"windows","windows":[]}\n')
  const deadline = Date.now() + 5000
  while (rejected.length < 2 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10))
  raw.destroy()
  assert.ok(rejected.some(r => r.includes('wrong token')), rejected.join('; '))
  assert.ok(rejected.some(r => r.includes('unparseable') || r.includes('not hello')), rejected.join('; '))
  assert.equal(s.units.size, 0)
  // the right unit still gets in afterwards
  const good = await ChannelClient.fromEnv('sink', env)
  t.after(async () => { await good.close() })
  assert.equal((await s.waitForUnit('sink-0', 5000)).unit, 'sink-0')
})

test('the server sees a unit go when its connection closes, and waitForUnit times out with a clear message', async t => {
  const s = await server(t)
  const client = await ChannelClient.fromEnv('gateway', s.envFor('gateway-1'))
  await s.waitForUnit('gateway-1', 5000)
  const gone = new Promise<UnitConnection>(resolve => s.once('gone', resolve))
  await client.close()
  assert.equal((await gone).unit, 'gateway-1')
  await assert.rejects(s.waitForUnit('gateway-9', 100), /gateway-9 did not connect to the runner within 100 ms/)
})

test('fromEnv without the runner variables says who starts units', async () => {
  await assert.rejects(ChannelClient.fromEnv('sink', {}), /started by the runner \(fleetlab run\)/)
})
