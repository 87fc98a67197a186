import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Lwm2mNode } from '../../../lib/lwm2m/model.ts'
import { decodeObservation } from '../../../platform/sinks/observation.ts'
import { observationRecord } from './helpers.ts'

test('a traced single resource: the trace comes out, the value stays', () => {
  const buf = observationRecord('dev-1', '/3303/0/5700', { kind: 'single', id: 5700, type: 'float', value: 21.5 }, { seq: 42, sentAtMs: 1718000000123 })
  const o = decodeObservation(buf, 'iot.gw1.observations')
  assert.deepEqual(o.trace, { seq: 42, sentAtMs: 1718000000123, deviceId: 'dev-1' })
  assert.deepEqual(o.values, { '/3303/0/5700': 21.5 })
  assert.equal(o.endpoint, 'dev-1')
  assert.equal(o.path, '/3303/0/5700')
})

test('a traced instance keeps all its resources, without the trace', () => {
  const node: Lwm2mNode = { kind: 'instance', id: 0, resources: new Map([
    [5700, { kind: 'single', id: 5700, type: 'float', value: 20.25 }],
    [5701, { kind: 'single', id: 5701, type: 'string', value: 'Cel' }],
  ]) }
  const o = decodeObservation(observationRecord('dev-2', '/3303/0', node, { seq: 0, sentAtMs: 5 }))
  assert.deepEqual(o.trace, { seq: 0, sentAtMs: 5, deviceId: 'dev-2' })
  assert.deepEqual(o.values, { '/3303/0/5700': 20.25, '/3303/0/5701': 'Cel' })
})

test('an untraced record has no trace', () => {
  const o = decodeObservation(observationRecord('dev-3', '/3303/0/5700', { kind: 'single', id: 5700, type: 'float', value: 1 }))
  assert.equal(o.trace, undefined)
  assert.deepEqual(o.values, { '/3303/0/5700': 1 })
})

test('garbage and empty values are AvroErrors', () => {
  for (const bad of [Buffer.from('not avro at all'), Buffer.alloc(0), null]) {
    assert.throws(() => decodeObservation(bad, 'iot.gw1.observations'), (err: Error & { code?: string }) => err.code === 'FLEETLAB_AVRO')
  }
})
