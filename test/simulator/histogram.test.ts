import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Histogram } from '../../simulator/histogram.ts'
import { percentiles } from '../../lib/percentiles.ts'

test('percentiles within 1.6 % of the exact ones, extremes exact', () => {
  const h = new Histogram()
  const values: number[] = []
  let x = 1
  for (let i = 0; i < 50_000; i++) {
    x = (x * 48271) % 2147483647
    const v = (x % 100_000) / 1000 // 0 .. 100 ms
    values.push(v)
    h.record(v)
  }
  const exact = percentiles(values, [50, 90, 99, 99.9])
  for (const [i, p] of [50, 90, 99, 99.9].entries()) {
    const got = h.percentile(p)
    assert.ok(Math.abs(got - exact[i]!) <= exact[i]! * 0.016 + 0.001, `p${p}: ${got} vs ${exact[i]}`)
  }
  assert.equal(h.min, Math.min(...values))
  assert.equal(h.max, Math.max(...values))
  assert.equal(h.count, 50_000)
})

test('merge adds exactly; empty is NaN; negatives count as 0; huge values land in the last bucket', () => {
  const a = new Histogram()
  const b = new Histogram()
  for (let i = 0; i < 100; i++) a.record(i)
  for (let i = 100; i < 200; i++) b.record(i)
  const m = new Histogram().merge(a).merge(b)
  assert.equal(m.count, 200)
  assert.ok(Math.abs(m.percentile(50) - 99) < 2)
  assert.equal(m.max, 199)
  assert.ok(Number.isNaN(new Histogram().percentile(50)))
  const z = new Histogram()
  z.record(-5)
  assert.equal(z.percentile(99), 0)
  z.record(1e12)
  assert.equal(z.percentile(100), 1e12)
  z.reset()
  assert.equal(z.count, 0)
})
