import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CoapMalformedError } from '../../../lib/coap/errors.ts'
import type { CoapMalformedReason } from '../../../lib/coap/errors.ts'
import { Code, codeName, formatCode, isRequestCode, isResponseCode, makeCode, parseCode } from '../../../lib/coap/codes.ts'
import { decode, encode, encodeEmpty, formatMessage } from '../../../lib/coap/message.ts'
import type { CoapMessage, CoapMessageInit } from '../../../lib/coap/message.ts'
import { OptionNumber, locationPath, uriPath, uriPathOptions } from '../../../lib/coap/options.ts'

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex')
const token = hex('0a0b0c0d')

function assertMalformed (bytes: Buffer, reason: CoapMalformedReason): void {
  assert.throws(() => decode(bytes), (err: unknown) => {
    assert.ok(err instanceof CoapMalformedError, `expected CoapMalformedError, got ${String(err)}`)
    assert.equal(err.reason, reason, err.message)
    assert.equal(err.code, 'FLEETLAB_COAP_MALFORMED')
    return true
  })
}

/** decode(encode(m)) is m with the defaults filled in, and encode(decode(bytes)) is bytes. */
function roundTrip (init: CoapMessageInit, bytes: string): CoapMessage {
  const wire = encode(init)
  assert.equal(wire.toString('hex'), hex(bytes).toString('hex'))
  const msg = decode(wire)
  assert.equal(msg.version, 1)
  assert.equal(msg.type, init.type)
  assert.equal(msg.code, init.code)
  assert.equal(msg.messageId, init.messageId)
  assert.deepEqual(msg.token, init.token ?? Buffer.alloc(0))
  assert.deepEqual(msg.options, [...(init.options ?? [])].sort((a, b) => a.number - b.number))
  assert.deepEqual(msg.payload, init.payload)
  assert.deepEqual(encode(msg), wire)
  return msg
}

test('codes format as c.dd and name the registered ones', () => {
  assert.equal(formatCode(Code.CONTENT), '2.05')
  assert.equal(formatCode(Code.GET), '0.01')
  assert.equal(formatCode(Code.REQUEST_ENTITY_INCOMPLETE), '4.08')
  assert.equal(formatCode(Code.INTERNAL_SERVER_ERROR), '5.00')
  assert.equal(parseCode('2.01'), Code.CREATED)
  assert.equal(parseCode('4.04'), Code.NOT_FOUND)
  assert.equal(parseCode('2.5'), undefined)
  assert.equal(parseCode('2.32'), undefined)
  assert.equal(makeCode(2, 31), Code.CONTINUE)
  assert.equal(codeName(0x45), 'CONTENT')
  assert.ok(isRequestCode(Code.POST) && !isRequestCode(Code.EMPTY) && !isRequestCode(Code.CREATED))
  assert.ok(isResponseCode(Code.NOT_FOUND) && !isResponseCode(Code.GET))
})

test('a CON GET /rd with a 4-byte token, byte for byte', () => {
  const msg = roundTrip({ type: 'CON', code: Code.GET, messageId: 0x1234, token, options: uriPathOptions('/rd') },
    '44 01 1234 0a0b0c0d b2 7264')
  assert.deepEqual(uriPath(msg), ['rd'])
  assert.equal(formatMessage(msg), 'CON 0.01 mid=4660 token=0a0b0c0d [11:7264] 0 bytes')
})

test('an ACK 2.01 Created with Location-Path rd/5a3f, byte for byte', () => {
  const msg = roundTrip({
    type: 'ACK', code: Code.CREATED, messageId: 0x1234, token,
    options: [{ number: OptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: OptionNumber.LOCATION_PATH, value: Buffer.from('5a3f') }],
  }, '64 41 1234 0a0b0c0d 82 7264 04 35613366')
  assert.deepEqual(locationPath(msg), ['rd', '5a3f'])
})

test('a NON 2.05 notification with Observe, Content-Format and a payload after the marker', () => {
  roundTrip({
    type: 'NON', code: Code.CONTENT, messageId: 0xbeef, token: hex('cafe'),
    options: [{ number: OptionNumber.OBSERVE, value: hex('07') }, { number: OptionNumber.CONTENT_FORMAT, value: Buffer.alloc(0) }],
    payload: Buffer.from('22.5'),
  }, '52 45 beef cafe 61 07 60 ff 32322e35')
})

