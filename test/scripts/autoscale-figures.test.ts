// bench:autoscale's figures from a run folder, on a hand-made run whose answers are known.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { LoadedRun, RunEvent, TimeseriesRow } from '../../results/run-folder.ts'
import { autoscaleFigures, directionChanges, mergeWindows } from '../../scripts/lib/autoscale-figures.ts'

function row (t: number, phase: string, lag: number, lagS: number, replicas: number, desired: number): TimeseriesRow {
  return {
    t_s: t, phase, devices_target: null, devices_active: null, rate_target: null, sent: null, sent_late: null, lateness_p99_ms: null, edge_in: null,
    udp_drops: null, cloud_out: null, delivered: null, e2e_p50_ms: null, e2e_p95_ms: null, e2e_p99_ms: null, e2e_max_ms: null, consumer_lag: lag,
    mirror_lag: null, consumer_replicas: replicas, errors: 0, consumer_desired: desired, consumer_lag_s: lagS, services: {},
  }
}

test('peak lag, first scale-up after the burst, drain time, seconds over the SLO, replica-seconds, direction changes, rebalance pauses', () => {
  // baseline 0-9, burst 10-19, baseline 20-39
  const rows: TimeseriesRow[] = []
  for (let t = 0; t < 40; t++) {
    const phase = t >= 10 && t < 20 ? 'burst-1' : 'baseline'
    const lag = t >= 10 && t < 24 ? (t - 9) * 500 : 0
    const replicas = t >= 12 && t < 30 ? 4 : 1
    rows.push(row(t, phase, lag, lag / 100, replicas, replicas))
  }
  const events: RunEvent[] = [
    { t_s: 10.4, kind: 'phase', source: 'workload', detail: 'burst-1: 100 devices at 10/s each (1000/s)' },
    { t_s: 11.2, kind: 'autoscale', source: 'threshold', detail: 'scale-up 1 -> 4: lag 1,000 / threshold 300 -> 4 (1 -> 4)' },
    { t_s: 29.5, kind: 'autoscale', source: 'threshold', detail: 'scale-down 4 -> 1: inactive (4 -> 1)' },
    { t_s: 12.5, kind: 'sink.rebalance', source: 'sink-1', detail: 'joined the group with 3 partitions after a 800 ms pause' },
    { t_s: 12.6, kind: 'sink.rebalance', source: 'sink-2', detail: 'joined the group with 3 partitions after a 1200 ms pause' },
    { t_s: 12.7, kind: 'sink.rebalance', source: 'sink-3', detail: 'joined the group with 3 partitions after a 2000 ms pause (stopped to first fetch; the join took 20 ms)' },
    { t_s: 31.0, kind: 'sink.rebalance', source: 'sink-0', detail: 'joined the group with 8 partitions after a 300 ms pause' },
  ]
  const run = { rows, events, summary: { lost: 0, duplicates: 7 } } as unknown as LoadedRun
  const f = autoscaleFigures(run, { policy: 'threshold', lagThreshold: 1000, sloLagSeconds: 50, steadyTailS: 5 })
  assert.equal(f.peakLag, 14 * 500)
  assert.equal(f.peakLagSeconds, 70)
  assert.ok(Math.abs(f.firstScaleUpS! - 0.8) < 1e-9, 'from the phase event at 10.4, not the row of second 10')
  // burst ends at 20; lag >= 1000 last at t = 23 (7,000): below from 24 on
  assert.equal(f.drainS, 4)
  assert.equal(f.secondsOverSlo, rows.filter(r => r.consumer_lag_s! > 50).length)
  assert.equal(f.replicaSeconds, 18 * 4 + 22 * 1)
  assert.equal(f.maxReplicas, 4)
  assert.equal(f.changesOfDirection, 1)
  assert.equal(f.steadyChanges, 0)
  assert.equal(f.scaleSteps, 2)
  assert.equal(f.rebalancePauseMedianMs, 1200)
  assert.equal(f.rebalancePauseMaxMs, 2000)
  // 10.7-12.7 holds 11.7-12.5 and 11.4-12.6: one window of 2,000 ms; 30.7-31.0 is the second
  assert.equal(f.groupRebalances, 2)
  assert.equal(f.groupRebalanceMaxMs, 2000)
  assert.equal(f.duplicates, 7)
})

test('mergeWindows joins overlapping intervals only', () => {
  assert.deepEqual(mergeWindows([[5, 6], [0, 2], [1, 3], [3, 4], [7, 8]]), [[0, 4], [5, 6], [7, 8]])
  assert.deepEqual(mergeWindows([]), [])
})

test('direction changes ignore flat steps', () => {
  assert.equal(directionChanges([1, 1, 2, 2, 3, 2, 2, 1, 4]), 2)
  assert.equal(directionChanges([]), 0)
})

test('the second the burst begins in is not steady: a scale-up within it is no change of direction in the baseline', () => {
  // burst from 10.4: the scale-up at 10.7 lands in second 10; the recovery settles at 2
  const rows: TimeseriesRow[] = []
  for (let t = 0; t < 40; t++) {
    const desired = t < 10 ? 1 : t < 25 ? 8 : 2
    rows.push(row(t, t >= 10 && t < 20 ? 'burst-1' : 'baseline', 0, 0, desired, desired))
  }
  const events: RunEvent[] = [
    { t_s: 10.4, kind: 'phase', source: 'workload', detail: 'burst-1: 100 devices at 10/s each (1000/s)' },
    { t_s: 10.7, kind: 'autoscale', source: 'predictive', detail: 'scale-up 1 -> 8: arrival 986/s (1 -> 8)' },
    { t_s: 25.1, kind: 'autoscale', source: 'predictive', detail: 'scale-down 8 -> 2: arrival 100/s (8 -> 2)' },
  ]
  const run = { rows, events, summary: { lost: 0, duplicates: 0 } } as unknown as LoadedRun
  const f = autoscaleFigures(run, { policy: 'predictive', lagThreshold: 1000, sloLagSeconds: 5, steadyTailS: 10 })
  assert.equal(f.steadyChanges, 0)
  assert.equal(f.changesOfDirection, 1)
  rows[5]!.consumer_desired = 2 // a change of direction inside the baseline still counts
  assert.equal(autoscaleFigures(run, { policy: 'predictive', lagThreshold: 1000, sloLagSeconds: 5, steadyTailS: 10 }).steadyChanges, 2)
})
