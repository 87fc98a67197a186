// The outputs of a run together (results/outputs/fanout.ts): order, a failing output dropped and told, a critical
// one's error thrown, duplicate names refused; and the progress output.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MetricWindow } from '../../../lib/metrics/window.ts'
import type { Output, RunEnd, RunSecond, RunStart } from '../../../results/outputs/contract.ts'
import { OutputSet } from '../../../results/outputs/fanout.ts'
import { progressOutput } from '../../../results/outputs/progress.ts'
import type { RunMeta, SummaryRow, TimeseriesRow } from '../../../results/run-format.ts'

const row = (t: number, phase: string): TimeseriesRow => ({
  t_s: t, phase, devices_target: 10, devices_active: 10, rate_target: 10, sent: 10, sent_late: 0, lateness_p99_ms: 1, edge_in: 10, udp_drops: 0,
  cloud_out: 10, delivered: 10, e2e_p50_ms: 5, e2e_p95_ms: 6, e2e_p99_ms: 7, e2e_max_ms: 8, consumer_lag: 0, mirror_lag: 0, consumer_replicas: 1,
  errors: 0, consumer_desired: 1, consumer_lag_s: 0, services: {},
})
const second = (t: number, phase = 'baseline'): RunSecond => ({ second: 1000 + t, row: row(t, phase), window: new MetricWindow(1000 + t), thresholds: [], totals: {} })
const start = { meta: {} as RunMeta, runDir: '/tmp/x', startMs: 1_000_000, services: [], plannedWorkloadMs: 60_000 } satisfies RunStart
const end = { meta: {} as RunMeta, summary: {} as SummaryRow, histograms: {} } satisfies RunEnd

function recorder (name: string, log: string[], fail?: 'start' | 'add' | 'event' | 'stop'): Output {
  const step = (what: string): void => { log.push(`${name}.${what}`); if (fail === what.split(':')[0]) throw new Error(`${name} broke in ${what}`) }
  return {
    name,
    start: () => { step('start') },
    add: s => { step(`add:${s.row.t_s}`) },
    event: e => { step(`event:${e.kind}`) },
    stop: () => { step('stop') },
  }
}

test('every output gets start, the seconds and events in order, and stop', async () => {
  const log: string[] = []
  const set = new OutputSet([recorder('a', log), recorder('b', log)])
  await set.start(start)
  set.add(second(0))
  set.event({ t_s: 0.5, kind: 'phase', source: 'workload', detail: 'baseline' })
  set.add(second(1))
  await set.stop(end)
  assert.deepEqual(log, ['a.start', 'b.start', 'a.add:0', 'b.add:0', 'a.event:phase', 'b.event:phase', 'a.add:1', 'b.add:1', 'a.stop', 'b.stop'])
})

test('an output that throws is told once and dropped; the others go on', async () => {
  const log: string[] = []
  const errors: string[] = []
  const set = new OutputSet([recorder('screen', log, 'add'), recorder('files', log)], { onError: (name, err) => errors.push(`${name}: ${err.message}`) })
  await set.start(start)
  set.add(second(0))
  set.add(second(1))
  await set.stop(end)
  assert.deepEqual(errors, ['screen: screen broke in add:0'])
  assert.deepEqual(set.names, ['files'])
  assert.deepEqual(log.filter(l => l.startsWith('files.')), ['files.start', 'files.add:0', 'files.add:1', 'files.stop'])
  assert.equal(log.filter(l => l.startsWith('screen.')).length, 2, 'start, then the add that broke; nothing after')
})

test('a critical output\'s error reaches the caller, in add as in stop', async () => {
  const set = new OutputSet([recorder('files', [], 'add')], { critical: ['files'] })
  assert.throws(() => { set.add(second(0)) }, /files broke in add:0/)
  const stopping = new OutputSet([recorder('files', [], 'stop')], { critical: ['files'] })
  await assert.rejects(stopping.stop(end), /files broke in stop/)
})

test('two outputs of one name are refused', () => {
  assert.throws(() => new OutputSet([recorder('web', []), recorder('web', [])]), /output web given twice/)
})

test('the progress output writes one line a second, none for the setup seconds', () => {
  const lines: string[] = []
  const out = progressOutput(l => lines.push(l))
  out.add(second(0, 'setup'))
  out.add(second(20, 'hold'))
  assert.deepEqual(lines, ['[  20s] hold      devices 10/10  sent 10/s (target 10)  delivered 10/s  e2e p99 7 ms  lag 0  errors 0'])
})