test('an empty payload is sent without a marker, and the Empty message is 4 bytes', () => {
  assert.equal(encode({ type: 'CON', code: Code.GET, messageId: 1, payload: Buffer.alloc(0) }).toString('hex'), '40010001')
  roundTrip({ type: 'CON', code: Code.EMPTY, messageId: 0xabcd }, '4000abcd')
  roundTrip({ type: 'RST', code: Code.EMPTY, messageId: 7 }, '70000007')
  assert.equal(encodeEmpty('ACK', 0x1234).toString('hex'), '60001234')
})

test('extended option deltas: 13 (one byte, delta-13) and 14 (two bytes, delta-269), at their edges', () => {
  // Size1 (60) alone: delta 60 = 13 + 47; value 1024 in two bytes.
  roundTrip({ type: 'CON', code: Code.PUT, messageId: 1, options: [{ number: 60, value: hex('0400') }] }, '40 03 0001 d2 2f 0400')
  roundTrip({ type: 'CON', code: Code.GET, messageId: 1, options: [{ number: 12, value: Buffer.alloc(0) }] }, '40 01 0001 c0')
  roundTrip({ type: 'CON', code: Code.GET, messageId: 1, options: [{ number: 13, value: Buffer.alloc(0) }] }, '40 01 0001 d0 00')
  roundTrip({ type: 'CON', code: Code.GET, messageId: 1, options: [{ number: 268, value: Buffer.alloc(0) }] }, '40 01 0001 d0 ff')
  roundTrip({ type: 'CON', code: Code.GET, messageId: 1, options: [{ number: 269, value: Buffer.alloc(0) }] }, '40 01 0001 e0 0000')
  roundTrip({ type: 'CON', code: Code.GET, messageId: 1, options: [{ number: 65000, value: Buffer.alloc(0) }] }, '40 01 0001 e0 fcdb')
  roundTrip({ type: 'CON', code: Code.GET, messageId: 1, options: [{ number: 65535, value: Buffer.alloc(0) }] }, '40 01 0001 e0 fef2')
  // Deltas are relative: 11 then 60 is 11 + 49.
  roundTrip({ type: 'CON', code: Code.GET, messageId: 1, options: [{ number: 11, value: Buffer.from('a') }, { number: 60, value: hex('01') }] },
    '40 01 0001 b1 61 d1 24 01')
})

test('extended option lengths: 13 (one byte) and 14 (two bytes)', () => {
  const v13 = Buffer.alloc(13, 0x61)
  const v20 = Buffer.alloc(20, 0x62)
  const v268 = Buffer.alloc(268, 0x63)
  const v300 = Buffer.alloc(300, 0x64)
  roundTrip({ type: 'CON', code: Code.GET, messageId: 2, options: [{ number: 11, value: v13 }] }, `40 01 0002 bd 00 ${v13.toString('hex')}`)
  roundTrip({ type: 'CON', code: Code.GET, messageId: 2, options: [{ number: 11, value: v20 }] }, `40 01 0002 bd 07 ${v20.toString('hex')}`)
  roundTrip({ type: 'CON', code: Code.GET, messageId: 2, options: [{ number: 11, value: v268 }] }, `40 01 0002 bd ff ${v268.toString('hex')}`)
  roundTrip({ type: 'CON', code: Code.GET, messageId: 2, options: [{ number: 11, value: v300 }] }, `40 01 0002 be 001f ${v300.toString('hex')}`)
  // Both extended at once: delta 13 form and length 14 form in one option.
  roundTrip({ type: 'CON', code: Code.GET, messageId: 2, options: [{ number: 100, value: v300 }] }, `40 01 0002 de 57 001f ${v300.toString('hex')}`)
})

test('encode sorts options by number and keeps repeated options in order', () => {
  const wire = encode({
    type: 'CON', code: Code.POST, messageId: 9,
    options: [{ number: 15, value: Buffer.from('ep=a') }, { number: 11, value: Buffer.from('rd') }, { number: 15, value: Buffer.from('lt=60') }],
  })
  assert.deepEqual(decode(wire).options.map(o => `${o.number}:${o.value.toString()}`), ['11:rd', '15:ep=a', '15:lt=60'])
})

