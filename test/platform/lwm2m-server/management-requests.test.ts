import { test } from 'node:test'
import assert from 'node:assert/strict'
import { requestCodec } from '../../../platform/lwm2m-server/avro/codec.ts'
import { recoverRequestHeader } from '../../../platform/lwm2m-server/management-requests.ts'
import { bindingEnum, avroLinks } from '../../../platform/lwm2m-server/avro-registrations.ts'

const valid = requestCodec.encode({ serverId: 'lwm2m-gw1', ep: 'dev-1', ticket: 'tk-9', payload: { kind: 'observe', path: '/3303/0/5700', contentFormat: 'TLV', body: null } })

test('the header of a request is recovered field by field, as far as the bytes allow', () => {
  assert.deepEqual(recoverRequestHeader(valid), { serverId: 'lwm2m-gw1', ep: 'dev-1', ticket: 'tk-9', kind: 'observe', path: '/3303/0/5700' })
  // Cut inside the path: the three strings and the kind remain.
  assert.deepEqual(recoverRequestHeader(valid.subarray(0, valid.length - 6)), { serverId: 'lwm2m-gw1', ep: 'dev-1', ticket: 'tk-9', kind: 'observe' })
  // A kind index past the nine kinds.
  const kindAt = 1 + 9 + 1 + 5 + 1 + 4
  const bad = Buffer.from(valid)
  bad[kindAt] = 2 * 40
  assert.deepEqual(recoverRequestHeader(bad), { serverId: 'lwm2m-gw1', ep: 'dev-1', ticket: 'tk-9', badKind: true })
  assert.throws(() => requestCodec.decode(bad))
  assert.deepEqual(recoverRequestHeader(Buffer.alloc(0)), {})
  assert.deepEqual(recoverRequestHeader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), {})
  assert.deepEqual(recoverRequestHeader(Buffer.from([0x7e, 0x41])), {}, 'a length beyond the buffer')
  assert.deepEqual(recoverRequestHeader(Buffer.from([0x04, 0xc3, 0x28])), {}, 'bytes that are not UTF-8')
})

test('bindings map onto zeelos\'s enum; link attributes keep rt quoted', () => {
  assert.equal(bindingEnum('U', false), 'U')
  assert.equal(bindingEnum('U', true), 'UQ')
  assert.equal(bindingEnum('US', true), 'UQS')
  assert.equal(bindingEnum('S', false), 'S')
  assert.equal(bindingEnum('T', false), 'U')
  assert.deepEqual(avroLinks('</>;rt="oma.lwm2m";ct=110,</3/0>,</3303>;ver=1.1'), [
    { url: '/', at: { rt: '"oma.lwm2m"', ct: '110' } }, { url: '/3/0', at: {} }, { url: '/3303', at: { ver: '1.1' } }])
  assert.deepEqual(avroLinks('<broken'), [])
})
