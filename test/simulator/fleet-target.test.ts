// A fleet that follows a target and a rate while it runs (issue 4): growth paced or in a surge, shrinking from the
// highest index, rejoining devices that continue their sequences, and the open-model rate before and after a change.
// Real UDP on loopback against the simulator's test server; a few hundred devices so the shared machine copes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { extractTrace } from '../../lib/lwm2m/trace.ts'
import { Fleet } from '../../simulator/fleet.ts'
import { uniqueName } from '../helpers.ts'
import { TestLwm2mServer } from './test-server.ts'

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

async function until (what: string, probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(20)
  }
}

function lwm2mFleet (server: TestLwm2mServer, o: { count: number, rate: number, registrationRate: number, prefix: string, firstAddress: string }): Fleet<'lwm2m'> {
  return new Fleet({
    protocol: 'lwm2m',
    driver: { server: { host: server.host, port: server.port }, lifetimeS: 60, ratePerS: o.rate, format: 112, objects: [{ objectId: 3303, instances: 1 }], capacity: o.count },
    count: o.count, endpointPrefix: o.prefix, placement: { firstAddress: o.firstAddress, perAddress: 1000 }, registrationRate: o.registrationRate, seed: 21,
  })
}

test('setTarget grows paced or in a surge, shrinks from the highest index, and rejoiners continue their sequences', async t => {
  const server = await TestLwm2mServer.start({ autoObserve: { path: '/3303/0/5700', accept: 112 } })
  t.after(() => server.close())
  const prefix = `${uniqueName('target')}-`
  const fleet = lwm2mFleet(server, { count: 200, rate: 5, registrationRate: 50, prefix, firstAddress: '127.0.0.4' })
  t.after(() => fleet.stop())
  const counters = new Map<string, number>()
  fleet.events.on('counter', (name: string, v: number) => counters.set(name, (counters.get(name) ?? 0) + v))
  const joined: Array<{ devices: number, ms: number }> = []
  fleet.events.on('joined', (devices: number, ms: number) => joined.push({ devices, ms }))
  const observed = (): number => [...server.byEndpoint.keys()].filter(e => e.startsWith(prefix)).length

  // paced: 100 devices at 50/s take about 2 s
  let t0 = Date.now()
  fleet.setTarget(100)
  assert.deepEqual({ target: fleet.counts.target, active: fleet.counts.active }, { target: 100, active: 1 })
  await fleet.allRegistered(20_000)
  const pacedMs = Date.now() - t0
  assert.ok(pacedMs >= 1900, `100 registrations at 50/s took ${pacedMs} ms`)
  await until('100 devices observed', () => observed() === 100)
  await until('the growth reported', () => joined.length === 1)
  assert.equal(joined[0]!.devices, 100)
  await sleep(1000)

  // shrink: the highest indices leave (deregistering), the rest go on
  fleet.setTarget(50)
  await until('50 devices left', () => fleet.counts.active === 50 && fleet.counts.leaving === 0 && fleet.counts.registered === 50)
  const gone = server.log.filter(e => e.kind === 'deregister').map(e => e.endpoint).sort()
  assert.deepEqual(gone, Array.from({ length: 50 }, (_, i) => fleet.endpoint(50 + i)))
  await sleep(500)

  // surge: 100 joiners (50 of them rejoin) at once, far faster than the paced 2 s
  t0 = Date.now()
  fleet.setTarget(150, { surge: true })
  await fleet.allRegistered(20_000)
  const surgeMs = Date.now() - t0
  assert.ok(surgeMs < 1500, `a surge of 100 registrations took ${surgeMs} ms`)
  await until('the surge reported', () => joined.length === 2)
  assert.equal(joined[1]!.devices, 100)
  await until('150 devices notifying', () => observed() === 150 &&
    Array.from({ length: 150 }, (_, i) => fleet.endpoint(i)).every(e => (server.byEndpoint.get(e)?.length ?? 0) >= 2))
  await sleep(1000)
  assert.throws(() => fleet.setTarget(201), /target must be a whole number of devices 0-200 \(the fleet's capacity\), got 201/)

  const result = await fleet.stop()
  // (once in a CI run, one of the 200 left unclean: the counters say which request failed and how, if it happens again)
  const said = [...counters].filter(([k]) => k.startsWith('errors.') || k.startsWith('lwm2m.deregister') || k.startsWith('lwm2m.register.failed'))
  assert.deepEqual(result, { clean: 200, unclean: 0 }, `50 left on shrink, 150 on stop, all deregistered; counters ${JSON.stringify(Object.fromEntries(said))}`)
  assert.deepEqual(fleet.counts, { target: 0, active: 0, registered: 0, leaving: 0, started: 200, everRegistered: 150, registrationFailures: 0 })

  // every endpoint's sequence is 0 .. n-1 across leave and rejoin: no restart the sink would count as duplicates
  const sent = fleet.sent()
  assert.equal(Object.keys(sent).length, 150)
  let total = 0
  for (let i = 0; i < 150; i++) {
    const endpoint = fleet.endpoint(i)
    const seqs = server.byEndpoint.get(endpoint)!.map(n => extractTrace(112, n.payload)!.seq).sort((a, b) => a - b)
    assert.deepEqual(seqs, seqs.map((_, k) => k), `${endpoint}: sequence without gaps or duplicates`)
    assert.equal(sent[endpoint], seqs.length, `${endpoint}: the fleet's count is the device's sequence`)
    if (i >= 50 && i < 100) assert.equal(server.registrations.get(endpoint)!.updates.length, 0, 'a rejoiner registered anew')
    total += seqs.length
  }
  assert.equal(total, counters.get('lwm2m.notify.sent'))
  const rejoiner = server.byEndpoint.get(fleet.endpoint(75))!.map(n => extractTrace(112, n.payload)!.seq).sort((a, b) => a - b)
  assert.ok(rejoiner.length >= 10, `${fleet.endpoint(75)} sent before and after it left: ${rejoiner.length}`)
})

test('setRate: the achieved rate matches the target within 1 %, a change takes effect within a sample period, 0 pauses', async t => {
  const server = await TestLwm2mServer.start({ autoObserve: { path: '/3303/0/5700', accept: 112 } })
  t.after(() => server.close())
  const n = 300
  const prefix = `${uniqueName('rate')}-`
  const fleet = lwm2mFleet(server, { count: n, rate: 2, registrationRate: 1000, prefix, firstAddress: '127.0.0.8' })
  t.after(() => fleet.stop())
  const sends: number[] = []
  fleet.events.on('counter', (name: string) => { if (name === 'lwm2m.notify.sent') sends.push(performance.now()) })
  const between = (from: number, to: number): number => sends.filter(s => s >= from && s < to).length
  fleet.start()
  await fleet.allRegistered(20_000)
  await until('every device observed', () => [...server.byEndpoint.keys()].filter(e => e.startsWith(prefix)).length === n)
  await sleep(1000)

  const report: string[] = []
  const check = (label: string, from: number, ms: number, perDevice: number, tolerance: number): void => {
    const got = between(from, from + ms)
    const expected = n * perDevice * ms / 1000
    report.push(`${label}: ${got} of ${expected} (${(100 * (got - expected) / expected).toFixed(2)} %)`)
    assert.ok(Math.abs(got - expected) <= expected * tolerance, report.at(-1))
  }
  // steady: 10 s at 2/s
  let from = performance.now()
  await sleep(10_200)
  check('2/s over 10 s', from, 10_000, 2, 0.01)

  // faster: 2/s -> 5/s takes effect within one new period (200 ms)
  let changed = performance.now()
  fleet.setRate(5)
  await sleep(4300)
  check('5/s, 0.2-4.2 s after the change', changed + 200, 4000, 5, 0.01)
  // no catch-up burst: the first 200 ms carry at most one period's worth of the new rate
  assert.ok(between(changed, changed + 200) <= n * 1.02, `${between(changed, changed + 200)} sends in the first 200 ms at 5/s`)

  // pause: nothing after the last sample already due
  changed = performance.now()
  fleet.setRate(0)
  await sleep(1500)
  assert.equal(between(changed + 20, changed + 1500), 0, 'rate 0 pauses notifications')

  // resume at 1/s, then slower: 1/s -> 0.5/s keeps each device's next sample, then every 2 s
  changed = performance.now()
  fleet.setRate(1)
  await sleep(4200)
  check('1/s after a pause, 0-4 s', changed, 4000, 1, 0.01)
  changed = performance.now()
  fleet.setRate(0.5)
  from = changed + 1000 // the samples due under 1/s are sent within its period, then 2 s apart
  await sleep(5200)
  check('0.5/s, 1-5 s after the change', from, 4000, 0.5, 0.02)
  t.diagnostic(report.join('; '))

  await fleet.stop()
  // the sequences have no gaps across every change
  for (const [endpoint, list] of server.byEndpoint) {
    const seqs = list.map(x => extractTrace(112, x.payload)!.seq).sort((a, b) => a - b)
    assert.deepEqual(seqs, seqs.map((_, k) => k), endpoint)
  }
})
