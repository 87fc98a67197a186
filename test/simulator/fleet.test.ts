// The fleet at a scale CI can afford: 2,000 devices, each with its own socket, over two loopback addresses,
// registering at a paced rate, notifying for a few seconds, then all deregistered. Real UDP on loopback.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { extractTrace } from '../../lib/lwm2m/trace.ts'
import { InvalidConfigError } from '../../lib/errors.ts'
import { Fleet, endpointName, fleetProblems } from '../../simulator/fleet.ts'
import { uniqueName } from '../helpers.ts'
import { TestLwm2mServer } from './test-server.ts'

test('2,000 devices over 2 loopback addresses register, notify without gaps or duplicates, and all deregister', async t => {
  const server = await TestLwm2mServer.start({ autoObserve: { path: '/3303/0/5700', accept: 112 } })
  t.after(() => server.close())
  const count = 2000
  const prefix = `${uniqueName('fleet')}-`
  const fleet = new Fleet({
    protocol: 'lwm2m',
    driver: { server: { host: server.host, port: server.port }, lifetimeS: 60, ratePerS: 2, format: 112, objects: [{ objectId: 3303, instances: 1 }], capacity: count },
    count, endpointPrefix: prefix, placement: { firstAddress: '127.0.0.2', perAddress: 1000 }, registrationRate: 2000, seed: 11,
  })
  let stopped = false
  t.after(async () => { if (!stopped) await fleet.stop() })
  const counters = new Map<string, number>()
  fleet.events.on('counter', (name: string, v: number) => counters.set(name, (counters.get(name) ?? 0) + v))
  const started = Date.now()
  fleet.start()
  await fleet.allRegistered(30_000)
  const registerMs = Date.now() - started
  assert.ok(registerMs >= 900, `2,000 registrations at 2,000/s took ${registerMs} ms: the storm is paced`)
  assert.equal(fleet.counts.registrationFailures, 0)
  await server.waitFor('every device observed', () => server.byEndpoint.size === count, 10_000)
  await new Promise(resolve => setTimeout(resolve, 3000))
  const result = await fleet.stop()
  stopped = true
  assert.deepEqual(result, { clean: count, unclean: 0 })

  const regs = [...server.registrations.values()].filter(r => r.endpoint.startsWith(prefix))
  assert.equal(regs.length, count)
  assert.deepEqual([...new Set(regs.map(r => r.address))].sort(), ['127.0.0.2', '127.0.0.3'])
  assert.equal(new Set(regs.map(r => `${r.address}:${r.port}`)).size, count, 'each device has its own source address:port')
  assert.equal(regs.filter(r => r.deregisteredAt !== undefined).length, count, 'all deregistered')

  let total = 0
  for (const [endpoint, list] of server.byEndpoint) {
    const seqs = list.map(n => extractTrace(112, n.payload)!)
    assert.ok(seqs.every(s => s.deviceId === endpoint))
    assert.deepEqual(seqs.map(s => s.seq), seqs.map((_, i) => i), `${endpoint}: sequence without gaps or duplicates`)
    assert.ok(seqs.length >= 5, `${endpoint}: ${seqs.length} notifications in about 3 s at 2/s`)
    total += seqs.length
  }
  assert.equal(total, counters.get('lwm2m.notify.sent'), 'sent = received')
  assert.equal(counters.get('lwm2m.register.sent'), count)
})

test('a fleet checks its placement and the file descriptor limit before it starts', () => {
  assert.match(fleetProblems({ count: 10_000_000, placement: { firstAddress: '127.0.0.1', perAddress: 10_000 }, registrationRate: 1 }).join('\n'),
    /need 10000000 sockets but this process can open only \d+ more file descriptors \(RLIMIT_NOFILE \d+/)
  assert.throws(() => new Fleet({
    protocol: 'lwm2m', driver: { server: { host: '127.0.0.1', port: 5683 }, lifetimeS: 60, ratePerS: 1, format: 110, objects: [] },
    count: 10, endpointPrefix: 'x-', placement: { firstAddress: '127.0.0.1', perAddress: 10 }, registrationRate: 0, seed: 1,
  }), (err: unknown) => err instanceof InvalidConfigError && /registration rate must be positive/.test(err.message))
  assert.equal(endpointName('dev-', 42, 20_000), 'dev-000042')
  assert.equal(endpointName('dev-', 42, 2_000_000), 'dev-0000042')
})
