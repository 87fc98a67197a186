// The capacity search against synthetic systems: each breaks above N devices in one way; the search must find N
// within the resolution, in a bounded number of plateaus, judging only the measured (post-warmup) seconds.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CapacitySearch, slope } from '../../experiments/capacity.ts'
import { parseExperiment } from '../../experiments/schema.ts'
import type { CapacityOptions } from '../../experiments/schema.ts'
import type { ObservedSecond } from '../../experiments/contracts.ts'

type Workload = CapacityOptions['workload']
type System = (devices: number, tS: number, secondOfPlateau: number) => Partial<ObservedSecond>

function search (workload: Workload): CapacitySearch {
  return new CapacitySearch(parseExperiment('capacity', { workload }).workload)
}

/** Runs the search the way the runner does: at(t) each 250 ms, observe() at the end of each second. */
function drive (s: CapacitySearch, system: System, maxS = 100_000): { seconds: number } {
  let lastDevices = -1
  let since = 0
  for (let tS = 1; tS <= maxS; tS++) {
    let devices = 0
    let rate = 0
    for (let q = 0; q < 4; q++) { const p = s.at((tS - 1) * 1000 + q * 250); devices = p.devices; rate = p.ratePerDevice }
    if (devices !== lastDevices) { since = 0; lastDevices = devices }
    since++
    const sent = devices * rate
    s.observe({
      tS, devicesTarget: devices, devicesActive: devices, rateTarget: sent, sent, delivered: sent, e2eP99Ms: 40, consumerLag: 100, cpuPercent: { 'lwm2m-server': 20 },
      ...system(devices, tS, since),
    })
    if (s.done()) return { seconds: tS }
  }
  throw new Error('search did not finish')
}

const latencyAbove = (n: number): System => d => d > n ? { e2eP99Ms: 900 } : {}

test('finds where latency breaks within the resolution, in few plateaus', () => {
  for (const n of [137, 1000, 4321, 15_000]) {
    const s = search({ start: 100, maxDevices: 20_000, stepDuration: '20s', warmup: '5s', slo: { 'e2e.p99': '<500ms' }, resolution: 0.05 })
    drive(s, latencyAbove(n))
    const r = s.result()
    assert.equal(r.stoppedBecause, 'resolution', `n=${n}`)
    assert.ok(r.largestSustainable !== null && r.largestSustainable <= n, `n=${n}: ${r.largestSustainable}`)
    assert.ok(r.firstBreaking !== null && r.firstBreaking > n, `n=${n}: ${r.firstBreaking}`)
    assert.ok(r.firstBreaking - r.largestSustainable <= 0.05 * r.largestSustainable, `n=${n}: gap ${r.largestSustainable}..${r.firstBreaking}`)
    // growth x2 from 100 to 20000: at most 9 plateaus; halving a gap of at most 2x to 5 %: at most 5 more
    assert.ok(r.plateaus.length <= 14, `n=${n}: ${r.plateaus.length} plateaus`)
    assert.match(r.breakingReason!, /^e2e\.p99 900 ms > 500 ms/)
    assert.deepEqual(r.plateaus.map(p => p.passed), r.plateaus.map(p => p.devices <= n))
  }
})

test('growth by adding devices, and phases grow-n then search-n', () => {
  const s = search({ start: 500, maxDevices: 5000, growth: { add: 500 }, stepDuration: '10s', warmup: '2s', slo: { 'e2e.p99': '<500ms' }, resolution: 0.02 })
  drive(s, latencyAbove(2200))
  const r = s.result()
  assert.deepEqual(r.plateaus.slice(0, 5).map(p => [p.phase, p.devices]), [['grow-1', 500], ['grow-2', 1000], ['grow-3', 1500], ['grow-4', 2000], ['grow-5', 2500]])
  assert.equal(r.plateaus[5]!.phase, 'search-1')
  assert.ok(r.largestSustainable! <= 2200 && r.largestSustainable! >= 2200 / 1.02, String(r.largestSustainable))
})

