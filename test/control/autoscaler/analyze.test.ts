// Analyze alone (control/autoscaler/analyze.ts): each symptom is raised by its own numbers and only by them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { analyze } from '../../../control/autoscaler/analyze.ts'
import { formatCount } from '../../../control/autoscaler/format.ts'
import { Knowledge } from '../../../control/autoscaler/knowledge.ts'
import type { AutoscalerConfig, ControlInput, SymptomName } from '../../../control/autoscaler/types.ts'

const input = (o: Partial<ControlInput> = {}): ControlInput => ({
  atMs: 100_000, replicas: 2, partitions: 12, lag: 0, lagSeconds: 0, partitionsWithLag: 0, groupStatus: 'OK', arrivalRate: 0, consumedRate: 0, ...o,
})
const config = (o: Partial<AutoscalerConfig> = {}): AutoscalerConfig => ({ policy: 'threshold', min: 1, periodMs: 1000, sloLagSeconds: 5, params: {}, ...o })
const names = (i: ControlInput, k = new Knowledge(i.replicas), c = config()): SymptomName[] => analyze(i, k, c).map(s => s.name)

test('lag-high: lag above the lagThreshold parameter, with both numbers in the detail', () => {
  const threshold = 10_000
  const c = config({ params: { lagThreshold: threshold } })
  const high = analyze(input({ lag: threshold + 1 }), new Knowledge(2), c).find(s => s.name === 'lag-high')
  assert.ok(high !== undefined)
  assert.ok(high.detail.includes(formatCount(threshold + 1)) && high.detail.includes(formatCount(threshold)), high.detail)
  assert.ok(!names(input({ lag: threshold }), undefined, c).includes('lag-high'), 'at the threshold is not above it')
  assert.ok(!names(input({ lag: threshold * 100 })).includes('lag-high'), 'no lagThreshold parameter: no lag-high')
})

test('lag-growing: lag rose through each of the last periods; one dip or too short a history is not growing', () => {
  const step = 1000
  const grow = 1900
  const k = new Knowledge(2)
  for (let i = 0; i < 3; i++) k.observe(input({ atMs: i * step, lag: 10_000 + i * grow }))
  const now = input({ atMs: 3 * step, lag: 10_000 + 3 * grow })
  const s = analyze(now, k, config()).find(x => x.name === 'lag-growing')
  assert.ok(s !== undefined)
  assert.ok(s.detail.includes(`${formatCount(grow * 1000 / step)}/s`), s.detail)

  const dip = new Knowledge(2)
  for (const [i, lag] of [10_000, 9_000, 12_000].entries()) dip.observe(input({ atMs: i * step, lag }))
  assert.ok(!names(input({ atMs: 3 * step, lag: 13_000 }), dip).includes('lag-growing'))

  const short = new Knowledge(2)
  for (let i = 0; i < 2; i++) short.observe(input({ atMs: i * step, lag: 10_000 + i * grow }))
  assert.ok(!names(input({ atMs: 2 * step, lag: 10_000 + 2 * grow }), short).includes('lag-growing'))
})

test('time-lag-over-slo: the largest time lag above the SLO seconds', () => {
  const slo = 5
  assert.ok(names(input({ lagSeconds: slo + 0.1 }), undefined, config({ sloLagSeconds: slo })).includes('time-lag-over-slo'))
  assert.ok(!names(input({ lagSeconds: slo }), undefined, config({ sloLagSeconds: slo })).includes('time-lag-over-slo'))
})

test('consumer-stopped: group status STALL or STOP (Burrow), not WARN or OK', () => {
  for (const status of ['STALL', 'STOP'] as const) assert.ok(names(input({ groupStatus: status })).includes('consumer-stopped'), status)
  for (const status of ['WARN', 'OK'] as const) assert.ok(!names(input({ groupStatus: status })).includes('consumer-stopped'), status)
})

test('replica-missing: fewer replicas run than were decided', () => {
  const decided = 3
  assert.ok(names(input({ replicas: decided - 1 }), new Knowledge(decided)).includes('replica-missing'))
  assert.ok(!names(input({ replicas: decided }), new Knowledge(decided)).includes('replica-missing'))
})

test('replicas-idle: above min, no backlog, and the arrival fits one replica fewer at the learned capacity', () => {
  const perReplica = 500
  const replicas = 4
  const k = new Knowledge(replicas)
  // saturated periods teach the capacity (several: Knowledge does not trust one)
  for (let s = 0; s < 5; s++) k.learn(input({ replicas, lag: 100_000, partitionsWithLag: replicas, consumedRate: perReplica * replicas }))
  assert.equal(k.capacityPerReplica, perReplica)
  const fits = perReplica * (replicas - 1)
  assert.ok(names(input({ replicas, arrivalRate: fits - 1, consumedRate: fits - 1 }), k).includes('replicas-idle'))
  assert.ok(!names(input({ replicas, arrivalRate: fits, consumedRate: fits }), k).includes('replicas-idle'), 'needs all of them')
  assert.ok(!names(input({ replicas, arrivalRate: 0, lag: 100_000 }), k).includes('replicas-idle'), 'a backlog is not idle')
  assert.ok(!names(input({ replicas, arrivalRate: 0 }), k, config({ min: replicas })).includes('replicas-idle'), 'already at min')
  assert.ok(!names(input({ replicas, arrivalRate: 0 }), new Knowledge(replicas)).includes('replicas-idle'), 'capacity not learned yet')
})
