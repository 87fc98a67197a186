import { test } from 'node:test'
import assert from 'node:assert/strict'
import { multipleResource, objectInstance, objectNode, resourceInstance, singleResource } from '../../../lib/lwm2m/model.ts'
import { parsePath } from '../../../lib/lwm2m/path.ts'
import { checkOneValue, nodeToSenml, recordPath, resolveSenml, senmlToNode } from '../../../lib/lwm2m/senml.ts'
import type { SenmlRecord } from '../../../lib/lwm2m/senml.ts'
import { throwsReason } from './fuzz.ts'

test('RFC 8428 §4.6 resolution: base fields carry forward until replaced', () => {
  const resolved = resolveSenml([
    { bn: 'urn:dev:ow:10e2073a0108006:', bt: 1276020076.001, bu: 'A', bver: 5, n: 'voltage', u: 'V', v: 120.1 },
    { n: 'current', t: -5, v: 1.2 },
    { n: 'current', v: 1.7 },
    { bn: 'other:', bv: 10, bs: 100, n: 'x', v: 1, s: 5 },
    { vs: 'no name: the base name alone' },
  ])
  assert.deepEqual(resolved.map(r => [r.name, r.time, r.unit, r.field, r.value, r.sum]), [
    ['urn:dev:ow:10e2073a0108006:voltage', 1276020076.001, 'V', 'v', 120.1, undefined],
    ['urn:dev:ow:10e2073a0108006:current', 1276020071.001, 'A', 'v', 1.2, undefined],
    ['urn:dev:ow:10e2073a0108006:current', 1276020076.001, 'A', 'v', 1.7, undefined],
    ['other:x', 1276020076.001, 'A', 'v', 11, 105],
    ['other:', 1276020076.001, 'A', 'vs', 'no name: the base name alone', undefined],
  ])
  assert.equal(resolveSenml([{ n: '/3/0/9', v: 1 }])[0]!.time, undefined)
  throwsReason(() => checkOneValue({ v: 1, vb: true }, 3), 'SENML_MULTIPLE_VALUES', /record 3/)
})

const device = objectInstance(0, [
  singleResource(0, 'string', 'Open Mobile Alliance'),
  multipleResource(7, 'integer', [3800, 5000]),
  singleResource(13, 'time', new Date(1367491215000)),
  singleResource(4, 'boolean', true),
])

test('LWM2M §7.4.4 names: one base name per object instance, relative resource names', () => {
  assert.deepEqual(nodeToSenml(parsePath('/3/0'), objectInstance(0, [
    singleResource(0, 'string', 'Open Mobile Alliance'), multipleResource(7, 'integer', [3800, 5000]), singleResource(13, 'time', new Date(1367491215000)),
  ])), [
    { bn: '/3/0/', n: '0', vs: 'Open Mobile Alliance' }, { n: '7/0', v: 3800 }, { n: '7/1', v: 5000 }, { n: '13', v: 1367491215 },
  ])
  assert.deepEqual(nodeToSenml(parsePath('/3303/0/5700'), singleResource(5700, 'float', 21.5), 1718000000.123),
    [{ bn: '/3303/0/', bt: 1718000000.123, n: '5700', v: 21.5, float: true }])
  assert.deepEqual(nodeToSenml(parsePath('/3/0/7/1'), resourceInstance(1, 'integer', 5000)), [{ bn: '/3/0/', n: '7/1', v: 5000 }])
  assert.deepEqual(nodeToSenml(parsePath('/3303'), objectNode(3303, [
    objectInstance(0, [singleResource(5700, 'float', 1)]), objectInstance(1, [singleResource(5700, 'float', 2)]),
  ])), [{ bn: '/3303/0/', n: '5700', v: 1, float: true }, { bn: '/3303/1/', n: '5700', v: 2, float: true }])
  const types: SenmlRecord[] = nodeToSenml(parsePath('/42769/0'), objectInstance(0, [
    singleResource(1, 'opaque', Buffer.from([1])), singleResource(2, 'objlnk', { objectId: 3, instanceId: 0 }),
    singleResource(3, 'boolean', false), singleResource(4, 'corelnk', '</3>'), singleResource(5, 'unsigned', 2n ** 64n - 1n),
  ]))
  assert.deepEqual(types, [{ bn: '/42769/0/', n: '1', vd: Buffer.from([1]) }, { n: '2', vlo: '3:0' }, { n: '3', vb: false }, { n: '4', vs: '</3>' }, { n: '5', v: 2n ** 64n - 1n }])
  throwsReason(() => nodeToSenml(parsePath('/3/0'), singleResource(0, 'string', 'x')), 'NODE_MISMATCH')
  throwsReason(() => nodeToSenml(parsePath('/3/0/0'), { kind: 'single', id: 0, type: 'string', value: 5 }), 'VALUE_TYPE')
})

