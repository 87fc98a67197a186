import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Code } from '../../../lib/coap/codes.ts'
import { CoapMalformedError } from '../../../lib/coap/errors.ts'
import { decode, encode } from '../../../lib/coap/message.ts'
import {
  ContentFormat, OptionNumber, accept, block1, block2, block2Option, blockSize, contentFormat, decodeBlock, decodeUint,
  encodeBlock, encodeUint, isCritical, isNoCacheKey, isUnsafe, locationPathOptions, maxAge, observe, optionValue,
  optionValues, sizeToSzx, uintOption, uriPath, uriPathOptions, uriQuery, uriQueryOptions,
} from '../../../lib/coap/options.ts'

const badValue = (err: unknown): boolean => err instanceof CoapMalformedError && err.reason === 'BAD_OPTION_VALUE'

test('option numbers are the registered ones (RFC 7252 §12.2, RFC 7641, RFC 7959)', () => {
  assert.deepEqual(
    [OptionNumber.IF_MATCH, OptionNumber.URI_HOST, OptionNumber.ETAG, OptionNumber.IF_NONE_MATCH, OptionNumber.OBSERVE,
      OptionNumber.URI_PORT, OptionNumber.LOCATION_PATH, OptionNumber.URI_PATH, OptionNumber.CONTENT_FORMAT,
      OptionNumber.MAX_AGE, OptionNumber.URI_QUERY, OptionNumber.ACCEPT, OptionNumber.LOCATION_QUERY, OptionNumber.BLOCK2,
      OptionNumber.BLOCK1, OptionNumber.SIZE2, OptionNumber.SIZE1],
    [1, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 17, 20, 23, 27, 28, 60])
})

test('critical, unsafe and no-cache-key come from the number bits (§5.4.6)', () => {
  const critical = [1, 3, 5, 7, 11, 15, 17, 23, 27].filter(isCritical)
  assert.deepEqual(critical, [1, 3, 5, 7, 11, 15, 17, 23, 27])
  assert.deepEqual([4, 6, 8, 12, 14, 20, 28, 60].filter(isCritical), [])
  assert.deepEqual([3, 6, 7, 11, 14, 15, 23, 27, 35, 39].filter(isUnsafe), [3, 6, 7, 11, 14, 15, 23, 27, 35, 39])
  assert.deepEqual([1, 4, 5, 8, 12, 17, 20, 28, 60].filter(isUnsafe), [])
  assert.ok(isNoCacheKey(OptionNumber.SIZE1))
  assert.ok(!isNoCacheKey(OptionNumber.ACCEPT))
})

test('uint values use the fewest bytes and accept leading zeros', () => {
  assert.equal(encodeUint(0).length, 0)
  assert.equal(encodeUint(255).toString('hex'), 'ff')
  assert.equal(encodeUint(256).toString('hex'), '0100')
  assert.equal(encodeUint(11542).toString('hex'), '2d16')
  assert.equal(encodeUint(0x10000).toString('hex'), '010000')
  assert.equal(encodeUint(0xffffffff).toString('hex'), 'ffffffff')
  assert.throws(() => encodeUint(-1), badValue)
  assert.throws(() => encodeUint(2 ** 32), badValue)
  assert.throws(() => encodeUint(1.5), badValue)
  for (const n of [0, 1, 60, 255, 256, 65535, 65536, 2 ** 24 - 1, 2 ** 24, 2 ** 32 - 1]) assert.equal(decodeUint(encodeUint(n)), n)
  assert.equal(decodeUint(Buffer.from('000000000000002a', 'hex')), 42)
  assert.equal(decodeUint(Buffer.from('ffffffffffff', 'hex')), 2 ** 48 - 1)
  assert.throws(() => decodeUint(Buffer.from('01000000000000', 'hex')), badValue)
})

test('a LWM2M register request: Uri-Path and Uri-Query readers and builders', () => {
  const wire = encode({
    type: 'CON', code: Code.POST, messageId: 10, token: Buffer.from('t1'),
    options: [
      ...uriPathOptions('/rd'),
      ...uriQueryOptions({ ep: 'dev-00042', lt: 300, lwm2m: '1.1', b: 'U', sms: undefined }),
      uintOption(OptionNumber.CONTENT_FORMAT, ContentFormat.LINK_FORMAT),
      { number: OptionNumber.URI_QUERY, value: Buffer.from('Q') },
    ],
    payload: Buffer.from('</1/0>,</3/0>,</3303/0>'),
  })
  const msg = decode(wire)
  assert.deepEqual(uriPath(msg), ['rd'])
  assert.deepEqual(uriQuery(msg), { ep: 'dev-00042', lt: '300', lwm2m: '1.1', b: 'U', Q: '' })
  assert.equal(contentFormat(msg), 40)
  assert.equal(accept(msg), undefined)
  assert.equal(maxAge(msg), 60)
  assert.equal(optionValues(msg, OptionNumber.URI_QUERY).length, 5)
})