test('encode refuses what would be a malformed datagram', () => {
  const reasons = (init: CoapMessageInit): string => {
    try { encode(init); return 'encoded' } catch (err) { return err instanceof CoapMalformedError ? err.reason : String(err) }
  }
  assert.equal(reasons({ type: 'CON', code: 1, messageId: 1, token: Buffer.alloc(9) }), 'BAD_TOKEN_LENGTH')
  assert.equal(reasons({ type: 'CON', code: 0x20, messageId: 1 }), 'BAD_CODE')
  assert.equal(reasons({ type: 'CON', code: 0, messageId: 1, token: Buffer.alloc(1) }), 'EMPTY_MESSAGE_NOT_EMPTY')
  assert.equal(reasons({ type: 'CON', code: 1, messageId: 1, options: [{ number: 65536, value: Buffer.alloc(0) }] }), 'BAD_OPTION_DELTA')
  assert.equal(reasons({ type: 'CON', code: 1, messageId: 1, options: [{ number: 11, value: Buffer.alloc(65805) }] }), 'BAD_OPTION_LENGTH')
  assert.throws(() => encode({ type: 'CON', code: 1, messageId: 65536 }), TypeError)
})

test('decode classifies every format error by reason', () => {
  assertMalformed(hex(''), 'TOO_SHORT')
  assertMalformed(hex('400100'), 'TOO_SHORT')
  assertMalformed(hex('80010000'), 'BAD_VERSION')
  assertMalformed(hex('00010000'), 'BAD_VERSION')
  assertMalformed(hex('49010000 000000000000000000'), 'BAD_TOKEN_LENGTH')
  assertMalformed(hex('4f010000'), 'BAD_TOKEN_LENGTH')
  assertMalformed(hex('44010000 0102'), 'TRUNCATED_TOKEN')
  assertMalformed(hex('40010000 f0'), 'BAD_OPTION_DELTA')
  assertMalformed(hex('40010000 e0ffff'), 'BAD_OPTION_DELTA') // 65535 + 269 is past the last option number
  assertMalformed(hex('40010000 e0fef2 10'), 'BAD_OPTION_DELTA') // 65535, then one more
  assertMalformed(hex('40010000 0f'), 'BAD_OPTION_LENGTH')
  assertMalformed(hex('40010000 b2 72'), 'TRUNCATED_OPTION')
  assertMalformed(hex('40010000 d0'), 'TRUNCATED_OPTION')
  assertMalformed(hex('40010000 e0 00'), 'TRUNCATED_OPTION')
  assertMalformed(hex('40010000 bd'), 'TRUNCATED_OPTION')
  assertMalformed(hex('40010000 be 01'), 'TRUNCATED_OPTION')
  assertMalformed(hex('40010000 ff'), 'EMPTY_PAYLOAD_AFTER_MARKER')
  assertMalformed(hex('40010000 b1 61 ff'), 'EMPTY_PAYLOAD_AFTER_MARKER')
  assertMalformed(hex('40200000'), 'BAD_CODE') // 1.00
  assertMalformed(hex('40c00000'), 'BAD_CODE') // 6.00
  assertMalformed(hex('40e10000'), 'BAD_CODE') // 7.01
  assertMalformed(hex('41000000 aa'), 'EMPTY_MESSAGE_NOT_EMPTY')
  assertMalformed(hex('40000000 b1 61'), 'EMPTY_MESSAGE_NOT_EMPTY')
  assertMalformed(hex('60000000 ff 01'), 'EMPTY_MESSAGE_NOT_EMPTY')
})

test('decoded parts are views into the datagram, not copies', () => {
  const wire = encode({ type: 'CON', code: Code.GET, messageId: 3, token, options: uriPathOptions('a'), payload: Buffer.from('xyz') })
  const msg = decode(wire)
  assert.equal(msg.token.buffer, wire.buffer)
  assert.equal(msg.token.byteOffset, wire.byteOffset + 4)
  assert.equal(msg.options[0]?.value.byteOffset, wire.byteOffset + 9)
  assert.equal(msg.payload?.byteOffset, wire.byteOffset + 11)
  wire[11] = 0x41
  assert.equal(msg.payload?.toString(), 'Ayz')
})
