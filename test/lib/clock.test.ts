// One clock across a run's processes: the offset NTP's way, over the real control channel (lib/channel.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ChannelClient, ChannelServer } from '../../lib/channel.ts'
import type { UnitConnection, UnitMessage } from '../../lib/channel.ts'
import { estimateOffset, RunnerClock, startClockSync, unitClock } from '../../lib/clock.ts'

test('the offset comes from the exchange with the shortest round trip', () => {
  assert.equal(estimateOffset([]), undefined)
  // the runner is 50 ms ahead; the second exchange waited 30 ms on the way back, the first took 2 ms in all
  const e = estimateOffset([{ t0: 1000, t1: 1051, t2: 1002 }, { t0: 2000, t1: 2051, t2: 2032 }])
  assert.deepEqual(e, { offsetMs: 50, roundTripMs: 2 })
})

test('a clock 50 ms ahead of the runner is set back over the channel, and a monotonic clock is mapped with it', async t => {
  const server = await ChannelServer.listen()
  t.after(() => server.close())
  const client = await ChannelClient.connect(server.address, { token: server.token, unit: 'gateway-0', kind: 'gateway' })
  t.after(() => client.close())
  await server.waitForUnit('gateway-0', 5000)
  const messages: UnitMessage[] = []
  server.on('message', (_c: UnitConnection, m: UnitMessage) => messages.push(m))

  const ahead = (): number => Date.now() + 50
  const clock = new RunnerClock(ahead)
  const sync = startClockSync({ ask: t0 => client.askTime(t0), clock, samples: 5 })
  await sync.ready
  sync.stop()
  const e = clock.estimate
  assert.ok(e !== undefined)
  assert.ok(Math.abs(e.offsetMs + 50) <= 1 + e.roundTripMs / 2, `offset ${e.offsetMs} ms, round trip ${e.roundTripMs} ms`)
  assert.ok(Math.abs(clock.now() - Date.now()) <= 2, 'the corrected clock reads the runner\'s time')
  // a device's send time: a monotonic reading turned into wall time by the gateway's (also 50 ms ahead) mapping
  const toWall = clock.mapped({ now: () => performance.now(), toWall: m => performance.timeOrigin + m + 50 })
  assert.ok(Math.abs(toWall(performance.now()) - Date.now()) <= 2, 'a send time in the runner\'s clock')
  assert.equal(messages.filter(m => m.type === 'clock').length, 0, 'the channel answers the clock itself; handlers never see it')
})

test('unitClock tells the offset once, and again only when it moves; a channel without a clock leaves the offset 0', async t => {
  const server = await ChannelServer.listen('127.0.0.1', () => Date.now() - 20)
  t.after(() => server.close())
  const client = await ChannelClient.connect(server.address, { token: server.token, unit: 'sink-0', kind: 'sink' })
  t.after(() => client.close())
  const told: string[] = []
  const { clock, stop } = unitClock(client, Date.now, d => told.push(d), 100)
  t.after(stop)
  const deadline = Date.now() + 5000
  while (clock.estimate === undefined && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  await new Promise(resolve => setTimeout(resolve, 350)) // three more measurements
  assert.equal(told.length, 1, told.join('\n'))
  assert.match(told[0]!, /^offset to the runner's clock -(19|20|21)\.\d ms \(round trip \d+\.\d ms\)/)
  const none = unitClock({}, Date.now, d => told.push(d))
  assert.equal(none.clock.offsetMs, 0)
  none.stop()
})

test('askTime rejects when the runner goes away', async () => {
  const server = await ChannelServer.listen()
  const client = await ChannelClient.connect(server.address, { token: server.token, unit: 'gateway-1', kind: 'gateway' })
  await server.waitForUnit('gateway-1', 5000)
  await server.close()
  await new Promise(resolve => setTimeout(resolve, 50))
  await assert.rejects(client.askTime(Date.now()), /the runner went away/)
})
