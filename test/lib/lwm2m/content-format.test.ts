import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  ContentFormat, contentFormatName, contentFormatNames, decodeNode, encodeNode, isContentFormat, parseContentFormat, valueFormats,
} from '../../../lib/lwm2m/content-format.ts'
import { ObjectRegistry, multipleResource, objectInstance, objectNode, resourceInstance, singleResource, standardObjects } from '../../../lib/lwm2m/model.ts'
import type { Lwm2mNode, ResourceDefinition, ResourceType, ResourceValue } from '../../../lib/lwm2m/model.ts'
import { parsePath } from '../../../lib/lwm2m/path.ts'
import { throwsReason } from './fuzz.ts'

test('content format ids and names (§7.4, IANA CoAP Content-Formats)', () => {
  assert.deepEqual(contentFormatNames, {
    0: 'text/plain', 40: 'application/link-format', 42: 'application/octet-stream', 110: 'application/senml+json',
    112: 'application/senml+cbor', 11542: 'application/vnd.oma.lwm2m+tlv', 11543: 'application/vnd.oma.lwm2m+json',
  })
  assert.equal(ContentFormat.TLV, 11542)
  assert.equal(contentFormatName(112), 'application/senml+cbor')
  assert.equal(contentFormatName(60), undefined)
  assert.ok(isContentFormat(40) && !isContentFormat(41))
  assert.equal(parseContentFormat(11542), 11542)
  assert.equal(parseContentFormat('110'), 110)
  assert.equal(parseContentFormat('application/senml+cbor'), 112)
  assert.equal(parseContentFormat('TLV'), 11542)
  assert.equal(parseContentFormat('senml-json'), 110)
  assert.equal(parseContentFormat('text'), 0)
  assert.throws(() => parseContentFormat('xml'), (err: unknown) => {
    assert.ok(err instanceof Error && 'reason' in err && err.reason === 'UNSUPPORTED_CONTENT_FORMAT')
    assert.match((err as { hint?: string }).hint ?? '', /11542 \(application\/vnd\.oma\.lwm2m\+tlv\)/)
    return true
  })
})

const TEST_OBJECT = 42770
const TYPES: ResourceType[] = ['string', 'integer', 'unsigned', 'float', 'boolean', 'opaque', 'time', 'objlnk', 'corelnk']
const registry = new ObjectRegistry(standardObjects).add({
  id: TEST_OBJECT, name: 'types', version: '1.0', urn: `urn:oma:lwm2m:x:${TEST_OBJECT}`, multiple: true, mandatory: false,
  resources: new Map<number, ResourceDefinition>(TYPES.flatMap((type, i) => [
    [i, { id: i, name: type, type, operations: 'RW', multiple: false, mandatory: false }],
    [100 + i, { id: 100 + i, name: `${type}s`, type, operations: 'RW', multiple: true, mandatory: false }],
  ] as Array<[number, ResourceDefinition]>)),
})
const SAMPLES: Record<ResourceType, ResourceValue> = {
  string: 'héllo, "world"', integer: -123456789012, unsigned: 2n ** 64n - 1n, float: 21.375, boolean: true, opaque: Buffer.from([0, 255, 1]),
  time: new Date(1718000000000), objlnk: { objectId: 3303, instanceId: 2 }, corelnk: '</3303/0>;ver=1.1',
}

test('every type round-trips through every value format that carries it', () => {
  for (const format of [0, 110, 112, 11542]) {
    TYPES.forEach((type, i) => {
      const path = parsePath(`/${TEST_OBJECT}/0/${i}`)
      const node = singleResource(i, type, SAMPLES[type])
      const back = decodeNode(format, path, encodeNode(format, path, node), { registry })
      assert.deepEqual(back, node, `format ${format}, ${type}`)
      const ipath = parsePath(`/${TEST_OBJECT}/0/${100 + i}/7`)
      const inst = resourceInstance(7, type, SAMPLES[type])
      assert.deepEqual(decodeNode(format, ipath, encodeNode(format, ipath, inst), { registry }), inst, `format ${format}, ${type} instance`)
    })
  }
  const path = parsePath(`/${TEST_OBJECT}/0/5`)
  assert.deepEqual(encodeNode(42, path, singleResource(5, 'opaque', Buffer.from([1, 2]))), Buffer.from([1, 2]))
  assert.deepEqual(decodeNode(42, path, Buffer.from([1, 2]), { registry }), singleResource(5, 'opaque', Buffer.from([1, 2])))
})

test('objects, instances and multiple resources round-trip through TLV, SenML JSON and SenML CBOR', () => {
  const instance = (id: number): ReturnType<typeof objectInstance> => objectInstance(id, TYPES.flatMap((type, i) => [
    singleResource(i, type, SAMPLES[type]), multipleResource(100 + i, type, [[0, SAMPLES[type]], [65535, SAMPLES[type]]]),
  ]))
  const cases: Array<[string, Lwm2mNode]> = [
    [`/${TEST_OBJECT}`, objectNode(TEST_OBJECT, [instance(0), instance(9)])],
    [`/${TEST_OBJECT}/9`, instance(9)],
    [`/${TEST_OBJECT}/9/103`, multipleResource(103, 'float', [1.5, -2.25, 1e-10])],
  ]
  for (const format of [110, 112, 11542]) {
    for (const [p, node] of cases) {
      const path = parsePath(p)
      assert.deepEqual(decodeNode(format, path, encodeNode(format, path, node), { registry }), node, `format ${format} ${p}`)
    }
  }
})

test('formats that cannot carry a node say so with a reason', () => {
  const r = singleResource(5700, 'float', 1)
  throwsReason(() => encodeNode(11543, parsePath('/3303/0/5700'), r), 'UNSUPPORTED_CONTENT_FORMAT', /11543/)
  throwsReason(() => decodeNode(11543, parsePath('/3303/0/5700'), Buffer.from('{}')), 'UNSUPPORTED_CONTENT_FORMAT')
  throwsReason(() => encodeNode(40, parsePath('/3303/0/5700'), r), 'UNSUPPORTED_CONTENT_FORMAT')
  throwsReason(() => encodeNode(1234, parsePath('/3303/0/5700'), r), 'UNSUPPORTED_CONTENT_FORMAT')
  throwsReason(() => encodeNode(0, parsePath('/3303/0'), objectInstance(0, [r])), 'PATH_LEVEL')
  throwsReason(() => encodeNode(42, parsePath('/3303/0/5700'), r), 'VALUE_TYPE')
  throwsReason(() => decodeNode(42, parsePath('/3303/0/5700'), Buffer.from([1])), 'VALUE_TYPE')
  throwsReason(() => encodeNode(110, parsePath('/3303/0/5701'), r), 'NODE_MISMATCH')
  assert.deepEqual(valueFormats, [0, 42, 110, 112, 11542])
})
