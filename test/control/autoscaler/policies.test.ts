import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Knowledge } from '../../../control/autoscaler/knowledge.ts'
import { predictivePolicy, slope } from '../../../control/autoscaler/policies/predictive.ts'
import { targetTrackingPolicy } from '../../../control/autoscaler/policies/target-tracking.ts'
import { thresholdPolicy } from '../../../control/autoscaler/policies/threshold.ts'
import type { AutoscalerConfig, ControlInput } from '../../../control/autoscaler/types.ts'

const input = (o: Partial<ControlInput> = {}): ControlInput => ({
  atMs: 100_000, replicas: 2, partitions: 12, lag: 0, lagSeconds: 0, partitionsWithLag: 0, groupStatus: 'OK', arrivalRate: 0, consumedRate: 0, ...o,
})
const config = (policy: string, params: AutoscalerConfig['params']): AutoscalerConfig => ({ policy, min: 1, periodMs: 1000, sloLagSeconds: 5, params })

test('threshold (KEDA): desired = ceil(lag / lagThreshold), capped at the partitions, inactive at or below the activation lag', () => {
  const k = new Knowledge(2)
  const c = config('threshold', { lagThreshold: 10_000, activationLagThreshold: 100, cooldown: 30_000 })
  const plan = (i: ControlInput): number => thresholdPolicy.plan({ input: i, symptoms: [], knowledge: k, config: c }).desired
  assert.equal(plan(input({ lag: 48_200 })), Math.ceil(48_200 / 10_000))
  assert.equal(plan(input({ lag: 10_000_000 })), 12, 'lag clamped to partitions x threshold')
  assert.equal(plan(input({ lag: 100 })), 1, 'inactive: min')
  const r = thresholdPolicy.plan({ input: input({ lag: 48_200 }), symptoms: [], knowledge: k, config: c })
  assert.match(r.reason, /lag 48,200 \/ threshold 10,000 -> 5/)
})

test('threshold: scale-down waits for the cooldown (the highest recommendation in it), the tolerance holds near the ratio', () => {
  const k = new Knowledge(5)
  const c = config('threshold', { lagThreshold: 1000, cooldown: 30_000 })
  k.recommend(80_000, 5)
  const r = thresholdPolicy.plan({ input: input({ atMs: 100_000, replicas: 5, lag: 1500 }), symptoms: [], knowledge: k, config: c })
  assert.equal(r.desired, 5, 'recommendation 5 at 80 s is inside the 30 s window')
  assert.equal(r.recommendation, 2)
  const later = thresholdPolicy.plan({ input: input({ atMs: 111_000, replicas: 5, lag: 1500 }), symptoms: [], knowledge: k, config: c })
  assert.equal(later.desired, 2, 'window passed')
  const near = thresholdPolicy.plan({ input: input({ replicas: 20, partitions: 64, lag: 20_900 }), symptoms: [], knowledge: new Knowledge(20), config: c })
  assert.equal(near.desired, 20, '21/20 = 1.05 is within the 0.1 tolerance')
})

test('target-tracking (HPA): ceil(current x metric / target), tolerance, stabilization, scale-up limit', () => {
  const c = config('target-tracking', { metric: 'lag', target: 1000, stabilization: 60_000, scaleUpPercent: 100, scaleUpPods: 4, scaleUpPeriod: 15_000 })
  const k = new Knowledge(2)
  const plan = (i: ControlInput, kn = k): { desired: number, reason: string } => targetTrackingPolicy.plan({ input: i, symptoms: [], knowledge: kn, config: c })
  assert.equal(plan(input({ replicas: 2, lag: 2100 })).desired, 2, 'ratio 1.05 within tolerance')
  assert.equal(plan(input({ replicas: 2, lag: 6000 })).desired, 6, 'ceil(2 x 3000 / 1000)')
  assert.equal(plan(input({ replicas: 2, lag: 40_000 })).desired, 6, 'limited to max(2 x 2, 2 + 4)')
  k.recommend(70_000, 6)
  assert.equal(plan(input({ replicas: 6, lag: 600 })).desired, 6, 'stabilization keeps the highest recommendation of the window')
})

