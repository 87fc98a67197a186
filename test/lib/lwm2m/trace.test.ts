import { test } from 'node:test'
import assert from 'node:assert/strict'
import { encodeNode } from '../../../lib/lwm2m/content-format.ts'
import { objectInstance, singleResource } from '../../../lib/lwm2m/model.ts'
import { parsePath } from '../../../lib/lwm2m/path.ts'
import { decodeSenmlCbor, encodeSenmlCbor } from '../../../lib/lwm2m/senml-cbor.ts'
import { decodeTracedNotification, encodeTracedNotification, extractTrace, tracedSenml } from '../../../lib/lwm2m/trace.ts'
import { expectOnlyFormatErrors, fuzzInputs, throwsReason } from './fuzz.ts'

const path = parsePath('/3303/0/5700')
const node = singleResource(5700, 'float', 21.5)
const trace = { seq: 42, sentAtMs: 1718000000123, deviceId: 'dev-000001' }

test('a traced SenML JSON notification: bt is the send time, the trace is /33000/0/0..2', () => {
  const payload = encodeTracedNotification(110, path, node, trace)
  assert.equal(payload.toString(), '[{"bn":"/3303/0/","bt":1718000000.123,"n":"5700","v":21.5},' +
    '{"bn":"/33000/0/","n":"0","v":42},{"n":"1","v":1718000000123},{"n":"2","vs":"dev-000001"}]')
  assert.deepEqual(extractTrace(110, payload), trace)
  assert.deepEqual(decodeTracedNotification(110, path, payload), { node, trace })
})

test('a traced SenML CBOR notification carries the same pack', () => {
  const payload = encodeTracedNotification(112, path, node, trace)
  // `float` marks Float values for the encoder; it is not on the wire, so decoded records lack it
  assert.deepEqual(decodeSenmlCbor(payload), tracedSenml(path, node, trace).map(({ float: _f, ...r }) => r))
  assert.equal(payload.length, 80) // 21.5 fits a half-precision float
  assert.deepEqual(extractTrace(112, payload), trace)
  assert.deepEqual(decodeTracedNotification(112, path, payload), { node, trace })
  const instance = objectInstance(0, [node, singleResource(5701, 'string', 'Cel')])
  const p = encodeTracedNotification(112, parsePath('/3303/0'), instance, { ...trace, seq: 0 })
  assert.deepEqual(decodeTracedNotification(112, parsePath('/3303/0'), p), { node: instance, trace: { ...trace, seq: 0 } })
})

test('payloads without a trace, and formats that cannot carry one', () => {
  const plain = encodeNode(110, path, node)
  assert.equal(extractTrace(110, plain), undefined)
  assert.deepEqual(decodeTracedNotification(110, path, plain), { node, trace: undefined })
  const tlv = encodeNode(11542, path, node)
  assert.equal(extractTrace(11542, tlv), undefined)
  assert.deepEqual(decodeTracedNotification(11542, path, tlv), { node, trace: undefined })
  throwsReason(() => encodeTracedNotification(11542, path, node, trace), 'TRACE_FORMAT')
  throwsReason(() => encodeTracedNotification(0, path, node, trace), 'TRACE_FORMAT')
})

test('a partial or mistyped trace is rejected with TRACE_INCOMPLETE; bad trace input with VALUE_TYPE', () => {
  const pack = tracedSenml(path, node, trace)
  const without = (i: number): Buffer => encodeSenmlCbor(pack.filter((_, k) => k !== i).map((r, k) => k === 1 && i === 1 ? { ...r, bn: '/33000/0/' } : r))
  throwsReason(() => extractTrace(112, without(1)), 'TRACE_INCOMPLETE', /sequence/)
  throwsReason(() => extractTrace(112, without(2)), 'TRACE_INCOMPLETE', /send time/)
  throwsReason(() => extractTrace(112, without(3)), 'TRACE_INCOMPLETE', /device id/)
  throwsReason(() => extractTrace(110, Buffer.from('[{"n":"/33000/0/0","v":-1},{"n":"/33000/0/1","v":1},{"n":"/33000/0/2","vs":"d"}]')), 'TRACE_INCOMPLETE', /sequence/)
  throwsReason(() => extractTrace(110, Buffer.from('[{"n":"/33000/0/0","v":1},{"n":"/33000/0/1","v":1.5},{"n":"/33000/0/2","vs":"d"}]')), 'TRACE_INCOMPLETE', /send time/)
  throwsReason(() => extractTrace(110, Buffer.from('[{"n":"/33000/0/0","v":1},{"n":"/33000/0/1","v":1},{"n":"/33000/0/2","v":7}]')), 'TRACE_INCOMPLETE', /device id/)
  throwsReason(() => encodeTracedNotification(110, path, node, { ...trace, seq: -1 }), 'VALUE_TYPE')
  throwsReason(() => encodeTracedNotification(110, path, node, { ...trace, sentAtMs: 1.5 }), 'VALUE_TYPE')
  throwsReason(() => encodeTracedNotification(110, path, node, { ...trace, deviceId: '' }), 'VALUE_TYPE')
})

test('10,000 mutated traced notifications only ever throw Lwm2mFormatError', () => {
  const seeds = [encodeTracedNotification(110, path, node, trace), encodeTracedNotification(112, path, node, trace)]
  let i = 0
  expectOnlyFormatErrors(fuzzInputs(0x7ace, seeds, 10_000), input => {
    const format = i++ % 2 === 0 ? 110 : 112
    try { extractTrace(format, input) } finally { decodeTracedNotification(format, path, input) }
  })
})
