import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MetricsRecorder } from '../../../lib/metrics/recorder.ts'
import { metric, SecondAssembler } from '../../../experiments/run/seconds.ts'

function recorderAt (ms: { now: number }): MetricsRecorder {
  return new MetricsRecorder({ now: () => ms.now })
}

test('windows of several units merge into one row per second, written after the grace', () => {
  const clock = { now: 100_000 }
  const a = recorderAt(clock)
  const b = recorderAt(clock)
  const asm = new SecondAssembler(100, ['gateway', 'runner'])
  asm.phase(100, 'ramp')
  a.counter(metric.sent, 30); b.counter(metric.sent, 20)
  a.histogram(metric.e2e, 10); b.histogram(metric.e2e, 30)
  a.gauge(metric.devicesActive, 3, 'sum'); b.gauge(metric.devicesActive, 2, 'sum')
  a.counter('errors.coap.timeout', 1)
  a.gauge('service.gateway.cpu_pct', 12.5, 'max')
  clock.now = 101_000
  for (const w of [...a.drain(), ...b.drain()]) asm.add(w.toJSON())
  assert.deepEqual(asm.take(101), [], 'not yet: a unit may still send second 100')
  const [s] = asm.take(102)
  assert.ok(s !== undefined)
  assert.equal(s.row.t_s, 0)
  assert.equal(s.row.phase, 'ramp')
  assert.equal(s.row.sent, 50)
  assert.equal(s.row.devices_active, 5)
  assert.equal(s.row.errors, 1)
  assert.equal(s.row.e2e_max_ms, 30)
  assert.ok(Math.abs(s.row.e2e_p50_ms! - 10) < 0.05)
  assert.deepEqual(s.row.services.gateway, { cpuPct: 12.5, memMb: null })
  assert.equal(s.row.delivered, 0)
  assert.equal(s.row.consumer_lag, null)
})

test('a window that comes after its row was written still counts in the run totals', () => {
  const clock = { now: 200_000 }
  const a = recorderAt(clock)
  const asm = new SecondAssembler(200, [])
  a.counter(metric.sent, 5)
  a.histogram(metric.e2e, 4)
  clock.now = 201_000
  for (const w of a.drain()) asm.add(w)
  const rows = asm.take(210)
  assert.deepEqual(rows.map(r => r.row.t_s), [0, 1, 2, 3, 4, 5, 6, 7, 8], 'one row per second, quiet seconds included')
  assert.equal(rows[0]!.row.sent, 5)
  assert.equal(rows[1]!.row.sent, 0)
  const late = recorderAt({ now: 200_500 })
  late.counter(metric.sent, 7)
  late.histogram(metric.e2e, 8)
  for (const w of late.drain(Infinity)) asm.add(w)
  assert.deepEqual(asm.take(210, true).map(r => r.row.t_s), [9], 'with all: up to the last full second')
  assert.equal(asm.total(metric.sent), 12)
  assert.equal(asm.histogram(metric.e2e)!.count, 2)
})

test('the desired count stands in a second with no decision; a lag reading does not', () => {
  const clock = { now: 300_000 }
  const a = recorderAt(clock)
  const asm = new SecondAssembler(300, [])
  a.gauge(metric.desired, 3, 'last')
  a.gauge(metric.lag, 40, 'max')
  clock.now = 302_500 // nothing recorded in second 301 (a control period that took longer than a second)
  a.gauge(metric.desired, 5, 'last')
  clock.now = 304_000
  for (const w of a.drain()) asm.add(w)
  const rows = asm.take(305).map(r => r.row)
  assert.deepEqual(rows.map(r => r.consumer_desired), [3, 3, 5, 5])
  assert.deepEqual(rows.map(r => r.consumer_lag), [40, null, null, null])
})
