import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LatencyHistogram } from '../../../lib/metrics/histogram.ts'
import type { SignificantDigits } from '../../../lib/metrics/histogram.ts'
import { percentiles } from '../../../lib/percentiles.ts'
import { Prng } from '../../../lib/random.ts'

const PS = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100]

/** Latencies in ms, rounded to whole µs (the histogram's unit), spread over 5 decades (~0.01 ms .. 2 s). */
function latencies (seed: number, n: number): number[] {
  const rng = new Prng(seed)
  return Array.from({ length: n }, () => Math.round(10 ** rng.between(-2, 3.3) * 1000) / 1000)
}

function fill (values: readonly number[], digits?: SignificantDigits): LatencyHistogram {
  const h = new LatencyHistogram(digits === undefined ? {} : { significantDigits: digits })
  for (const v of values) h.record(v)
  return h
}

for (const digits of [1, 2, 3, 4] as const) {
  test(`percentiles are within 10^-${digits} relative error of the exact ones (${digits} significant digits)`, () => {
    const values = latencies(digits, 100_000)
    const h = fill(values, digits)
    const exact = percentiles(values, PS)
    for (const [i, p] of PS.entries()) {
      const want = exact[i]!
      const got = h.percentile(p)
      assert.ok(Math.abs(got - want) <= want * 10 ** -digits, `p${p}: got ${got}, exact ${want}`)
    }
    assert.equal(h.percentile(0), Math.min(...values))
    assert.equal(h.percentile(100), Math.max(...values))
  })
}

test('count, min, max and mean are exact; reset empties', () => {
  const values = latencies(7, 10_000)
  const h = fill(values)
  assert.equal(h.count, values.length)
  assert.equal(h.min, Math.min(...values))
  assert.equal(h.max, Math.max(...values))
  const meanUs = values.reduce((s, v) => s + Math.round(v * 1000), 0) / values.length
  assert.equal(h.mean, meanUs / 1000)
  h.reset()
  assert.equal(h.count, 0)
  assert.ok(Number.isNaN(h.percentile(50)) && Number.isNaN(h.min) && Number.isNaN(h.max) && Number.isNaN(h.mean))
})

test('record(value, count) equals count single records', () => {
  const a = new LatencyHistogram()
  const b = new LatencyHistogram()
  a.record(12.345, 1000)
  a.record(0.5, 3)
  for (let i = 0; i < 1000; i++) b.record(12.345)
  for (let i = 0; i < 3; i++) b.record(0.5)
  assert.ok(a.equals(b))
  a.record(99, 0)
  assert.ok(a.equals(b))
  assert.throws(() => a.record(1, -1), RangeError)
  assert.throws(() => a.record(1, 1.5), RangeError)
  assert.throws(() => a.record(Number.NaN), RangeError)
})

test('merge of parts equals the histogram of the concatenated data, exactly, in any order', () => {
  const values = latencies(11, 60_000)
  const parts = [values.slice(0, 7_000), values.slice(7_000, 41_000), values.slice(41_000)]
  const whole = fill(values)
  const [a, b, c] = parts.map(p => fill(p))
  const abc = new LatencyHistogram().merge(a!).merge(b!).merge(c!)
  const cba = fill(parts[2]!).merge(b!).merge(a!)
  for (const merged of [abc, cba]) {
    assert.ok(merged.equals(whole))
    assert.deepEqual(merged.toJSON(), whole.toJSON())
    assert.equal(merged.count, whole.count)
    assert.equal(merged.min, whole.min)
    assert.equal(merged.max, whole.max)
    assert.equal(merged.mean, whole.mean)
    for (const p of PS) assert.equal(merged.percentile(p), whole.percentile(p), `p${p}`)
  }
  // merging an empty histogram changes nothing; the parts are left as they were
  assert.ok(abc.merge(new LatencyHistogram()).equals(whole))
  assert.equal(a!.count, 7_000)
})

test('merge refuses histograms of another configuration instead of approximating', () => {
  assert.throws(() => new LatencyHistogram().merge(new LatencyHistogram({ significantDigits: 2 })), /different configurations/)
  assert.throws(() => new LatencyHistogram().merge(new LatencyHistogram({ highestMs: 60_000 })), /different configurations/)
})

test('serialisation round trip through JSON text is exact and compact', () => {
  const values = latencies(13, 100_000)
  const h = fill(values)
  h.record(-3) // clamped
  const text = JSON.stringify(h.toJSON())
  const back = LatencyHistogram.fromJSON(JSON.parse(text))
  assert.ok(back.equals(h))
  assert.equal(back.count, h.count)
  assert.equal(back.clamped, 1)
  assert.equal(back.min, 0)
  assert.equal(back.max, h.max)
  assert.equal(back.mean, h.mean)
  for (const p of PS) assert.equal(back.percentile(p), h.percentile(p), `p${p}`)
  assert.ok(text.length < 16_000, `encoded size ${text.length} bytes`)
  // a decoded histogram merges like the original
  const other = fill(latencies(14, 1_000))
  assert.ok(back.merge(other).equals(h.clone().merge(other)))
  // empty and non-default configurations round trip too
  const empty = new LatencyHistogram({ significantDigits: 2, lowestMs: 0.01, highestMs: 60_000 })
  const emptyBack = LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(empty.toJSON())))
  assert.ok(emptyBack.equals(empty))
  assert.equal(emptyBack.count, 0)
  assert.equal(emptyBack.significantDigits, 2)
  emptyBack.record(5)
  empty.record(5)
  assert.ok(emptyBack.equals(empty))
})

test('fromJSON rejects an inconsistent or unknown encoding', () => {
  const json = fill([1, 2, 3]).toJSON()
  assert.throws(() => LatencyHistogram.fromJSON({ ...json, count: 4 }), /inconsistent/)
  assert.throws(() => LatencyHistogram.fromJSON({ ...json, v: 2 as unknown as 1 }), /version/)
})

test('values out of range are clamped to the bounds and counted', () => {
  const h = new LatencyHistogram({ highestMs: 1000 })
  h.record(-2)
  h.record(5_000, 2)
  h.record(10)
  assert.equal(h.count, 4)
  assert.equal(h.clamped, 3)
  assert.equal(h.min, 0)
  assert.equal(h.max, 1000)
  assert.equal(h.percentile(100), 1000)
  assert.throws(() => new LatencyHistogram({ lowestMs: 1, highestMs: 1.5 }), RangeError)
  assert.throws(() => new LatencyHistogram({ significantDigits: 6 as SignificantDigits }), RangeError)
  assert.throws(() => h.percentile(101), RangeError)
})

test('countsAtOrBelow: cumulative counts at each bound, as Prometheus le buckets; sum is exact', () => {
  const h = new LatencyHistogram()
  const values = [0.5, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144]
  for (const v of values) h.record(v)
  h.record(7, 3)
  const bounds = [1, 5, 10, 100, 1000]
  // bounds away from any value by more than the histogram's precision: exact
  const expected = bounds.map(b => values.filter(v => v <= b).length + (b >= 7 ? 3 : 0))
  assert.deepEqual(h.countsAtOrBelow(bounds), expected)
  assert.deepEqual(new LatencyHistogram().countsAtOrBelow(bounds), [0, 0, 0, 0, 0])
  assert.throws(() => h.countsAtOrBelow([5, 5]), /bounds must ascend/)
  assert.ok(Math.abs(h.sum - (values.reduce((a, b) => a + b, 0) + 21)) < 1e-9, `${h.sum}`)
})
