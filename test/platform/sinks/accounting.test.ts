import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SequenceAccounting } from '../../../platform/sinks/accounting.ts'

test('in-order sequences are delivered once each', () => {
  const a = new SequenceAccounting()
  for (let seq = 0; seq < 5000; seq++) assert.equal(a.record('dev-1', seq), 'delivered')
  assert.deepEqual(a.report(), { 'dev-1': { delivered: 5000, duplicates: 0, maxSeq: 4999 } })
  assert.equal(a.delivered, 5000)
  assert.deepEqual(a.missing('dev-1', 5000), [])
})

test('out of order arrivals count once, gaps are missing', () => {
  const a = new SequenceAccounting()
  for (const seq of [5, 3, 0, 4, 1, 2000, 1025, 1024]) assert.equal(a.record('dev-a', seq), 'delivered')
  assert.deepEqual(a.report()['dev-a'], { delivered: 8, duplicates: 0, maxSeq: 2000 })
  assert.deepEqual(a.missing('dev-a', 8), [2, 6, 7])
  assert.equal(a.missing('dev-a', 2001, 10_000).length, 2001 - 8)
  assert.equal(a.has('dev-a', 1025), true)
  assert.equal(a.has('dev-a', 1026), false)
  assert.deepEqual(a.missing('never-seen', 3), [0, 1, 2])
})

test('a sequence seen again is a duplicate, per device', () => {
  const a = new SequenceAccounting()
  assert.equal(a.record('dev-1', 7), 'delivered')
  assert.equal(a.record('dev-1', 7), 'duplicate')
  assert.equal(a.record('dev-1', 7), 'duplicate')
  assert.equal(a.record('dev-2', 7), 'delivered')
  assert.equal(a.record('dev-1', 0), 'delivered')
  assert.deepEqual(a.report(), {
    'dev-1': { delivered: 2, duplicates: 2, maxSeq: 7 },
    'dev-2': { delivered: 1, duplicates: 0, maxSeq: 7 },
  })
  assert.equal(a.duplicates, 2)
  assert.equal(a.devices, 2)
})

test('large and sparse sequence numbers cost one chunk each', () => {
  const a = new SequenceAccounting()
  const big = [2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]
  for (const seq of big) assert.equal(a.record('dev-x', seq), 'delivered')
  for (const seq of big) assert.equal(a.record('dev-x', seq), 'duplicate')
  assert.deepEqual(a.report()['dev-x'], { delivered: 4, duplicates: 4, maxSeq: Number.MAX_SAFE_INTEGER })
  assert.ok(a.bitsetBytes <= 4 * 128, `${a.bitsetBytes} bytes`)
  for (const seq of big) assert.equal(a.has('dev-x', seq), true)
  assert.equal(a.has('dev-x', 2 ** 32 + 4), false)
})

test('invalid sequence numbers are refused', () => {
  const a = new SequenceAccounting()
  for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) assert.throws(() => a.record('dev-1', bad), RangeError)
  assert.equal(a.devices, 0)
})

test('20,000 devices with 3,000 sequences each stay within a few tens of MB', () => {
  const a = new SequenceAccounting()
  for (let seq = 0; seq < 3000; seq++) for (let d = 0; d < 20_000; d += 97) a.record(`dev-${d}`, seq)
  const perDevice = a.bitsetBytes / a.devices
  assert.equal(perDevice, 3 * 128)
  // 20,000 devices: 7.7 MB of bits
  assert.ok(perDevice * 20_000 < 16 * 1024 * 1024)
  assert.equal(a.report()['dev-97']?.delivered, 3000)
})
