import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Prng, mix32, streamSeed, uniformAt } from '../../lib/random.ts'

test('mix32 is a bijection-like mixer: distinct inputs, distinct outputs, uint32 range', () => {
  const seen = new Set<number>()
  for (let i = 0; i < 10_000; i++) {
    const v = mix32(i)
    assert.ok(Number.isInteger(v) && v >= 0 && v < 2 ** 32)
    seen.add(v)
  }
  assert.equal(seen.size, 10_000)
})

test('Prng: the same seed gives the same sequence, another seed another one', () => {
  const a = new Prng(42)
  const b = new Prng(42)
  const c = new Prng(43)
  const xs = Array.from({ length: 100 }, () => a.next())
  assert.deepEqual(Array.from({ length: 100 }, () => b.next()), xs)
  assert.notDeepEqual(Array.from({ length: 100 }, () => c.next()), xs)
  for (const x of xs) assert.ok(x >= 0 && x < 1)
  const between = new Prng(1).between(5, 6)
  assert.ok(between >= 5 && between < 6)
})

test('counter-based draws: pure in (stream, k), independent streams, roughly uniform', () => {
  const s = streamSeed(7, 12, 3303, 0)
  assert.equal(streamSeed(7, 12, 3303, 0), s)
  assert.notEqual(streamSeed(7, 13, 3303, 0), s)
  assert.notEqual(streamSeed(8, 12, 3303, 0), s)
  assert.equal(uniformAt(s, 1000), uniformAt(s, 1000))
  let sum = 0
  const n = 100_000
  for (let k = 0; k < n; k++) sum += uniformAt(s, k)
  assert.ok(Math.abs(sum / n - 0.5) < 0.01, `mean ${sum / n}`)
  // steps past 2^32 still draw different values
  assert.notEqual(uniformAt(s, 2 ** 32 + 5), uniformAt(s, 5))
})
