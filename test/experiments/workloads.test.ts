// The workload shapes (experiments/workloads/*.ts): values at chosen times and phase names.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseExperiment } from '../../experiments/schema.ts'
import { linearWorkload } from '../../experiments/workloads/linear.ts'
import { burstWorkload } from '../../experiments/workloads/burst.ts'
import { stepWorkload } from '../../experiments/workloads/step.ts'
import { replayWorkload } from '../../experiments/workloads/replay.ts'
import type { Workload } from '../../experiments/contracts.ts'

const short = (w: Workload, t: number): string => { const p = w.at(t); return `${p.phase} ${p.devices} ${Number(p.ratePerDevice.toFixed(4))}${p.surge === true ? ' surge' : ''}` }

test('linear ramp: devices and rate from A to B over the ramp, then hold', () => {
  const w = linearWorkload(parseExperiment('linear', { workload: { devices: { from: 10, to: 1000 }, rate: { from: '1/s', to: '5/s' }, rampDuration: '60s', hold: '30s' } }).workload)
  assert.equal(w.durationMs, 90_000)
  assert.equal(short(w, 0), 'ramp 10 1')
  assert.equal(short(w, 30_000), 'ramp 505 3')
  assert.equal(short(w, 59_999), 'ramp 1000 4.9999')
  assert.equal(short(w, 60_000), 'hold 1000 5')
  assert.equal(short(w, 200_000), 'hold 1000 5')
})

test('linear with constant devices and no ramp is all hold', () => {
  const w = linearWorkload(parseExperiment('linear', { workload: { devices: 100, rate: '2/s', hold: '10s' } }).workload)
  assert.equal(w.durationMs, 10_000)
  assert.equal(short(w, 0), 'hold 100 2')
})

test('linear batches: one batch every interval, each batch runs its interval, then hold', () => {
  const w = linearWorkload(parseExperiment('linear', { workload: { batch: { size: 50, every: '10s' }, to: 120, rate: '1/s', hold: '30s' } }).workload)
  // 3 batches (50, 100, 120) x 10 s, then 30 s
  assert.equal(w.durationMs, 60_000)
  assert.equal(short(w, 0), 'ramp 50 1')
  assert.equal(short(w, 9_999), 'ramp 50 1')
  assert.equal(short(w, 10_000), 'ramp 100 1')
  assert.equal(short(w, 20_000), 'ramp 120 1')
  assert.equal(short(w, 29_999), 'ramp 120 1')
  assert.equal(short(w, 30_000), 'hold 120 1')
})

test('burst of the rate: baseline, burst-1, baseline, burst-2, ..., recovery baseline', () => {
  const w = burstWorkload(parseExperiment('burst', {
    workload: { baseline: { devices: 100, rate: '1/s' }, burst: { multiplier: 3, of: 'rate', duration: '20s', every: '60s', repeat: 3 } },
  }).workload)
  assert.equal(w.durationMs, 3 * 60_000 + 40_000)
  const phases = [0, 39_999, 40_000, 59_999, 60_000, 100_000, 150_000, 170_000, 180_000, 219_999].map(t => short(w, t))
  assert.deepEqual(phases, [
    'baseline 100 1', 'baseline 100 1', 'burst-1 100 3', 'burst-1 100 3', 'baseline 100 1', 'burst-2 100 3', 'baseline 100 1', 'burst-3 100 3',
    'baseline 100 1', 'baseline 100 1',
  ])
})

test('burst of devices with surge: everyone joins at once at the start and in each storm', () => {
  const w = burstWorkload(parseExperiment('burst', {
    workload: { baseline: { devices: 100 }, burst: { multiplier: 2.5, of: 'devices', duration: '10s', every: '30s', repeat: 2 }, recovery: '5s', surge: true },
  }).workload)
  assert.equal(w.durationMs, 65_000)
  assert.equal(short(w, 0), 'baseline 100 1 surge')
  assert.equal(short(w, 20_000), 'burst-1 250 1 surge')
  assert.equal(short(w, 30_000), 'baseline 100 1')
  assert.equal(short(w, 55_000), 'burst-2 250 1 surge')
  assert.equal(short(w, 61_000), 'baseline 100 1')
  const calm = burstWorkload(parseExperiment('burst', { workload: { baseline: { devices: 10 }, burst: { multiplier: 2, duration: '1s', every: '2s' } } }).workload)
  assert.equal(calm.at(0).surge, undefined)
})

test('step: each step for its duration, a step without a rate keeps the previous one', () => {
  const w = stepWorkload(parseExperiment('step', {
    workload: { steps: [{ devices: 100, duration: '10s' }, { devices: 500, rate: '4/s', duration: '5s' }, { devices: 50, duration: '1m' }] },
  }).workload)
  assert.equal(w.durationMs, 75_000)
  assert.deepEqual([0, 9_999, 10_000, 14_999, 15_000, 74_999, 80_000].map(t => short(w, t)),
    ['step-1 100 1', 'step-1 100 1', 'step-2 500 4', 'step-2 500 4', 'step-3 50 4', 'step-3 50 4', 'step-3 50 4'])
})

const csv = 't_s,rate\n10,100\n20,300\n40,100\n'
const replay = (extra: Record<string, unknown>): Workload => replayWorkload(parseExperiment('replay', {
  workload: { csv: 'trace.csv', devices: 100, ...extra },
}, { baseDir: '/nowhere', readFile: () => csv }).workload)

test('replay step: a row holds until the next; time starts at the first row and ends at the last', () => {
  const w = replay({})
  assert.equal(w.durationMs, 30_000)
  assert.deepEqual([0, 5_000, 9_999, 10_000, 29_999, 30_000, 40_000].map(t => short(w, t)),
    ['replay 100 1', 'replay 100 1', 'replay 100 1', 'replay 100 3', 'replay 100 3', 'replay 100 1', 'replay 100 1'])
})

test('replay linear: straight lines between rows; speed compresses time', () => {
  const w = replay({ interpolate: 'linear' })
  assert.equal(short(w, 5_000), 'replay 100 2')
  assert.equal(short(w, 20_000), 'replay 100 2')
  const fast = replay({ interpolate: 'linear', speed: 2 })
  assert.equal(fast.durationMs, 15_000)
  assert.equal(short(fast, 2_500), 'replay 100 2')
  assert.equal(short(fast, 5_000), 'replay 100 3')
})
