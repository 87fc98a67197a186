import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MetricWindow, secondOf } from '../../../lib/metrics/window.ts'
import type { GaugeMode } from '../../../lib/metrics/window.ts'

test('secondOf aligns epoch ms to the wall-clock second', () => {
  assert.equal(secondOf(1_700_000_000_000), 1_700_000_000)
  assert.equal(secondOf(1_700_000_000_999), 1_700_000_000)
  assert.equal(secondOf(1_700_000_001_000), 1_700_000_001)
  assert.equal(new MetricWindow(1_700_000_001).startMs, 1_700_000_001_000)
  assert.throws(() => new MetricWindow(1.5), RangeError)
})

test('counters add, histograms merge, windows of another second are refused', () => {
  const a = new MetricWindow(10)
  const b = new MetricWindow(10)
  a.counter('lwm2m.notify.sent', 3)
  a.counter('errors.timeout')
  b.counter('lwm2m.notify.sent', 2)
  b.counter('kafka.produce.sent', 7)
  a.histogram('e2e.latency', 5)
  b.histogram('e2e.latency', 7, 2)
  b.histogram('lateness', 0.2)
  a.merge(b)
  assert.deepEqual(Object.fromEntries(a.counters), { 'lwm2m.notify.sent': 5, 'errors.timeout': 1, 'kafka.produce.sent': 7 })
  assert.equal(a.histograms.get('e2e.latency')!.count, 3)
  assert.equal(a.histograms.get('e2e.latency')!.max, 7)
  assert.equal(a.histograms.get('lateness')!.count, 1)
  // b's histogram was copied, not shared
  a.histogram('lateness', 1)
  assert.equal(b.histograms.get('lateness')!.count, 1)
  assert.throws(() => a.merge(new MetricWindow(11)), /cannot merge window 11 into window 10/)
})

function gauges (mode: GaugeMode, readings: Array<[value: number, atMs: number][]>): MetricWindow[] {
  return readings.map(rs => {
    const w = new MetricWindow(1)
    for (const [v, at] of rs) w.gauge('g', v, mode, at)
    return w
  })
}

test('a gauge keeps its last value and the max within a window', () => {
  const [w] = gauges('last', [[[3, 1000], [9, 1200], [4, 1500]]])
  assert.deepEqual(w!.gauges.get('g'), { mode: 'last', value: 4, max: 9, atMs: 1500 })
})

test('gauge merge modes: sum adds, max takes the largest, last takes the latest reading; order does not matter', () => {
  const readings: Array<[number, number][]> = [[[10, 1100], [12, 1300]], [[5, 1200], [20, 1250], [8, 1400]], [[7, 1350]]]
  const expected = {
    sum: { value: 12 + 8 + 7, max: 12 + 20 + 7, atMs: 1400 },
    max: { value: 12, max: 20, atMs: 1300 },
    last: { value: 8, max: 20, atMs: 1400 },
  }
  for (const mode of ['sum', 'max', 'last'] as const) {
    for (const order of [[0, 1, 2], [2, 1, 0], [1, 0, 2]]) {
      const ws = gauges(mode, readings)
      const merged = new MetricWindow(1)
      for (const i of order) merged.merge(ws[i]!)
      assert.deepEqual(merged.gauges.get('g'), { mode, ...expected[mode] }, `${mode} ${order.join(',')}`)
    }
  }
})

test('a gauge name takes one mode', () => {
  const w = new MetricWindow(1)
  w.gauge('devices.active', 1, 'sum', 1000)
  assert.throws(() => w.gauge('devices.active', 1, 'max', 1001), /one merge mode/)
  const other = new MetricWindow(1)
  other.gauge('devices.active', 1, 'last', 1000)
  assert.throws(() => w.merge(other), /one merge mode/)
})

test('JSON round trip is exact and goes through JSON text (IPC)', () => {
  const w = new MetricWindow(1_700_000_000)
  w.counter('lwm2m.register.sent', 40)
  w.counter('errors.ECONNRESET', 2)
  w.gauge('devices.active', 40, 'sum', 1_700_000_000_500)
  w.gauge('kafka.consumer.lag', 120, 'max', 1_700_000_000_600)
  for (let i = 0; i < 1000; i++) w.histogram('e2e.latency', i * 0.731)
  const back = MetricWindow.fromJSON(JSON.parse(JSON.stringify(w.toJSON())))
  assert.equal(back.second, w.second)
  assert.deepEqual(back.toJSON(), w.toJSON())
  assert.ok(back.histograms.get('e2e.latency')!.equals(w.histograms.get('e2e.latency')!))
  assert.equal(back.histograms.get('e2e.latency')!.percentile(99), w.histograms.get('e2e.latency')!.percentile(99))
  const bad = { ...w.toJSON(), gauges: { g: { mode: 'avg', value: 1, max: 1, atMs: 0 } } }
  assert.throws(() => MetricWindow.fromJSON(bad as never), /unknown mode/)
  assert.ok(new MetricWindow(1).isEmpty)
  assert.ok(!w.isEmpty)
})
