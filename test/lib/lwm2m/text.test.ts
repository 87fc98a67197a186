import { test } from 'node:test'
import assert from 'node:assert/strict'
import { multipleResource, resourceInstance, singleResource } from '../../../lib/lwm2m/model.ts'
import type { ResourceType, ResourceValue } from '../../../lib/lwm2m/model.ts'
import { parsePath } from '../../../lib/lwm2m/path.ts'
import { decodeText, decodeTextValue, encodeText, encodeTextValue, formatTextValue, parseTextValue } from '../../../lib/lwm2m/text.ts'
import { expectOnlyFormatErrors, fuzzInputs, throwsReason } from './fuzz.ts'

test('§7.4.1 plain text of each type', () => {
  const cases: Array<[ResourceType, ResourceValue, string]> = [
    ['string', 'Open Mobile Alliance', 'Open Mobile Alliance'],
    ['string', 'héllo', 'héllo'],
    ['integer', 3800, '3800'],
    ['integer', -42, '-42'],
    ['integer', 2n ** 63n - 1n, '9223372036854775807'],
    ['integer', 2 ** 60, '1152921504606846976'],
    ['unsigned', 2n ** 64n - 1n, '18446744073709551615'],
    ['float', 21.5, '21.5'],
    ['float', -0.001, '-0.001'],
    ['float', 1e21, '1e+21'],
    ['boolean', true, '1'],
    ['boolean', false, '0'],
    ['time', new Date(1367491215000), '1367491215'],
    ['objlnk', { objectId: 66, instanceId: 0 }, '66:0'],
    ['opaque', Buffer.from('hi there'), 'aGkgdGhlcmU='],
    ['corelnk', '</3/0>', '</3/0>'],
  ]
  for (const [type, value, text] of cases) {
    assert.equal(formatTextValue(type, value), text, `${type} ${String(value)}`)
    assert.deepEqual(encodeTextValue(type, value), Buffer.from(text))
    const back = decodeTextValue(type, Buffer.from(text))
    assert.deepEqual(back, type === 'integer' && value === 2 ** 60 ? 2n ** 60n : value, `${type} ${text}`)
  }
  assert.equal(parseTextValue('integer', '9007199254740991'), 9007199254740991)
  assert.equal(parseTextValue('integer', '9007199254740993'), 9007199254740993n)
  assert.equal(parseTextValue('float', '2.5E-3'), 0.0025)
  assert.equal(parseTextValue('float', '7'), 7)
  assert.deepEqual(parseTextValue('opaque', 'aGk'), Buffer.from('hi'))
})

test('malformed text values are rejected with TEXT_SYNTAX, TEXT_RANGE or BAD_UTF8', () => {
  const syntax: Array<[ResourceType, string]> = [
    ['integer', ''], ['integer', ' 1'], ['integer', '1.0'], ['integer', '+1'], ['integer', '0x10'], ['integer', '1e3'],
    ['unsigned', '-1'], ['float', ''], ['float', 'NaN'], ['float', 'Infinity'], ['float', '.5'], ['float', '1.'], ['float', '1,5'],
    ['boolean', 'true'], ['boolean', ''], ['boolean', '01'], ['time', '2024-01-01'], ['objlnk', '66'], ['objlnk', '66:'], ['objlnk', 'a:b'],
    ['opaque', 'not base64!'], ['opaque', 'a'],
  ]
  for (const [type, text] of syntax) throwsReason(() => parseTextValue(type, text), 'TEXT_SYNTAX')
  throwsReason(() => parseTextValue('integer', '9223372036854775808'), 'TEXT_RANGE')
  throwsReason(() => parseTextValue('unsigned', '18446744073709551616'), 'TEXT_RANGE')
  throwsReason(() => parseTextValue('float', '1e999'), 'TEXT_RANGE')
  throwsReason(() => parseTextValue('objlnk', '65536:0'), 'TEXT_RANGE')
  throwsReason(() => parseTextValue('time', '99999999999999'), 'TEXT_RANGE')
  throwsReason(() => decodeTextValue('string', Buffer.from([0x61, 0xc3, 0x28])), 'BAD_UTF8')
  throwsReason(() => decodeTextValue('string', Buffer.from([0xed, 0xa0, 0x80])), 'BAD_UTF8') // an encoded surrogate
})

test('text/plain nodes: a single resource or a resource instance, typed from the object model', () => {
  const p = parsePath('/3303/0/5700')
  assert.deepEqual(encodeText(p, singleResource(5700, 'float', 21.5)), Buffer.from('21.5'))
  assert.deepEqual(decodeText(p, Buffer.from('21.5')), singleResource(5700, 'float', 21.5))
  assert.deepEqual(decodeText(parsePath('/3/0/7/1'), Buffer.from('5000')), resourceInstance(1, 'integer', 5000))
  assert.deepEqual(encodeText(parsePath('/3/0/7/1'), resourceInstance(1, 'integer', 5000)), Buffer.from('5000'))
  assert.deepEqual(decodeText(parsePath('/6/0/0'), Buffer.from('45.5'), { strict: false }), singleResource(0, 'string', '45.5'))
  throwsReason(() => decodeText(parsePath('/6/0/0'), Buffer.from('45.5')), 'UNKNOWN_OBJECT')
  throwsReason(() => decodeText(parsePath('/3/0'), Buffer.from('x')), 'PATH_LEVEL')
  throwsReason(() => decodeText(parsePath('/3/0/7'), Buffer.from('1')), 'PATH_LEVEL', /multiple/)
  throwsReason(() => decodeText(parsePath('/3/0/9/0'), Buffer.from('1')), 'PATH_LEVEL', /single/)
  throwsReason(() => encodeText(parsePath('/3/0/7'), multipleResource(7, 'integer', [1])), 'PATH_LEVEL')
  throwsReason(() => encodeText(parsePath('/3/0/9'), singleResource(8, 'integer', 1)), 'NODE_MISMATCH')
  throwsReason(() => decodeText(p, Buffer.from('hot')), 'TEXT_SYNTAX')
})

test('10,000 random and mutated text payloads only ever throw Lwm2mFormatError', () => {
  const types: ResourceType[] = ['string', 'integer', 'unsigned', 'float', 'boolean', 'opaque', 'time', 'objlnk', 'corelnk']
  const seeds = ['21.5', '-42', '1367491215', '66:0', '1', 'aGkgdGhlcmU=', '18446744073709551615', 'héllo'].map(s => Buffer.from(s))
  let i = 0
  expectOnlyFormatErrors(fuzzInputs(0x7e47, seeds, 10_000), input => decodeTextValue(types[i++ % types.length]!, input))
})