test('uriQuery keeps "__proto__" as data, and a value may hold "="', () => {
  const q = uriQuery({ options: [{ number: 15, value: Buffer.from('__proto__=x') }, { number: 15, value: Buffer.from('a=b=c') }] })
  assert.equal(Object.getPrototypeOf(q), Object.prototype)
  assert.equal(Object.getOwnPropertyDescriptor(q, '__proto__')?.value, 'x')
  assert.equal(q.a, 'b=c')
})

test('paths split on "/" with the root as no option', () => {
  assert.deepEqual(uriPathOptions('/3303/0/5700').map(o => o.value.toString()), ['3303', '0', '5700'])
  assert.deepEqual(uriPathOptions(['rd', '5a3f']).map(o => o.value.toString()), ['rd', '5a3f'])
  assert.deepEqual(uriPathOptions('/'), [])
  assert.deepEqual(uriPathOptions(''), [])
  assert.deepEqual(locationPathOptions('/rd/5a3f').map(o => o.number), [8, 8])
})

test('Observe is 0-3 bytes (RFC 7641 §2), Content-Format and Accept 0-2', () => {
  assert.equal(observe({ options: [] }), undefined)
  assert.equal(observe({ options: [{ number: 6, value: Buffer.alloc(0) }] }), 0)
  assert.equal(observe({ options: [uintOption(6, 0xffffff)] }), 0xffffff)
  assert.throws(() => observe({ options: [{ number: 6, value: Buffer.alloc(4, 1) }] }), badValue)
  assert.equal(contentFormat({ options: [uintOption(12, ContentFormat.SENML_CBOR)] }), 112)
  assert.equal(contentFormat({ options: [uintOption(12, ContentFormat.LWM2M_TLV)] }), 11542)
  assert.throws(() => contentFormat({ options: [{ number: 12, value: Buffer.alloc(3, 1) }] }), badValue)
  assert.equal(optionValue({ options: [] }, 12), undefined)
})

test('Block2 values (RFC 7959 §2.2): NUM, M, SZX in 0-3 bytes', () => {
  assert.equal(encodeBlock({ num: 0, more: false, szx: 0 }).length, 0)
  assert.equal(encodeBlock({ num: 0, more: true, szx: 6 }).toString('hex'), '0e')
  assert.equal(encodeBlock({ num: 1, more: true, szx: 2 }).toString('hex'), '1a')
  assert.equal(encodeBlock({ num: 16, more: false, szx: 6 }).toString('hex'), '0106')
  assert.equal(encodeBlock({ num: 0xfffff, more: true, szx: 6 }).toString('hex'), 'fffffe')
  assert.throws(() => encodeBlock({ num: 0x100000, more: false, szx: 0 }), badValue)
  assert.throws(() => encodeBlock({ num: 0, more: false, szx: 7 }), badValue)
  assert.deepEqual(decodeBlock(Buffer.from('1a', 'hex')), { num: 1, more: true, szx: 2 })
  assert.deepEqual(decodeBlock(Buffer.alloc(0)), { num: 0, more: false, szx: 0 })
  assert.throws(() => decodeBlock(Buffer.from('0f', 'hex')), badValue) // SZX 7 is reserved
  assert.throws(() => decodeBlock(Buffer.from('01020304', 'hex')), badValue)
  for (const block of [{ num: 5, more: false, szx: 4 }, { num: 1000, more: true, szx: 1 }]) {
    const msg = decode(encode({ type: 'ACK', code: Code.CONTENT, messageId: 1, options: [block2Option(block)] }))
    assert.deepEqual(block2(msg), block)
    assert.equal(block1(msg), undefined)
  }
  assert.equal(blockSize(0), 16)
  assert.equal(blockSize(6), 1024)
  assert.equal(sizeToSzx(512), 5)
  assert.throws(() => sizeToSzx(2048), badValue)
})
