import { test } from 'node:test'
import assert from 'node:assert/strict'
import avsc from 'avsc'
import { observationCodec, recordCodecs, registrationCodec, requestCodec, responseCodec } from '../../../../platform/lwm2m-server/avro/codec.ts'
import type { RecordCodec } from '../../../../platform/lwm2m-server/avro/codec.ts'
import { AvroError } from '../../../../platform/lwm2m-server/avro/errors.ts'
import { genericBody, readBody, singleResource } from '../../../../platform/lwm2m-server/avro/records.ts'
import { AvroNames } from '../../../../platform/lwm2m-server/avro/types.ts'
import { checkWire } from '../../../../platform/lwm2m-server/avro/wire-check.ts'

test('whatever avsc writes passes the check, for every kind of type', () => {
  const type = avsc.Type.forSchema({
    type: 'record', name: 'All', fields: [
      { name: 'n', type: 'null' }, { name: 'b', type: 'boolean' }, { name: 'i', type: 'int' }, { name: 'l', type: 'long' },
      { name: 'f', type: 'float' }, { name: 'd', type: 'double' }, { name: 'by', type: 'bytes' }, { name: 's', type: 'string' },
      { name: 'x', type: { type: 'fixed', name: 'F4', size: 4 } }, { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A', 'B'] } },
      { name: 'a', type: { type: 'array', items: 'int' } }, { name: 'm', type: { type: 'map', values: 'string' } },
      { name: 'u', type: ['null', 'string'] }, { name: 'w', type: ['double', 'long'] },
      { name: 't', type: { type: 'long', logicalType: 'timestamp-millis' } },
    ],
  }, { wrapUnions: 'auto' })
  for (let i = 0; i < 500; i++) assert.equal(checkWire(type, type.toBuffer(type.random())), undefined)
})

test('negative block counts carry a byte size (Avro spec) and are read as such', () => {
  const ints = avsc.Type.forSchema({ type: 'array', items: 'int' })
  // count -2 (zigzag 3), block size 2 bytes, items 1 and 2, end of array.
  assert.equal(checkWire(ints, Buffer.from([0x03, 0x04, 0x02, 0x04, 0x00])), undefined)
  assert.deepEqual(ints.fromBuffer(Buffer.from([0x03, 0x04, 0x02, 0x04, 0x00])), [1, 2])
  assert.match(checkWire(ints, Buffer.from([0x03, 0x04, 0x02])) ?? '', /truncated varint|block/)
})

test('the check names what is wrong', () => {
  const t = requestCodec.type
  assert.match(checkWire(t, Buffer.alloc(0)) ?? '', /truncated varint at byte 0/)
  assert.match(checkWire(avsc.Type.forSchema('boolean'), Buffer.from([2])) ?? '', /boolean byte 2/)
  assert.match(checkWire(avsc.Type.forSchema('string'), Buffer.from([0x7e])) ?? '', /string of 63 bytes, 0 left/)
  assert.match(checkWire(avsc.Type.forSchema('int'), Buffer.alloc(11, 0xff)) ?? '', /varint longer than 10 bytes/)
  assert.match(checkWire(avsc.Type.forSchema(['null', 'int']), Buffer.from([0x04])) ?? '', /union index 2 of 2 branches/)
  assert.match(checkWire(avsc.Type.forSchema('int'), Buffer.from([0x02, 0x00])) ?? '', /1 bytes after the end/)
})

test('20,000 mutated records: each decodes or throws AvroError, quickly', () => {
  let seed = 42
  const rnd = (): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 2 ** 32 }
  const samples: Array<[RecordCodec<unknown>, Buffer]> = [
    [observationCodec as RecordCodec<unknown>, observationCodec.encode({
      ticket: 't', observationId: 'o', serverId: 's', ep: 'dev-1', path: '/3303/0/5700', timestamp: 1_718_000_000_000,
      rep: { code: 'CONTENT', kind: 'observe', body: readBody(singleResource('/3303/0/5700', 'FLOAT', 21.5)) },
    })],
    [responseCodec as RecordCodec<unknown>, responseCodec.encode({
      ticket: 't', serverId: 's', ep: 'e', path: '/3/0', timestamp: 1, rep: { code: 'NOT_FOUND', kind: 'read', body: genericBody('no such endpoint') },
    })],
    [registrationCodec as RecordCodec<unknown>, registrationCodec.encode({
      kind: 'NEW', body: { [AvroNames.AvroRegistrationNew]: {
        ep: 'dev-1', serverId: 's', regDate: 1, address: '127.0.0.1', port: 5683, regAddr: '127.0.0.1', regPort: 5683, lt: 300,
        sms: null, ver: '1.1', bnd: 'U', regId: 'r', links: [{ url: '/3303/0', at: { ver: '1.1' } }], attributes: { a: 'b' }, root: '/', lastUp: 1,
      } },
    })],
  ]
  const started = performance.now()
  let decoded = 0
  for (let i = 0; i < 20_000; i++) {
    const [codec, valid] = samples[i % samples.length]!
    const buf = Buffer.from(valid)
    const kind = Math.floor(rnd() * 3)
    if (kind === 0) for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) buf[Math.floor(rnd() * buf.length)] = Math.floor(rnd() * 256)
    const mutated = kind === 1 ? buf.subarray(0, Math.floor(rnd() * buf.length)) : kind === 2 ? Buffer.concat([buf.subarray(0, Math.floor(rnd() * buf.length)), Buffer.alloc(1 + Math.floor(rnd() * 8), Math.floor(rnd() * 256))]) : buf
    try {
      codec.decode(mutated, 'iot.fuzz')
      decoded++
    } catch (err) {
      if (!(err instanceof AvroError)) assert.fail(`${codec.name} ${mutated.toString('hex')}: ${String(err)}`)
    }
  }
  assert.ok(decoded > 0 && decoded < 20_000, `${decoded} decoded`)
  assert.ok(performance.now() - started < 5000, 'no mutation makes decoding slow')
  assert.equal(Object.keys(recordCodecs).length, 5)
})