test('records become the node at the path, typed from the object model', () => {
  const records = resolveSenml(nodeToSenml(parsePath('/3/0'), objectInstance(0, [...device.resources.values()].filter(r => r.id !== 4))))
  assert.deepEqual(senmlToNode(parsePath('/3/0'), records), objectInstance(0, [...device.resources.values()].filter(r => r.id !== 4)))
  assert.deepEqual(senmlToNode(parsePath('/3/0/7'), records.filter(r => r.name.startsWith('/3/0/7/'))), multipleResource(7, 'integer', [3800, 5000]))
  assert.deepEqual(senmlToNode(parsePath('/3/0/7/1'), resolveSenml([{ n: '/3/0/7/1', v: 5000 }])), resourceInstance(1, 'integer', 5000))
  assert.deepEqual(senmlToNode(parsePath('/3/0/7'), []), multipleResource(7, 'integer', []))
  assert.deepEqual(senmlToNode(parsePath('/3303'), resolveSenml([{ bn: '/3303/1/', n: '5700', v: 2 }, { n: '5701', vs: 'Cel' }])),
    objectNode(3303, [objectInstance(1, [singleResource(5700, 'float', 2), singleResource(5701, 'string', 'Cel')])]))
  assert.deepEqual(senmlToNode(parsePath('/3/0/13'), resolveSenml([{ bn: '/3/0/13', v: 1367491215.5 }])), singleResource(13, 'time', new Date(1367491215500)))
  assert.deepEqual(senmlToNode(parsePath('/1/0/10'), resolveSenml([{ n: '/1/0/10', vlo: '11:0' }])), singleResource(10, 'objlnk', { objectId: 11, instanceId: 0 }))
})

test('records that do not fit the path or the model are rejected with a reason', () => {
  const at = (path: string, records: SenmlRecord[]): unknown => senmlToNode(parsePath(path), resolveSenml(records))
  throwsReason(() => at('/3303/0/5700', [{ n: '/3303/1/5700', v: 1 }]), 'SENML_OUTSIDE_PATH')
  throwsReason(() => at('/3303/0', [{ n: 'urn:dev:ow:1', v: 1 }]), 'SENML_BAD_NAME')
  throwsReason(() => at('/3303/0', [{ n: '/3303/0', v: 1 }]), 'SENML_BAD_NAME', /not a resource/)
  throwsReason(() => at('/3303/0', [{ n: '/3303/0/5700', v: 1 }, { n: '/3303/0/5700', v: 2 }]), 'SENML_DUPLICATE')
  throwsReason(() => at('/3/0', [{ n: '/3/0/7/0', v: 1 }, { n: '/3/0/7/0', v: 2 }]), 'SENML_DUPLICATE')
  throwsReason(() => at('/3303/0/5700', [{ n: '/3303/0/5700', vs: '21.5' }]), 'VALUE_TYPE', /float/)
  throwsReason(() => at('/3/0/9', [{ n: '/3/0/9', v: 99.5 }]), 'VALUE_TYPE')
  throwsReason(() => at('/1/0/11', [{ n: '/1/0/11', v: -1 }]), 'VALUE_TYPE')
  throwsReason(() => at('/3/0/9', [{ n: '/3/0/9' }]), 'SENML_NO_VALUE')
  throwsReason(() => at('/3/0/9', []), 'EMPTY_PAYLOAD')
  throwsReason(() => at('/3/0/7', [{ n: '/3/0/7', v: 1 }]), 'VALUE_TYPE', /multiple/)
  throwsReason(() => at('/3/0', [{ n: '/3/0/9/0', v: 1 }]), 'VALUE_TYPE', /single/)
  throwsReason(() => at('/1/0/10', [{ n: '/1/0/10', vlo: '11-0' }]), 'SENML_BAD_FIELD')
  throwsReason(() => at('/3/0', [{ n: '/3/0/99', v: 1 }]), 'UNKNOWN_RESOURCE')
  throwsReason(() => at('/', [{ n: '/3/0/9', v: 1 }]), 'PATH_LEVEL')
  assert.deepEqual(recordPath('/3/0/7/1'), parsePath('/3/0/7/1'))
})

test('lenient mode gives unknown resources the natural type of their value field', () => {
  const node = senmlToNode(parsePath('/6/0'), resolveSenml([
    { bn: '/6/0/', n: '0', v: 45.5 }, { n: '1', vs: 'x' }, { n: '2', vb: true }, { n: '3', vd: Buffer.from([9]) }, { n: '4', vlo: '3:0' },
    { n: '5/0', v: 1 }, { n: '5/1', v: 2 }, { n: '6', v: 2n ** 63n },
  ]), { strict: false })
  assert.deepEqual(node, objectInstance(0, [
    singleResource(0, 'float', 45.5), singleResource(1, 'string', 'x'), singleResource(2, 'boolean', true), singleResource(3, 'opaque', Buffer.from([9])),
    singleResource(4, 'objlnk', { objectId: 3, instanceId: 0 }), multipleResource(5, 'float', [1, 2]), singleResource(6, 'unsigned', 2n ** 63n),
  ]))
})
