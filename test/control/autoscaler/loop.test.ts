import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Autoscaler } from '../../../control/autoscaler/loop.ts'
import type { AutoscalerConfig, ControlInput } from '../../../control/autoscaler/types.ts'
import { directionChanges, simulate } from './sim.ts'

// A 10x burst of 60 s over a baseline (the bench's shape): 300/s, 3,000/s from 30 s to 90 s, 300/s after.
const BASE = 300
const burst = (t: number): number => t >= 30 && t < 90 ? BASE * 10 : BASE
const CAPACITY = 500
const PARTITIONS = 12
const policies: Record<string, AutoscalerConfig> = {
  threshold: { policy: 'threshold', min: 1, periodMs: 1000, sloLagSeconds: 5, params: { lagThreshold: 1000, activationLagThreshold: 0, cooldown: 30_000 } },
  'target-tracking': { policy: 'target-tracking', min: 1, periodMs: 1000, sloLagSeconds: 5, params: { metric: 'lag', target: 1000, stabilization: 30_000 } },
  predictive: { policy: 'predictive', min: 1, periodMs: 1000, sloLagSeconds: 5, params: {} },
}

for (const [name, config] of Object.entries(policies)) {
  test(`${name} on a simulated 10x burst: up within 2 periods, never past the partitions, down after its window, no flapping`, async () => {
    const r = await simulate({ config, arrival: burst, capacity: CAPACITY, partitions: PARTITIONS, seconds: 200 })
    const firstUp = r.replicas.findIndex((n, t) => t >= 30 && n > 1)
    assert.ok(firstUp >= 30 && firstUp <= 32, `first scale-up at ${firstUp} s (burst at 30 s)`)
    assert.ok(Math.max(...r.replicas) <= PARTITIONS)
    assert.equal(directionChanges(r.replicas, 0, 30), 0, 'steady baseline: no change of direction')
    assert.equal(directionChanges(r.replicas, 150, 200), 0, 'steady after the burst')
    assert.equal(r.lag.at(-1), 0, 'drained')
    assert.equal(r.replicas.at(-1), Math.ceil(BASE / CAPACITY), 'back to what the baseline needs')
    let lastUp = 0
    r.replicas.forEach((n, t) => { if (t > 0 && n > r.replicas[t - 1]!) lastUp = t })
    const firstDown = r.replicas.findIndex((n, t) => t > lastUp && n < r.replicas[t - 1]!)
    assert.ok(firstDown > lastUp, 'scaled down only after the last scale-up')
    for (const d of r.decisions.filter(d => d.action !== 'hold')) assert.ok(d.reason.length > 10 && /->/.test(d.reason), d.reason)
  })
}

test('a replica killed from outside is replaced within 2 periods', async () => {
  const config: AutoscalerConfig = { policy: 'fixed', min: 1, periodMs: 1000, sloLagSeconds: 5, params: {} }
  const r = await simulate({ config, arrival: () => BASE, capacity: CAPACITY, partitions: PARTITIONS, seconds: 30, initial: 3, kills: [10] })
  assert.equal(r.replicas[9], 3)
  const back = r.replicas.findIndex((n, t) => t > 10 && n === 3)
  assert.ok(back > 0 && back <= 12, `replaced at ${back} s (killed at 10 s)`)
  assert.ok(r.decisions.some(d => d.action === 'replace' && /gone/.test(d.reason)))
})

test('simulation only: predictive peaks lower than threshold on the same burst, at no more replica-seconds', async () => {
  const t = await simulate({ config: policies.threshold!, arrival: burst, capacity: CAPACITY, partitions: PARTITIONS, seconds: 200 })
  const p = await simulate({ config: policies.predictive!, arrival: burst, capacity: CAPACITY, partitions: PARTITIONS, seconds: 200 })
  const peak = (lag: number[]): number => Math.max(...lag)
  assert.ok(peak(p.lag) < peak(t.lag), `peak lag predictive ${peak(p.lag)} vs threshold ${peak(t.lag)}`)
  assert.ok(p.autoscaler.stats().replicaSeconds <= t.autoscaler.stats().replicaSeconds * 1.05,
    `replica-seconds predictive ${p.autoscaler.stats().replicaSeconds} vs threshold ${t.autoscaler.stats().replicaSeconds}`)
})

test('a look between periods: wantsScaleUp says whether the policy would scale up now, and learns nothing', () => {
  const config = policies['target-tracking']!
  let scaled = 0
  const a = new Autoscaler({ config, initial: 1, executor: { scale: async () => { scaled++ } } })
  const input = (atMs: number, lag: number): ControlInput => ({
    atMs, replicas: 1, partitions: PARTITIONS, lag, lagSeconds: lag / 1000, partitionsWithLag: lag > 0 ? PARTITIONS : 0, groupStatus: 'OK',
    arrivalRate: 1000, consumedRate: 200, groupStable: true,
  })
  a.step(input(0, 0))
  assert.equal(a.wantsScaleUp(input(250, 1050)), false, 'lag per replica within the 0.1 tolerance of 1,000')
  assert.equal(a.wantsScaleUp(input(500, 1900)), true, '1,900 per replica wants 2')
  assert.equal(a.knowledge.inputs.length, 1, 'a look adds nothing to the knowledge')
  assert.equal(a.knowledge.desired, 1)
  assert.equal(scaled, 0, 'and scales nothing')
  const d = a.step(input(500, 1900))
  assert.equal(d.action, 'scale-up')
  assert.equal(a.wantsScaleUp(input(750, 5000)), false, 'not while a scale step is in flight')
})
