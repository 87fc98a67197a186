import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MetricsRecorder, mergeWindows } from '../../../lib/metrics/recorder.ts'
import { MetricWindow } from '../../../lib/metrics/window.ts'
import { Prng } from '../../../lib/random.ts'

const T0 = 1_700_000_000_000 // a whole second, epoch ms

function fakeClock (start = T0): { now: () => number, set: (ms: number) => void } {
  let t = start
  return { now: () => t, set: ms => { t = ms } }
}

test('writes land in the window of their wall-clock second; drain returns closed windows in order', () => {
  const clock = fakeClock(T0 + 999)
  const r = new MetricsRecorder({ now: clock.now })
  r.counter('lwm2m.notify.sent')
  clock.set(T0 + 1000)
  r.counter('lwm2m.notify.sent', 2)
  clock.set(T0 + 1999)
  r.counter('lwm2m.notify.sent', 3)
  r.histogram('e2e.latency', 4.2)
  clock.set(T0 + 3500) // second T0/1000 + 2 is idle
  r.counter('lwm2m.notify.sent', 4)
  const s0 = T0 / 1000
  assert.equal(r.currentSecond(), s0 + 3)
  const closed = r.drain()
  assert.deepEqual(closed.map(w => w.second), [s0, s0 + 1])
  assert.deepEqual(closed.map(w => w.counters.get('lwm2m.notify.sent')), [1, 5])
  assert.equal(closed[1]!.histograms.get('e2e.latency')!.count, 1)
  assert.deepEqual(r.drain(), [], 'the open second stays until it closes')
  assert.deepEqual(r.drain(Infinity).map(w => [w.second, w.counters.get('lwm2m.notify.sent')]), [[s0 + 3, 4]])
})

test('counters are never lost across drains, even when the clock steps back into a drained second', () => {
  const rng = new Prng(5)
  const clock = fakeClock()
  const r = new MetricsRecorder({ now: clock.now })
  const drained: MetricWindow[] = []
  let written = 0
  let t = T0
  for (let i = 0; i < 20_000; i++) {
    // mostly forward in small steps; now and then the wall clock steps back up to 2 s
    t += rng.next() < 0.01 ? -Math.floor(rng.between(0, 2000)) : Math.floor(rng.between(0, 5))
    clock.set(t)
    const n = 1 + Math.floor(rng.between(0, 3))
    r.counter('sent', n)
    r.histogram('lat', n)
    written += n
    if (rng.next() < 0.05) drained.push(...r.drain())
  }
  drained.push(...r.drain(Infinity))
  const merged = mergeWindows(drained)
  const total = merged.reduce((s, w) => s + (w.counters.get('sent') ?? 0), 0)
  assert.equal(total, written)
  assert.equal(merged.reduce((s, w) => s + w.histograms.get('lat')!.count, 0), 20_000)
  for (let i = 1; i < merged.length; i++) assert.ok(merged[i]!.second > merged[i - 1]!.second)
})

test('windows of 3 gateways, sent as JSON and merged, equal one recorder fed every sample', () => {
  const rng = new Prng(99)
  const clock = fakeClock()
  const gateways = [0, 1, 2].map(() => new MetricsRecorder({ now: clock.now }))
  const single = new MetricsRecorder({ now: clock.now })
  const received: MetricWindow[] = []
  let t = T0
  for (let i = 0; i < 30_000; i++) {
    t += Math.floor(rng.between(0, 1))
    if (i % 3 === 0) t += 1 // about 10 s in all
    clock.set(t)
    const g = gateways[Math.floor(rng.between(0, 3))]!
    const kind = rng.next()
    const latency = Math.round(10 ** rng.between(-1, 3) * 1000) / 1000
    for (const r of [g, single]) {
      if (kind < 0.4) r.counter('lwm2m.notify.sent')
      else if (kind < 0.5) r.counter(`errors.${kind < 0.45 ? 'timeout' : 'ECONNRESET'}`, 2)
      else if (kind < 0.9) r.histogram('e2e.latency', latency)
      else r.gauge('kafka.consumer.lag', Math.floor(kind * 1000), 'max')
    }
    // gateways drain now and then, like a 1 s IPC tick; windows cross the process boundary as JSON text
    if (i % 997 === 0) for (const gw of gateways) received.push(...gw.drain().map(w => MetricWindow.fromJSON(JSON.parse(JSON.stringify(w.toJSON())))))
  }
  for (const gw of gateways) received.push(...gw.drain(Infinity))
  const merged = mergeWindows(received)
  const expected = single.drain(Infinity)
  assert.ok(expected.length >= 9)
  assert.deepEqual(merged.map(w => w.second), expected.map(w => w.second))
  for (const [i, w] of merged.entries()) {
    const e = expected[i]!
    assert.deepEqual(Object.fromEntries(w.counters), Object.fromEntries(e.counters))
    assert.deepEqual(w.gauges.get('kafka.consumer.lag')?.max, e.gauges.get('kafka.consumer.lag')?.max)
    const h = w.histograms.get('e2e.latency')!
    const he = e.histograms.get('e2e.latency')!
    assert.ok(h.equals(he), `second ${w.second}`)
    for (const p of [50, 90, 99, 99.9, 100]) assert.equal(h.percentile(p), he.percentile(p))
  }
  // mergeWindows leaves its inputs alone
  assert.equal(mergeWindows(received).map(w => w.counters.get('lwm2m.notify.sent')).join(), merged.map(w => w.counters.get('lwm2m.notify.sent')).join())
})

test('a sum gauge of devices per gateway merges into the fleet total', () => {
  const clock = fakeClock(T0 + 100)
  const gateways = [0, 1, 2].map(() => new MetricsRecorder({ now: clock.now }))
  gateways.forEach((g, i) => g.gauge('devices.active', 100 * (i + 1), 'sum'))
  clock.set(T0 + 900)
  gateways[0]!.gauge('devices.active', 150, 'sum')
  const [w] = mergeWindows(gateways.flatMap(g => g.drain(Infinity)))
  assert.deepEqual(w!.gauges.get('devices.active'), { mode: 'sum', value: 150 + 200 + 300, max: 150 + 200 + 300, atMs: T0 + 900 })
})

test('a gauge keeps its merge mode across windows of a recorder', () => {
  const clock = fakeClock()
  const r = new MetricsRecorder({ now: clock.now })
  r.gauge('devices.active', 1, 'sum')
  clock.set(T0 + 5000)
  assert.throws(() => r.gauge('devices.active', 1, 'last'), /one merge mode/)
})
