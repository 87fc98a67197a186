import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  content, createBody, discoverBody, genericBody, nodeOf, plainValue, readBody, readNode, resourceValue, singleResource,
} from '../../../../platform/lwm2m-server/avro/records.ts'
import { AvroNames } from '../../../../platform/lwm2m-server/avro/types.ts'
import type { AvroInstanceResource } from '../../../../platform/lwm2m-server/avro/types.ts'

test('resource values take the union branch of their LWM2M type (as zeelos LwM2mNodeSerDes)', () => {
  assert.deepEqual(resourceValue('FLOAT', 21.5), { double: 21.5 })
  assert.deepEqual(resourceValue('FLOAT', 21), { double: 21 })
  assert.deepEqual(resourceValue('INTEGER', 42), { long: 42 })
  assert.deepEqual(resourceValue('TIME', new Date(1_718_000_000_123)), { long: 1_718_000_000_123 })
  assert.deepEqual(resourceValue('BOOLEAN', 'true'), { boolean: true })
  assert.deepEqual(resourceValue('BOOLEAN', 0), { boolean: false })
  assert.deepEqual(resourceValue('OPAQUE', Buffer.from([1, 2, 3])), { string: 'AQID' })
  assert.deepEqual(resourceValue('OBJLNK', '3303:0'), { string: '3303:0' })
  assert.equal(plainValue({ double: 1.5 }), 1.5)
  assert.equal(plainValue({ string: 'x' }), 'x')
})

test('a single resource takes its id from the path', () => {
  assert.deepEqual(singleResource('/3303/0/5700', 'FLOAT', 20.1), { id: 5700, path: '/3303/0/5700', kind: 'SINGLE_RESOURCE', type: 'FLOAT', value: { double: 20.1 } })
  assert.equal(singleResource('/3/0/7/1', 'INTEGER', 5000).id, 1)
})

test('content and bodies wrap nodes by kind, and unwrap again', () => {
  const instance: AvroInstanceResource = { id: 0, kind: 'INSTANCE', resources: [], multipleResources: null }
  assert.deepEqual(Object.keys(content(instance)), [AvroNames.AvroInstanceResource])
  assert.deepEqual(Object.keys(content({ id: 3303, kind: 'OBJECT', instances: [instance] })), [AvroNames.AvroObjectResource])
  assert.deepEqual(Object.keys(content({ id: 7, path: '/3/0/7', kind: 'MULTIPLE_RESOURCE', type: 'INTEGER', resources: {} })), [AvroNames.AvroMultipleResource])
  assert.equal(nodeOf(content(instance)), instance)
  assert.equal(readNode(readBody(instance)), instance)
  assert.equal(readNode(genericBody('x')), undefined)
  assert.equal(readNode(null), undefined)
  assert.deepEqual(discoverBody('</3/0>'), { [AvroNames.AvroDiscoverResponse]: { objectLinks: '</3/0>' } })
  assert.deepEqual(createBody('/3303/1'), { [AvroNames.AvroCreateResponse]: { location: '/3303/1' } })
})
