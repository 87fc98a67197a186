import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parsePath } from '../../../lib/lwm2m/path.ts'
import { Observation, attributeKeys, nextSampleAfter, resolveAttributes, sampleAt } from '../../../simulator/lwm2m/observation.ts'

const token = Buffer.from([1, 2, 3, 4])

test('samples: step k at t0 + k * period, step 0 before the first; float times map back to their step', () => {
  assert.equal(sampleAt(0, 100, 1000), 0)
  assert.equal(sampleAt(1099.9, 100, 1000), 0)
  assert.equal(sampleAt(1100, 100, 1000), 1)
  assert.equal(nextSampleAfter(0, 100, 1000), 1100)
  assert.equal(nextSampleAfter(1100, 100, 1000), 2100)
  const period = 1000 / 3
  for (let k = 1; k < 1000; k++) assert.equal(sampleAt(nextSampleAfter(0.5 + (k - 1) * period, 0.5, period), 0.5, period), k)
  assert.equal(sampleAt(5000, 0, Infinity), 0)
})

test('without attributes, a changing sensor is checked at every sample', () => {
  const o = new Observation(token, parsePath('/3303/0/5700'), 0, 5700, 110, 0)
  o.applyAttributes({}, 0, 0)
  o.schedule(0, 1000)
  assert.equal(o.due, 1000)
  assert.equal(o.forced, false)
  o.notified(1000, 21)
  o.schedule(0, 1000)
  assert.equal(o.due, 2000)
})

test('pmin throttles: a change sampled before lastAt + pmin is sent at lastAt + pmin', () => {
  const o = new Observation(token, parsePath('/3303/0/5700'), 0, 5700, 110, 0)
  o.applyAttributes({ pmin: 3 }, 0, 0)
  o.schedule(0, 1000)
  assert.equal(o.due, 3000)
  o.notified(3000, 1)
  o.schedule(0, 100) // 10 samples a second: still every 3 s
  assert.equal(o.due, 6000)
})

test('pmax forces a notification when nothing changes; a static resource notifies only at pmax', () => {
  const o = new Observation(token, parsePath('/3/0/9'), -1, -1, 110, 0)
  o.applyAttributes({ pmax: 2 }, 0, 0)
  o.schedule(0, 1000)
  assert.equal(o.due, 2000)
  assert.equal(o.forced, true)
  const none = new Observation(token, parsePath('/3/0/9'), -1, -1, 110, 0)
  none.applyAttributes({}, 0, 0)
  none.schedule(0, 1000)
  assert.equal(none.due, Infinity)
  // pmax below pmin is ignored (§5.1.2)
  const bad = new Observation(token, parsePath('/3303/0/5700'), 0, 5700, 110, 0)
  bad.applyAttributes({ pmin: 5, pmax: 2 }, 0, 0)
  bad.schedule(0, 1000)
  assert.equal(bad.due, 5000)
  assert.equal(bad.forced, false)
})

test('change conditions: any change, st steps, gt / lt crossings', () => {
  const o = new Observation(token, parsePath('/3303/0/5700'), 0, 5700, 110, 0)
  assert.ok(o.shouldNotify(20)) // nothing sent yet
  o.notified(0, 20)
  assert.ok(!o.shouldNotify(20))
  assert.ok(o.shouldNotify(20.01))
  o.applyAttributes({ st: 0.5 }, 0, 0)
  assert.ok(!o.shouldNotify(20.4))
  assert.ok(o.shouldNotify(19.5))
  o.applyAttributes({ gt: 25 }, 0, 0)
  assert.ok(!o.shouldNotify(24))
  assert.ok(o.shouldNotify(25.5))
  o.applyAttributes({ lt: 10 }, 0, 0)
  assert.ok(o.shouldNotify(9))
  assert.ok(!o.shouldNotify(11))
})

test('attributes: the most specific level wins, attribute by attribute', () => {
  assert.deepEqual(attributeKeys(parsePath('/3303/0/5700')), ['/3303', '/3303/0', '/3303/0/5700'])
  const stored = new Map([['/3303', { pmin: 1, pmax: 60 }], ['/3303/0/5700', { pmin: 5 }]])
  assert.deepEqual(resolveAttributes(stored, parsePath('/3303/0/5700')), { pmin: 5, pmax: 60 })
  assert.deepEqual(resolveAttributes(stored, parsePath('/3303/0')), { pmin: 1, pmax: 60 })
  assert.deepEqual(resolveAttributes(undefined, parsePath('/3303/0')), {})
})
