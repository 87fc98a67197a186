import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Lwm2mModelError } from '../../../lib/lwm2m/errors.ts'
import {
  ObjectRegistry, TRACE_OBJECT_ID, checkValue, defaultRegistry, isValue, lookupResource, multipleResource, objectInstance, objectNode,
  resourceFromDefinition, resourceInstance, resourceTypes, singleResource, standardObjects,
} from '../../../lib/lwm2m/model.ts'
import type { ResourceType, ResourceValue } from '../../../lib/lwm2m/model.ts'
import { throwsReason } from './fuzz.ts'

test('the default registry holds Server, Device, the four IPSO sensors and the trace object', () => {
  assert.deepEqual([...defaultRegistry.objects()].map(o => o.id).sort((a, b) => a - b), [1, 3, 3301, 3303, 3304, 3315, TRACE_OBJECT_ID])
  assert.equal(standardObjects.length, 7)
  const device = defaultRegistry.get(3)
  assert.equal(device.name, 'Device')
  assert.equal(device.multiple, false)
  assert.equal(device.urn, 'urn:oma:lwm2m:oma:3:1.1')
  assert.deepEqual(defaultRegistry.resource(3, 11), {
    id: 11, name: 'Error Code', type: 'integer', operations: 'R', multiple: true, mandatory: true, range: '0..8',
  })
  assert.equal(defaultRegistry.resource(3, 4).operations, 'E')
  assert.equal(defaultRegistry.resource(3, 4).type, 'none')
  assert.equal(defaultRegistry.resource(3, 13).type, 'time')
  assert.equal(defaultRegistry.resource(1, 1).units, 's')
  assert.equal(defaultRegistry.resource(1, 6).type, 'boolean')
  assert.equal(defaultRegistry.resource(1, 10).type, 'objlnk')
  assert.equal(defaultRegistry.resource(1, 11).type, 'unsigned')
})

test('the IPSO sensors share the 1.1 sensor resources, with fleetlab default units', () => {
  for (const [id, name, units] of [[3301, 'Illuminance', 'lx'], [3303, 'Temperature', 'Cel'], [3304, 'Humidity', '%RH'], [3315, 'Barometer', 'hPa']] as const) {
    const o = defaultRegistry.get(id)
    assert.equal(o.name, name)
    assert.equal(o.sensorUnits, units)
    assert.equal(o.urn, `urn:oma:lwm2m:ext:${id}:1.1`)
    assert.deepEqual([...o.resources.keys()].sort((a, b) => a - b), [5518, 5601, 5602, 5603, 5604, 5605, 5700, 5701, 5750, 6042, 6049, 6050])
    const value = o.resources.get(5700)!
    assert.deepEqual([value.type, value.operations, value.mandatory, value.multiple], ['float', 'R', true, false])
    assert.deepEqual([o.resources.get(5605)!.operations, o.resources.get(5605)!.type], ['E', 'none'])
    assert.equal(o.resources.get(5750)!.operations, 'RW')
    assert.equal(o.resources.get(5518)!.type, 'time')
    assert.equal(o.resources.get(6050)!.units, 's')
  }
})

test('the trace object: sequence, send time in ms, device id', () => {
  const t = defaultRegistry.get(TRACE_OBJECT_ID)
  assert.deepEqual([...t.resources.values()].map(r => [r.id, r.type, r.units]), [[0, 'unsigned', undefined], [1, 'integer', 'ms'], [2, 'string', undefined]])
})

test('an unknown object or resource fails with a typed error naming it', () => {
  assert.throws(() => defaultRegistry.get(9999), (err: unknown) => {
    assert.ok(err instanceof Lwm2mModelError)
    assert.equal(err.reason, 'UNKNOWN_OBJECT')
    assert.equal(err.objectId, 9999)
    assert.match(err.message, /object 9999/)
    assert.match(err.hint ?? '', /registry\.add/)
    return true
  })
  assert.throws(() => defaultRegistry.resource(3303, 1), (err: unknown) => err instanceof Lwm2mModelError && err.reason === 'UNKNOWN_RESOURCE' && err.resourceId === 1)
  assert.equal(defaultRegistry.find(9999), undefined)
  assert.equal(defaultRegistry.findResource(3303, 1), undefined)
})

