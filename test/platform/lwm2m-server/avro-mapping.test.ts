import { test } from 'node:test'
import assert from 'node:assert/strict'
import { multipleResource, objectInstance, objectNode, singleResource } from '../../../lib/lwm2m/model.ts'
import { makePath, parsePath } from '../../../lib/lwm2m/path.ts'
import { fromAvroNode, observedContent, responseCode, toAvroNode, traceOfContent, withTrace } from '../../../platform/lwm2m-server/avro-mapping.ts'
import { observationCodec } from '../../../platform/lwm2m-server/avro/codec.ts'
import { readBody, readNode } from '../../../platform/lwm2m-server/avro/records.ts'
import type { AvroInstanceResource, AvroMultipleResource, AvroResource } from '../../../platform/lwm2m-server/avro/types.ts'

const trace = { seq: 41, sentAtMs: 1_718_000_000_123, deviceId: 'dev-000042' }

test('nodes map to the zeelos resource records with their types and paths', () => {
  const temp = toAvroNode(parsePath('/3303/0/5700'), singleResource(5700, 'float', 21.5)) as AvroResource
  assert.deepEqual(temp, { id: 5700, path: '/3303/0/5700', kind: 'SINGLE_RESOURCE', type: 'FLOAT', value: { double: 21.5 } })
  const device = objectInstance(0, [singleResource(0, 'string', 'fleetlab'), singleResource(9, 'integer', 87), singleResource(13, 'time', new Date(1_700_000_000_000)),
    singleResource(22, 'objlnk', { objectId: 3303, instanceId: 0 }), multipleResource(11, 'integer', [0, 3])])
  const i = toAvroNode(parsePath('/3/0'), device) as AvroInstanceResource
  assert.equal(i.kind, 'INSTANCE')
  assert.deepEqual(i.resources.map(r => [r.path, r.type, r.value]), [
    ['/3/0/0', 'STRING', { string: 'fleetlab' }], ['/3/0/9', 'INTEGER', { long: 87 }], ['/3/0/13', 'TIME', { long: 1_700_000_000_000 }],
    ['/3/0/22', 'OBJLNK', { string: '3303:0' }]])
  const errors = i.multipleResources![0] as AvroMultipleResource
  assert.equal(errors.path, '/3/0/11')
  assert.deepEqual(errors.resources['1'], { id: 1, path: '/3/0/11/1', kind: 'SINGLE_RESOURCE', type: 'INTEGER', value: { long: 3 } })
  const object = toAvroNode(makePath(3), objectNode(3, [device])) as { kind: string, instances: AvroInstanceResource[] }
  assert.equal(object.kind, 'OBJECT')
  assert.equal(object.instances[0]!.resources[0]!.path, '/3/0/0')
})

test('a traced single resource becomes an instance with the trace resources beside it; both come back out', () => {
  const path = parsePath('/3303/0/5700')
  const plain = toAvroNode(path, singleResource(5700, 'float', 19.25))
  const traced = withTrace(plain, path, trace)
  assert.equal(traced.kind, 'INSTANCE')
  assert.deepEqual((traced as AvroInstanceResource).resources.map(r => r.path), ['/3303/0/5700', '/33000/0/0', '/33000/0/1', '/33000/0/2'])
  // Through Avro and back, as a consumer of iot.<gw>.observations sees it.
  const buf = observationCodec.encode({ ticket: 't', observationId: 'o', serverId: 's', ep: 'dev-000042', path: '/3303/0/5700', timestamp: trace.sentAtMs, rep: { code: 'CONTENT', kind: 'observe', body: readBody(traced) } })
  const content = readNode(observationCodec.decode(buf).rep.body)!
  assert.deepEqual(traceOfContent(content), trace)
  const observed = observedContent(content, '/3303/0/5700') as AvroResource
  assert.equal(observed.path, '/3303/0/5700')
  assert.equal(observed.kind, 'SINGLE_RESOURCE')
  assert.equal(traceOfContent(plain), undefined, 'untraced content keeps the zeelos shape')
  assert.equal(observedContent(plain, '/3303/0/5700'), plain)
})

test('the trace rides along instance and object observations too', () => {
  const inst = objectInstance(0, [singleResource(5700, 'float', 1), singleResource(5701, 'string', 'Cel')])
  const tracedInstance = withTrace(toAvroNode(parsePath('/3303/0'), inst), parsePath('/3303/0'), trace)
  assert.deepEqual(traceOfContent(tracedInstance), trace)
  assert.deepEqual((observedContent(tracedInstance, '/3303/0') as AvroInstanceResource).resources.map(r => r.id), [5700, 5701])
  const tracedObject = withTrace(toAvroNode(makePath(3303), objectNode(3303, [inst])), makePath(3303), trace)
  assert.deepEqual(traceOfContent(tracedObject), trace)
  const tracedMultiple = withTrace(toAvroNode(parsePath('/3/0/11'), multipleResource(11, 'integer', [0])), parsePath('/3/0/11'), trace)
  assert.deepEqual(traceOfContent(tracedMultiple), trace)
  assert.equal((observedContent(tracedMultiple, '/3/0/11') as AvroMultipleResource).kind, 'MULTIPLE_RESOURCE')
})

test('Avro nodes of write and create requests map back to LWM2M nodes', () => {
  const path = parsePath('/3/0')
  const original = objectInstance(0, [singleResource(14, 'string', '+02:00'), singleResource(13, 'time', new Date(1_700_000_000_000)),
    singleResource(22, 'objlnk', { objectId: 1, instanceId: 0 }), singleResource(5, 'opaque', Buffer.from([1, 2, 3])), multipleResource(7, 'integer', [3300, 5000])])
  const back = fromAvroNode(toAvroNode(path, original), path)
  assert.deepEqual(back, original)
  const ri = fromAvroNode({ id: 1, path: '/3/0/7/1', kind: 'SINGLE_RESOURCE', type: 'INTEGER', value: { long: 4 } }, parsePath('/3/0/7/1'))
  assert.deepEqual(ri, { kind: 'resourceInstance', id: 1, type: 'integer', value: 4 })
  assert.throws(() => fromAvroNode({ id: 22, path: '/3/0/22', kind: 'SINGLE_RESOURCE', type: 'OBJLNK', value: { string: 'nope' } }, parsePath('/3/0/22')), /objlnk/)
})

test('CoAP response codes map to zeelos codes; the unnamed ones to UNKNOWN', () => {
  assert.equal(responseCode('2.05'), 'CONTENT')
  assert.equal(responseCode('2.01'), 'CREATED')
  assert.equal(responseCode('4.04'), 'NOT_FOUND')
  assert.equal(responseCode('4.06'), 'NOT_ACCEPTABLE')
  assert.equal(responseCode('5.03'), 'UNKNOWN')
})
