import { test } from 'node:test'
import assert from 'node:assert/strict'
import { observedSecond } from '../../../experiments/run/recording.ts'
import { progressLine } from '../../../results/outputs/progress.ts'
import type { TimeseriesRow } from '../../../results/run-folder.ts'

const row = (over: Partial<TimeseriesRow>): TimeseriesRow => ({
  t_s: 20, phase: 'hold', devices_target: 100, devices_active: 98, rate_target: 100, sent: 99, sent_late: 0, lateness_p99_ms: 2,
  edge_in: 99, udp_drops: 0, cloud_out: 97, delivered: 97, e2e_p50_ms: 8, e2e_p95_ms: 12, e2e_p99_ms: 15, e2e_max_ms: 20,
  consumer_lag: 3, mirror_lag: 0, consumer_replicas: 1, errors: 0, consumer_desired: 1, consumer_lag_s: 0.5,
  services: { 'lwm2m-server': { cpuPct: 12.5, memMb: 80 }, sink: { cpuPct: null, memMb: null } },
  ...over,
})

test('a workload second becomes an ObservedSecond whose tS is the end of that second in workload time', () => {
  // the workload started at 1000.250 s; epoch second 1003 covers workload time (2.75, 3.75]
  const o = observedSecond(row({}), 1003, 1_000_250)
  assert.ok(o !== undefined)
  assert.equal(o.tS, 3.75)
  assert.deepEqual([o.devicesTarget, o.devicesActive, o.rateTarget, o.sent, o.delivered, o.e2eP99Ms, o.consumerLag], [100, 98, 100, 99, 97, 15, 3])
  assert.deepEqual(o.cpuPercent, { 'lwm2m-server': 12.5 }, 'services without a reading are left out')
  assert.equal(observedSecond(row({ e2e_p99_ms: null, consumer_lag: null }), 1003, 1_000_250)?.e2eP99Ms, undefined)
})

test('setup, drain and seconds before the workload are not observed', () => {
  assert.equal(observedSecond(row({ phase: 'setup' }), 1003, 1_000_250), undefined)
  assert.equal(observedSecond(row({ phase: 'drain' }), 1003, 1_000_250), undefined)
  assert.equal(observedSecond(row({}), 999, 1_000_250), undefined)
  assert.equal(observedSecond(row({}), 1003, 0), undefined, 'no workload yet')
})

test('the progress line shows devices, rates, latency, lag and errors', () => {
  assert.equal(progressLine(row({})), '[  20s] hold      devices 98/100  sent 99/s (target 100)  delivered 97/s  e2e p99 15 ms  lag 3  errors 0')
})
