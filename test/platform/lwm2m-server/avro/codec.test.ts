import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  confluentFrame, confluentUnframe, decodeKey, encodeKey, keyCodec, observationCodec, recordCodecs, registrationCodec,
  requestCodec, responseCodec,
} from '../../../../platform/lwm2m-server/avro/codec.ts'
import type { RecordCodec } from '../../../../platform/lwm2m-server/avro/codec.ts'
import { AvroError } from '../../../../platform/lwm2m-server/avro/errors.ts'
import { genericBody, readBody, readNode, singleResource } from '../../../../platform/lwm2m-server/avro/records.ts'
import { AvroNames } from '../../../../platform/lwm2m-server/avro/types.ts'
import type {
  AvroInstanceResource, AvroRegistrationResponse, AvroRequest, AvroResponse, AvroResponseObserve,
} from '../../../../platform/lwm2m-server/avro/types.ts'

/** avsc decodes records as instances of generated classes; compare their data. */
function roundTrip<T> (codec: RecordCodec<T>, value: T): T {
  const bytes = codec.encode(value)
  const back = codec.decode(bytes, 'iot.gw1.test')
  assert.deepEqual(structuredClone(back), value)
  assert.deepEqual(codec.encode(back), bytes)
  return back
}

const now = 1_718_000_000_123

export const observation: AvroResponseObserve = {
  ticket: 'obs-7f3a',
  observationId: 'c0ffee01',
  serverId: 'edge-gw1',
  ep: 'fleetlab-dev-00042',
  path: '/3303/0/5700',
  timestamp: now,
  rep: { code: 'CONTENT', kind: 'observe', body: readBody(singleResource('/3303/0/5700', 'FLOAT', 21.53)) },
}

const device: AvroInstanceResource = {
  id: 0,
  kind: 'INSTANCE',
  resources: [
    singleResource('/3/0/0', 'STRING', 'fleetlab'),
    singleResource('/3/0/1', 'STRING', 'virtual-lwm2m'),
    singleResource('/3/0/9', 'INTEGER', 87),
    singleResource('/3/0/13', 'TIME', new Date(now)),
    singleResource('/3/0/16', 'STRING', 'U'),
  ],
  multipleResources: [{
    id: 7, path: '/3/0/7', kind: 'MULTIPLE_RESOURCE', type: 'INTEGER',
    resources: { 0: singleResource('/3/0/7/0', 'INTEGER', 3800), 1: singleResource('/3/0/7/1', 'INTEGER', 5000) },
  }],
}

test('the key is AvroKey { ep } and encodes as one Avro string', () => {
  assert.equal(keyCodec.name, 'io.zeelos.leshan.avro.AvroKey')
  const bytes = encodeKey('dev-1')
  assert.equal(bytes.toString('hex'), '0a6465762d31') // zigzag length 5, then the UTF-8
  assert.equal(decodeKey(bytes), 'dev-1')
  roundTrip(keyCodec, { ep: 'fleetlab-dev-00042' })
})

test('an observation of /3303/0/5700 (float, with timestamp) round-trips', () => {
  const back = roundTrip(observationCodec, observation)
  const node = readNode(back.rep.body)
  assert.ok(node !== undefined && node.kind === 'SINGLE_RESOURCE')
  assert.deepEqual(structuredClone(node), { id: 5700, path: '/3303/0/5700', kind: 'SINGLE_RESOURCE', type: 'FLOAT', value: { double: 21.53 } })
  assert.equal(back.timestamp, now)
})

test('a registration NEW with links and binding U round-trips; UPDATE and DELETE too', () => {
  const registered: AvroRegistrationResponse = {
    kind: 'NEW',
    body: {
      [AvroNames.AvroRegistrationNew]: {
        ep: 'fleetlab-dev-00042', serverId: 'edge-gw1', regDate: now, address: '127.0.0.2', port: 40312,
        regAddr: '127.0.0.1', regPort: 5683, lt: 300, sms: null, ver: '1.1', bnd: 'U', regId: '5a3f',
        links: [
          { url: '/', at: { rt: '"oma.lwm2m"' } },
          { url: '/1/0', at: {} },
          { url: '/3/0', at: {} },
          { url: '/3303', at: { ver: '1.1' } },
          { url: '/3303/0', at: {} },
        ],
        attributes: null, root: '/', lastUp: now,
      },
    },
  }
  roundTrip(registrationCodec, registered)
  roundTrip(registrationCodec, {
    kind: 'UPDATE',
    body: {
      [AvroNames.AvroRegistrationUpdate]: {
        ep: 'fleetlab-dev-00042', serverId: 'edge-gw1', regId: '5a3f', address: '127.0.0.2', port: 40312,
        lt: 600, sms: null, bnd: 'UQ', links: null, attributes: { q: 'x' }, lastUp: now + 1000,
      },
    },
  })
  roundTrip(registrationCodec, {
    kind: 'DELETE',
    body: { [AvroNames.AvroRegistrationDelete]: { ep: 'fleetlab-dev-00042', serverId: 'edge-gw1', expired: true, lastUp: now + 2000 } },
  })
})

test('a read request for /3/0 and its response with the Device instance round-trip', () => {
  const read: AvroRequest = {
    serverId: 'edge-gw1', ep: 'fleetlab-dev-00042', ticket: 'tkt-0001',
    payload: { kind: 'read', path: '/3/0', contentFormat: 'TLV', body: null },
  }
  roundTrip(requestCodec, read)
  const reply: AvroResponse = {
    ticket: 'tkt-0001', serverId: 'edge-gw1', ep: 'fleetlab-dev-00042', path: '/3/0', timestamp: now,
    rep: { code: 'CONTENT', kind: 'read', body: readBody(device) },
  }
  const back = roundTrip(responseCodec, reply)
  const node = readNode(back.rep.body)
  assert.equal(node?.kind, 'INSTANCE')
})