test('predictive: sizes arrival plus backlog against the learned capacity, and scales ahead of a ramp', () => {
  const c = config('predictive', { drainTarget: 10_000, utilization: 1, horizon: 5000, trendWindow: 10_000, smoothing: 1 })
  const k = new Knowledge(1)
  assert.match(predictivePolicy.plan({ input: input({ replicas: 1 }), symptoms: [], knowledge: k, config: c }).reason, /not learned/)
  // saturated periods teach 500/s per replica; one alone is not trusted
  k.learn(input({ replicas: 1, lag: 5000, consumedRate: 500, partitionsWithLag: 4 }))
  assert.equal(k.capacityPerReplica, undefined)
  k.learn(input({ replicas: 1, lag: 100, arrivalRate: 1000, consumedRate: 20, partitionsWithLag: 4 }))
  assert.equal(k.capacityPerReplica, undefined, 'lag below half a period of arrivals: batching, not saturation')
  k.learn(input({ replicas: 1, lag: 5200, consumedRate: 500, partitionsWithLag: 4 }))
  assert.equal(k.capacityPerReplica, 500)
  const burst = predictivePolicy.plan({ input: input({ replicas: 1, lag: 20_000, arrivalRate: 3000 }), symptoms: [], knowledge: k, config: c })
  assert.equal(burst.desired, Math.ceil((3000 + 20_000 / 10) / 500))
  // a ramp: +100/s every second; no lag yet, but the trend asks for more than the arrival now
  const ramp = new Knowledge(1)
  ramp.learn(input({ replicas: 1, lag: 5000, consumedRate: 500, partitionsWithLag: 4 }))
  ramp.learn(input({ replicas: 1, lag: 5000, consumedRate: 500, partitionsWithLag: 4 }))
  for (let s = 0; s < 10; s++) ramp.observe(input({ atMs: s * 1000, replicas: 1, arrivalRate: 100 * s }))
  const now = input({ atMs: 10_000, replicas: 1, arrivalRate: 1000, lag: 0 })
  assert.ok(Math.abs(slope([...ramp.inputs, now]) - 100) < 1e-9)
  const r = predictivePolicy.plan({ input: now, symptoms: [], knowledge: ramp, config: c })
  assert.equal(r.desired, Math.ceil((1000 + 100 * 5) / 500), 'arrival 1,000/s rising 100/s², 5 s ahead')
})

test('predictive: a group is sized by the capacity per replica of that count, not of the count running now', () => {
  const c = { ...config('predictive', { drainTarget: 10_000, utilization: 1, smoothing: 1, horizon: 0 }), max: 8 }
  const k = new Knowledge(1)
  let t = 0
  // one replica did 200/s alone, eight 100/s each: the machine, not the replicas, is the limit past four
  for (let s = 0; s < 3; s++) { k.learn(input({ atMs: t * 1000, replicas: 1, lag: 50_000, consumedRate: 200, partitionsWithLag: 8 })); k.observe(input({ atMs: t++ * 1000, replicas: 1, lag: 50_000 })) }
  for (let s = 0; s < 3; s++) { k.learn(input({ atMs: t * 1000, replicas: 8, lag: 50_000, consumedRate: 800, partitionsWithLag: 8 })); k.observe(input({ atMs: t++ * 1000, replicas: 8, lag: 50_000 })) }
  // after the burst: 150/s arrive, no lag; one replica of 200/s holds it, which eight at 100/s each would not say
  const calm = predictivePolicy.plan({ input: input({ atMs: (t + 60) * 1000, replicas: 8, lag: 0, arrivalRate: 150 }), symptoms: [], knowledge: k, config: c })
  assert.equal(calm.desired, 1, calm.reason)
  // during it: 700/s with a backlog of 100 needs 710/s; between 1 and 8 a count reads on the line, 200 - 100 (n - 1) / 7
  // per replica: 4 do 629/s, 5 do 714/s
  const busy = predictivePolicy.plan({ input: input({ atMs: (t + 1) * 1000, replicas: 8, lag: 100, arrivalRate: 700 }), symptoms: [], knowledge: k, config: c })
  assert.equal(busy.desired, 5, busy.reason)
  assert.match(busy.reason, /143\/s per replica in a group of 5/)
  // past what eight can do: the cap
  const over = predictivePolicy.plan({ input: input({ atMs: (t + 1) * 1000, replicas: 8, lag: 0, arrivalRate: 2000 }), symptoms: [], knowledge: k, config: c })
  assert.equal(over.desired, 20, 'more than the cap asks for what it would take at 100/s each; Execute caps it')
})

test('predictive: a group grows only when the demand is more than the tolerance above what it does', () => {
  const c = config('predictive', { drainTarget: 10_000, utilization: 0.9, tolerance: 0.1, smoothing: 1, horizon: 0 })
  const k = new Knowledge(1)
  for (let s = 0; s < 3; s++) k.learn(input({ atMs: s * 1000, replicas: 1, lag: 50_000, consumedRate: 200, partitionsWithLag: 8 }))
  // one replica of 200/s at 90 % holds 180/s; within 10 % above it (198/s) it is kept
  const blip = predictivePolicy.plan({ input: input({ replicas: 1, arrivalRate: 190, lag: 50 }), symptoms: [], knowledge: k, config: c })
  assert.equal(blip.desired, 1, blip.reason)
  assert.match(blip.reason, /195\/s is within the 10 % tolerance of 1 replica \(198\/s\)/)
  const more = predictivePolicy.plan({ input: input({ replicas: 1, arrivalRate: 200, lag: 0 }), symptoms: [], knowledge: k, config: c })
  assert.equal(more.desired, 2, `200/s is past 198/s: ${more.reason}`)
  const none = predictivePolicy.plan({ input: input({ replicas: 1, arrivalRate: 190, lag: 50 }), symptoms: [], knowledge: k, config: config('predictive', { utilization: 0.9, tolerance: 0, smoothing: 1, horizon: 0 }) })
  assert.equal(none.desired, 2, 'tolerance 0: the utilization alone decides')
})