test('each SLO breaks a plateau: loss, lag growth, cpu, registration', () => {
  const slo = { 'e2e.p99': '<500ms', loss: '<1%', lagGrowth: true, cpu: { service: 'lwm2m-server', below: '80%' } }
  const cases: Array<[string, System, RegExp]> = [
    ['loss', d => d > 3000 ? { delivered: d * 0.9 } : {}, /^loss 10% > 1%/],
    ['lag', (d, tS) => d > 3000 ? { consumerLag: tS * d * 0.2 } : {}, /^consumer lag grows \d+ records\/s > \d+\/s/],
    ['cpu', d => d > 3000 ? { cpuPercent: { 'lwm2m-server': 95 } } : {}, /^cpu of lwm2m-server 95% >= 80%/],
    ['registration', d => d > 3000 ? { devicesActive: 3000 } : {}, /^registered 3000 of \d+ devices/],
  ]
  for (const [name, system, reason] of cases) {
    const s = search({ start: 1000, maxDevices: 10_000, stepDuration: '20s', warmup: '5s', slo, resolution: 0.05 })
    drive(s, system)
    const r = s.result()
    assert.ok(r.largestSustainable! <= 3000 && r.largestSustainable! >= 3000 / 1.05, `${name}: ${r.largestSustainable}`)
    assert.match(r.breakingReason!, reason, name)
  }
})

test('seconds in the warmup (and the cooldown after a break) are not measured', () => {
  // Every plateau starts badly for 5 s (devices joining), which the warmup hides; the system holds everything.
  const s = search({ start: 100, maxDevices: 800, stepDuration: '20s', warmup: '5s', cooldown: '8s', slo: { 'e2e.p99': '<500ms' } })
  drive(s, (_d, _t, since) => since <= 5 ? { e2eP99Ms: 5000 } : {})
  const r = s.result()
  assert.equal(r.stoppedBecause, 'maxDevices')
  assert.equal(r.largestSustainable, 800)
  assert.equal(r.firstBreaking, null)
  assert.deepEqual(r.plateaus.map(p => p.devices), [100, 200, 400, 800])
  assert.deepEqual(r.plateaus.map(p => p.seconds), [15, 15, 15, 15])
  assert.deepEqual(r.plateaus.map(p => [p.startS, p.endS]), [[0, 20], [20, 40], [40, 60], [60, 80]])

  // After a broken plateau the next one is longer by the cooldown, and its first warmup + cooldown seconds are ignored.
  const t = search({ start: 100, maxDevices: 800, stepDuration: '20s', warmup: '5s', cooldown: '8s', slo: { 'e2e.p99': '<500ms' }, resolution: 0.3 })
  drive(t, latencyAbove(300))
  const after = t.result().plateaus[3]!
  assert.equal(after.phase, 'search-1')
  assert.equal(after.endS - after.startS, 28)
  assert.equal(after.seconds, 15)
})

test('when the start already breaks, there is no sustainable fleet', () => {
  const s = search({ start: 100, maxDevices: 800, stepDuration: '10s', warmup: '2s', slo: { 'e2e.p99': '<500ms' } })
  drive(s, latencyAbove(50))
  const r = s.result()
  assert.equal(r.stoppedBecause, 'start-breaks')
  assert.equal(r.largestSustainable, null)
  assert.equal(r.firstBreaking, 100)
  assert.equal(r.plateaus.length, 1)
})

test('a cpu SLO on a service that is never reported fails loudly, naming the services seen', () => {
  const s = search({ start: 100, maxDevices: 800, stepDuration: '10s', warmup: '2s', slo: { cpu: { service: 'kafka', below: '80%' } } })
  drive(s, () => ({}))
  assert.match(s.result().breakingReason!, /cpu: no samples of kafka \(services seen: lwm2m-server\)/)
})

test('maxPlateaus bounds the search; the workload keeps its last point once done', () => {
  const s = search({ start: 100, maxDevices: 100_000, growth: { add: 100 }, stepDuration: '10s', warmup: '2s', slo: { 'e2e.p99': '<500ms' }, maxPlateaus: 5 })
  drive(s, () => ({}))
  const r = s.result()
  assert.equal(r.stoppedBecause, 'maxPlateaus')
  assert.equal(r.plateaus.length, 5)
  assert.equal(r.largestSustainable, 500)
  assert.equal(s.at(1e9).phase, 'done')
  assert.equal(s.durationMs, undefined)
})

