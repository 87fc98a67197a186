// A gateway whose clock runs 50 ms ahead of the runner's (issue 10 §2): it sets its clock by the runner's over the
// real control channel, so the send times its devices put in their traces are the runner's, and latency measured
// against the runner's clock (here: our LWM2M server's receive time, in this process) is neither 50 ms short nor
// negative. The gateway runs in this process (runGateway) so that its clocks can be the skewed ones; its devices
// send real CoAP over UDP to a real Lwm2mServer.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ChannelClient, ChannelServer } from '../../lib/channel.ts'
import type { UnitConnection, UnitMessage } from '../../lib/channel.ts'
import { Lwm2mServer } from '../../platform/lwm2m-server/server.ts'
import type { GatewayConfig } from '../../simulator/contract.ts'
import { defaultDriverContext } from '../../simulator/driver.ts'
import { runGateway } from '../../simulator/gateway.ts'
import { uniqueName, waitFor } from '../helpers.ts'

const SKEW_MS = 50

async function latencies (skewMs: number, correct: boolean): Promise<{ latencies: number[], events: string[] }> {
  const server = new Lwm2mServer({ port: 0 })
  await server.start()
  const channel = await ChannelServer.listen()
  const out: number[] = []
  server.on('notification', n => { if (n.trace !== undefined && !n.initial) out.push(n.receivedAt - n.trace.sentAtMs) })
  const events: string[] = []
  channel.on('message', (_c: UnitConnection, m: UnitMessage) => { if (m.type === 'event' && m.kind === 'clock') events.push(m.detail) })
  const client = await ChannelClient.connect(channel.address, { token: channel.token, unit: 'gateway-0', kind: 'gateway' })
  // without correction: a channel that cannot tell the runner's time (as a runner before clocks were measured)
  const unit = correct ? client : { send: client.send.bind(client), on: client.on.bind(client), close: client.close.bind(client) }
  const done = runGateway({
    channel: unit,
    now: () => Date.now() + skewMs,
    driverContext: seed => ({ ...defaultDriverContext(seed), toWallMs: t => performance.timeOrigin + t + skewMs }),
  })
  try {
    const conn = await channel.waitForUnit('gateway-0', 10_000)
    const devices = 20
    conn.send({
      type: 'config',
      config: {
        gateway: 'gateway-0', maxDevices: devices, firstIndex: 0, endpointPrefix: `${uniqueName('clk')}-`, totalDevices: devices,
        driver: { server: { host: '127.0.0.1', port: server.address().port }, lifetimeS: 60, ratePerS: 5, format: 112, objects: [{ objectId: 3303, instances: 1 }], trace: true, capacity: devices },
        placement: { firstAddress: '127.0.0.1', perAddress: 10_000 }, registrationRate: 200, seed: 3,
      } satisfies GatewayConfig,
    })
    conn.send({ type: 'target', devices, ratePerDevice: 5 })
    await waitFor('200 traced notifications', async () => out.length >= 200 ? true : undefined, 20_000)
    conn.send({ type: 'finish' })
    assert.equal(await done, 0)
  } finally {
    await channel.close()
    await server.stop()
  }
  return { latencies: out, events }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

test(`a gateway ${SKEW_MS} ms ahead of the runner is corrected: latency is measured on the runner's clock`, { timeout: 60_000 }, async () => {
  const skewed = await latencies(SKEW_MS, false)
  assert.ok(median(skewed.latencies) < -SKEW_MS / 2, `uncorrected, the skew shows: median ${median(skewed.latencies)} ms`)
  assert.deepEqual(skewed.events, [])

  const corrected = await latencies(SKEW_MS, true)
  const m = median(corrected.latencies)
  assert.ok(m >= 0 && m < 20, `corrected: median latency ${m} ms over loopback`)
  assert.ok(corrected.latencies.filter(l => l < -2).length === 0, `no negative latencies: ${corrected.latencies.filter(l => l < -2).slice(0, 5).join(', ')}`)
  assert.equal(corrected.events.length, 1, corrected.events.join('\n'))
  const offset = Number(/offset to the runner's clock ([-+][\d.]+) ms/.exec(corrected.events[0]!)?.[1])
  assert.ok(Math.abs(offset + SKEW_MS) <= 2, `measured offset ${offset} ms`)
})