test('write, execute, write-attributes and create requests round-trip', () => {
  const base = { serverId: 'edge-gw1', ep: 'fleetlab-dev-00042', ticket: 'tkt-0002' }
  roundTrip(requestCodec, {
    ...base,
    payload: {
      kind: 'write', path: '/1/0/1', contentFormat: 'TEXT_CODE',
      body: { [AvroNames.AvroWriteRequest]: { mode: 'REPLACE', node: { [AvroNames.AvroResource]: singleResource('/1/0/1', 'INTEGER', 600) } } },
    },
  })
  roundTrip(requestCodec, { ...base, payload: { kind: 'execute', path: '/3/0/4', contentFormat: 'TEXT_CODE', body: { [AvroNames.AvroExecuteRequest]: { parameters: '' } } } })
  roundTrip(requestCodec, {
    ...base,
    payload: { kind: 'writeAttributes', path: '/3303/0/5700', contentFormat: 'TEXT_CODE', body: { [AvroNames.AvroWriteAttributesRequest]: { observeSpec: 'pmin=1&pmax=60' } } },
  })
  roundTrip(requestCodec, { ...base, payload: { kind: 'create', path: '/3303', contentFormat: 'TLV', body: { [AvroNames.AvroCreateRequest]: { instance: device } } } })
})

test('a NOT_FOUND reply for an unknown endpoint round-trips', () => {
  const back = roundTrip(responseCodec, {
    ticket: 'tkt-0003', serverId: 'edge-gw1', ep: 'edge-gw1', path: '/3/0', timestamp: now,
    rep: { code: 'NOT_FOUND', kind: 'read', body: genericBody("No registration for this endpoint 'nobody'") },
  })
  assert.equal(back.rep.code, 'NOT_FOUND')
  assert.deepEqual(structuredClone(back.rep.body), { [AvroNames.AvroGenericResponse]: { message: "No registration for this endpoint 'nobody'" } })
})

test('encoding a value that does not fit the schema names the field', () => {
  const bad = { ...observation, timestamp: 'yesterday' } as unknown as AvroResponseObserve
  assert.throws(() => observationCodec.encode(bad), (err: unknown) => {
    assert.ok(err instanceof AvroError)
    assert.equal(err.code, 'FLEETLAB_AVRO')
    assert.match(err.message, /AvroResponseObserve: cannot encode: timestamp: "yesterday"/)
    return true
  })
  const mismatched = { kind: 'DELETE', body: { [AvroNames.AvroRegistrationNew]: {} } } as unknown as AvroRegistrationResponse
  assert.throws(() => registrationCodec.encode(mismatched), /kind DELETE with a io.zeelos.leshan.avro.registration.AvroRegistrationNew body/)
})

test('decoding garbage throws AvroError with the topic and schema, for every record type', () => {
  const valid = observationCodec.encode(observation)
  const garbage = [
    Buffer.alloc(0),
    Buffer.from('not avro at all, just some text'),
    Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    valid.subarray(0, valid.length - 1),
    Buffer.concat([valid, Buffer.from([0])]),
  ]
  for (const codec of Object.values(recordCodecs) as Array<RecordCodec<unknown>>) {
    for (const buf of garbage) {
      assert.throws(() => codec.decode(buf, 'iot.gw1.observations'), (err: unknown) => {
        assert.ok(err instanceof AvroError, `${codec.name}: ${String(err)}`)
        assert.equal(err.topic, 'iot.gw1.observations')
        assert.equal(err.schema, codec.name)
        assert.match(err.message, /\(topic iot\.gw1\.observations\): malformed record/)
        return true
      })
    }
  }
  // Observation bytes are not a registration: the union index or the kind/body pairing gives them away.
  assert.throws(() => registrationCodec.decode(valid), AvroError)
})

test('a record announcing 2^41 array items is rejected at once, not looped over', () => {
  const create: AvroRequest = {
    serverId: 's', ep: 'e', ticket: 't',
    payload: { kind: 'create', path: '/3303', contentFormat: 'TLV', body: { [AvroNames.AvroCreateRequest]: { instance: { id: 0, kind: 'INSTANCE', resources: [], multipleResources: null } } } },
  }
  const valid = requestCodec.encode(create)
  assert.equal(valid.subarray(-4).toString('hex'), '00020000') // id 0, INSTANCE, no resources, multipleResources null
  // The resources count replaced by the varint 2^42, zigzag for 2^41 items, and nothing after it.
  const hostile = Buffer.concat([valid.subarray(0, -2), Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])])
  const started = performance.now()
  assert.throws(() => requestCodec.decode(hostile), /array block of 2199023255552 items, 0 bytes left/)
  assert.ok(performance.now() - started < 100, 'rejected without walking the items')
})

test('Confluent Schema Registry framing: magic byte, big-endian schema id, Avro body', () => {
  const avro = observationCodec.encode(observation)
  const framed = confluentFrame(42, avro)
  assert.equal(framed.subarray(0, 5).toString('hex'), '000000002a')
  const { schemaId, avro: body } = confluentUnframe(framed)
  assert.equal(schemaId, 42)
  assert.deepEqual(structuredClone(observationCodec.decode(body)), observation)
  assert.throws(() => confluentUnframe(avro, 'iot.gw1.observations'), AvroError)
  assert.throws(() => confluentUnframe(Buffer.from([0, 1])), AvroError)
})