test('lookupResource: strict throws for unknowns, lenient returns undefined, executables carry no value', () => {
  assert.equal(lookupResource(undefined, 3303, 5700)?.type, 'float')
  throwsReason(() => lookupResource(undefined, 6, 0), 'UNKNOWN_OBJECT')
  throwsReason(() => lookupResource({ strict: true }, 3303, 9), 'UNKNOWN_RESOURCE')
  assert.equal(lookupResource({ strict: false }, 6, 0), undefined)
  throwsReason(() => lookupResource(undefined, 3, 4), 'VALUE_TYPE', /executable/)
  const custom = new ObjectRegistry([]).add({ id: 6, name: 'Location', version: '1.0', urn: 'urn:oma:lwm2m:oma:6', multiple: false, mandatory: false, resources: new Map() })
  assert.equal(lookupResource({ registry: custom, strict: false }, 6, 0), undefined)
  throwsReason(() => lookupResource({ registry: custom }, 3303, 5700), 'UNKNOWN_OBJECT')
})

test('checkValue accepts each type\'s JS representation and nothing else', () => {
  const good: Record<ResourceType, ResourceValue[]> = {
    string: ['', 'héllo'],
    corelnk: ['</3/0>'],
    integer: [0, -1, 2 ** 53, -(2 ** 63), 2n ** 63n - 1n, -(2n ** 63n)],
    unsigned: [0, 255, 2 ** 63, 2n ** 64n - 1n],
    float: [0, -1.5, 1e300],
    boolean: [true, false],
    opaque: [new Uint8Array(0), Buffer.from('ab')],
    time: [new Date(0), new Date(1367491215000)],
    objlnk: [{ objectId: 66, instanceId: 0 }, { objectId: 65535, instanceId: 65535 }],
  }
  const bad: Record<ResourceType, unknown[]> = {
    string: [1, Buffer.from('a')],
    corelnk: [null],
    integer: [1.5, 2 ** 63, 2n ** 63n, '1', Number.NaN],
    unsigned: [-1, -1n, 2n ** 64n, 2 ** 64, 0.5],
    float: [Number.NaN, Infinity, 1n, '1.0'],
    boolean: [0, 'true'],
    opaque: ['ab', [1, 2]],
    time: [0, new Date(Number.NaN)],
    objlnk: [{ objectId: 70000, instanceId: 0 }, { objectId: 1 }, 'x:y'],
  }
  for (const type of resourceTypes) {
    for (const v of good[type]) assert.ok(isValue(type, v), `${type} ${String(v)}`)
    for (const v of bad[type]) {
      assert.ok(!isValue(type, v as ResourceValue), `${type} ${String(v)}`)
      throwsReason(() => checkValue(type, v as ResourceValue), 'VALUE_TYPE')
    }
  }
})

test('node constructors validate ids, values and duplicates', () => {
  const s = singleResource(5700, 'float', 21.5)
  assert.deepEqual(s, { kind: 'single', id: 5700, type: 'float', value: 21.5 })
  const m = multipleResource(6, 'integer', [1, 5])
  assert.deepEqual([...m.instances], [[0, 1], [1, 5]])
  assert.deepEqual([...multipleResource(7, 'integer', [[0, 3800], [1, 5000]]).instances], [[0, 3800], [1, 5000]])
  assert.deepEqual([...multipleResource(7, 'integer', new Map([[3, 1]])).instances], [[3, 1]])
  assert.deepEqual(resourceInstance(1, 'integer', 5), { kind: 'resourceInstance', id: 1, type: 'integer', value: 5 })
  const i = objectInstance(0, [s, m])
  assert.deepEqual([...i.resources.keys()], [5700, 6])
  assert.deepEqual([...objectNode(3303, [i]).instances.keys()], [0])
  throwsReason(() => singleResource(5700, 'float', 'hot'), 'VALUE_TYPE', /resource 5700/)
  throwsReason(() => singleResource(70000, 'float', 1), 'NODE_MISMATCH')
  throwsReason(() => multipleResource(6, 'integer', [[0, 1], [0, 2]]), 'NODE_MISMATCH', /duplicate/)
  throwsReason(() => multipleResource(6, 'integer', [1, 'x']), 'VALUE_TYPE', /6\/1/)
  throwsReason(() => objectInstance(0, [s, s]), 'NODE_MISMATCH', /duplicate resource 5700/)
  throwsReason(() => objectNode(3303, [i, i]), 'NODE_MISMATCH', /duplicate instance 0/)
})

test('resourceFromDefinition types a value from the object model', () => {
  assert.deepEqual(resourceFromDefinition(defaultRegistry.resource(3303, 5700), 20), singleResource(5700, 'float', 20))
  assert.deepEqual(resourceFromDefinition(defaultRegistry.resource(3, 11), [0]), multipleResource(11, 'integer', [0]))
  throwsReason(() => resourceFromDefinition(defaultRegistry.resource(3, 11), 0), 'VALUE_TYPE', /multiple/)
  throwsReason(() => resourceFromDefinition(defaultRegistry.resource(3, 4), 0), 'VALUE_TYPE', /executable/)
})