test('a runner that asks at() late starts the next plateau on the next whole second', () => {
  const s = search({ start: 100, maxDevices: 400, stepDuration: '10s', warmup: '2s', slo: { 'e2e.p99': '<500ms' } })
  for (let tS = 1; tS <= 10; tS++) {
    s.at(tS * 1000 - 500)
    if (tS === 10) s.at(10_300) // the runner's tick after the plateau ended, before observe() for second 10
    s.observe({ tS, devicesTarget: 100, devicesActive: 100, rateTarget: 100, sent: 100, delivered: 100, e2eP99Ms: 10, consumerLag: 0, cpuPercent: {} })
  }
  assert.equal(s.plateau.devices, 200)
  assert.equal(s.result().plateaus.length, 1)
  assert.equal(s.at(10_500).devices, 200)
  // the new plateau runs 11 s .. 21 s
  for (let tS = 11; tS <= 21; tS++) s.observe({ tS, devicesTarget: 200, devicesActive: 200, rateTarget: 200, sent: 200, delivered: 200, e2eP99Ms: 10, consumerLag: 0, cpuPercent: {} })
  const second = s.result().plateaus[1]!
  assert.deepEqual([second.startS, second.endS, second.seconds], [11, 21, 8])
})

test('loss counts what is missing, not what piled up in the consumer backlog', () => {
  const s = search({ start: 100, maxDevices: 200, stepDuration: '10s', warmup: '2s', slo: { loss: '<0.1%' } })
  const plateau = { index: 0, phase: 'grow-1', devices: 100, startMs: 0, endMs: 10_000 }
  const seconds = Array.from({ length: 8 }, (_, i): ObservedSecond => ({
    tS: i + 3, devicesTarget: 100, devicesActive: 100, rateTarget: 100, sent: 100, delivered: 90, e2eP99Ms: 20, consumerLag: 500, cpuPercent: {},
  }))
  const lossy = s.evaluate(plateau, seconds)
  assert.equal(lossy.loss, 0.1)
  assert.deepEqual(lossy.reasons, ['loss 10% > 0.1%'])
  // the same deficit, all of it in a growing backlog: no loss (lag growth is its own SLO)
  const queued = s.evaluate(plateau, seconds.map((x, i) => ({ ...x, consumerLag: 500 + 10 * (i + 1) })))
  assert.equal(queued.loss, 0.0125)
  const all = s.evaluate(plateau, seconds.map((x, i) => ({ ...x, consumerLag: 500 + 10 * i + 10 * (i === 7 ? 1 : 0) })))
  assert.equal(all.loss, 0)
})

test('least squares slope', () => {
  assert.equal(slope([[0, 1], [1, 3], [2, 5], [3, 7]]), 2)
  assert.equal(slope([[0, 1], [1, 3]]), null)
  assert.equal(slope([[1, 1], [1, 2], [1, 3]]), null)
})

test('after a broken plateau the backlog drains before the next plateau is measured', () => {
  const s = search({ start: 100, maxDevices: 1000, stepDuration: '10s', warmup: '2s', slo: { 'e2e.p99': '<500ms' }, resolution: 0.3 })
  // above 300 devices the system falls behind; once sending stops it needs 7 s to deliver its backlog
  let backlogUntil = -1
  const phases: string[] = []
  drive(s, (devices, tS) => {
    const phase = s.at((tS - 1) * 1000).phase
    if (phases.at(-1) !== phase) phases.push(phase)
    if (devices > 300 && !phase.startsWith('recover')) { backlogUntil = tS + 8; return { e2eP99Ms: 2000 } }
    if (phase.startsWith('recover') && tS <= backlogUntil) return { delivered: 50 }
    return {}
  })
  const r = s.result()
  assert.ok(phases.some(p => p.startsWith('recover-')), phases.join(' '))
  const broken = r.plateaus.find(p => !p.passed)!
  assert.ok(broken.recoveredInS !== undefined && broken.recoveredInS >= 8, `recovered in ${broken.recoveredInS} s`)
  assert.equal(broken.recoveryTimedOut, undefined)
  assert.ok(r.largestSustainable !== null && r.largestSustainable <= 300 && r.firstBreaking! > 300)
})
