import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decode as cborgDecode, encode as cborgEncode } from 'cborg'
import { decodeNode, encodeNode } from '../../../lib/lwm2m/content-format.ts'
import { multipleResource, objectInstance, singleResource } from '../../../lib/lwm2m/model.ts'
import { parsePath } from '../../../lib/lwm2m/path.ts'
import { decodeSenmlCbor, encodeSenmlCbor } from '../../../lib/lwm2m/senml-cbor.ts'
import type { SenmlRecord } from '../../../lib/lwm2m/senml.ts'
import { decodeSenmlJson } from '../../../lib/lwm2m/senml-json.ts'
import { expectOnlyFormatErrors, fuzzInputs, hex, throwsReason } from './fuzz.ts'

// RFC 8428 §6: the CBOR representation of the §5.1.2 "multiple data points" pack (the last record carries t=0).
const RFC_CBOR = hex(`87 a7 21 78 1b 75726e3a6465763a6f773a3130653230373361303130383030363a 22 fb 41d303a15b001062 23 61 41 20 05
  00 67 766f6c74616765 01 61 56 02 fb 405e066666666666
  a3 00 67 63757272656e74 06 24 02 fb 3ff3333333333333
  a3 00 67 63757272656e74 06 23 02 fb 3ff4cccccccccccd
  a3 00 67 63757272656e74 06 22 02 fb 3ff6666666666666
  a3 00 67 63757272656e74 06 21 02 f9 3e00
  a3 00 67 63757272656e74 06 20 02 fb 3ff999999999999a
  a3 00 67 63757272656e74 06 00 02 fb 3ffb333333333333`)

test('RFC 8428 §6 example: decodes to the §5.1.2 records and encodes back byte for byte', () => {
  const records = decodeSenmlCbor(RFC_CBOR)
  const json = decodeSenmlJson(Buffer.from(`[{"bn":"urn:dev:ow:10e2073a0108006:","bt":1.276020076001e+09,"bu":"A","bver":5,"n":"voltage","u":"V","v":120.1},
    {"n":"current","t":-5,"v":1.2},{"n":"current","t":-4,"v":1.3},{"n":"current","t":-3,"v":1.4},{"n":"current","t":-2,"v":1.5},
    {"n":"current","t":-1,"v":1.6},{"n":"current","t":0,"v":1.7}]`))
  assert.deepEqual(records, json)
  assert.deepEqual(encodeSenmlCbor(records), RFC_CBOR) // preferred serialization: integers, half float for 1.5
})

test('a notification of /3303/0/5700, byte by byte', () => {
  // 81 array(1), a3 map(3), 21 bn(-2) 68 "/3303/0/", 00 n(0) 64 "5700", 02 v(2) f9 4d60 half-float 21.5
  const bytes = hex('81 a3 21 68 2f333330332f302f 00 64 35373030 02 f9 4d60')
  assert.deepEqual(encodeNode(112, parsePath('/3303/0/5700'), singleResource(5700, 'float', 21.5)), bytes)
  assert.deepEqual(decodeNode(112, parsePath('/3303/0/5700'), bytes), singleResource(5700, 'float', 21.5))
  // single precision, double precision, a 64-bit integer, a negative integer, boolean, bytes, vlo
  assert.deepEqual(encodeSenmlCbor([{ v: 100000.5 }]), hex('81 a1 02 fa 47c35040'))
  assert.deepEqual(encodeSenmlCbor([{ v: 0.1 }]), hex('81 a1 02 fb 3fb999999999999a'))
  assert.deepEqual(encodeSenmlCbor([{ v: 1718000000123 }]), hex('81 a1 02 1b 0000019000c79c7b'))
  assert.deepEqual(encodeSenmlCbor([{ v: -500 }]), hex('81 a1 02 39 01f3'))
  assert.deepEqual(encodeSenmlCbor([{ v: -(2n ** 64n) }]), hex('81 a1 02 3b ffffffffffffffff'))
  assert.deepEqual(encodeSenmlCbor([{ vb: true }, { vd: Buffer.from([1, 2]) }, { vlo: '3:0' }]), hex('83 a1 04 f5 a1 08 42 0102 a1 63 766c6f 63 333a30'))
})

test('every field and type round-trips; nodes of every kind round-trip through content format 112', () => {
  const records: SenmlRecord[] = [
    { bn: '/3/0/', bt: 1718000000.5, bu: 'A', bv: 1.5, bs: 2, bver: 10, n: '0', u: 'V', t: -1, ut: 60, vs: 'héllo ✓', s: 3 },
    { n: '9', v: 2n ** 64n - 1n }, { n: '10', v: -(2n ** 63n) }, { n: 'x', vd: Buffer.from('opaque') }, { n: 'y', vb: false },
    { n: 'z', v: 2 ** 53 + 2 }, { n: 'w', v: -1e-300 }, { n: 'long', vs: 'x'.repeat(70_000) },
  ]
  assert.deepEqual(decodeSenmlCbor(encodeSenmlCbor(records)), records.map(r => r.v === 2 ** 53 + 2 ? { ...r, v: 2 ** 53 + 2 } : r))
  const instance = objectInstance(0, [
    singleResource(0, 'string', 'Open Mobile Alliance'), multipleResource(7, 'integer', [3800, -5000]), singleResource(13, 'time', new Date(1367491215000)),
  ])
  assert.deepEqual(decodeNode(112, parsePath('/3/0'), encodeNode(112, parsePath('/3/0'), instance)), instance)
})

test('interoperates with cborg (an independent CBOR library) in both directions, including indefinite lengths', () => {
  const ours = encodeSenmlCbor([{ bn: '/3303/0/', bt: 1718000000.123, n: '5700', v: 21.5 }, { n: '5701', vs: 'Cel' }])
  const theirs = cborgDecode(ours, { useMaps: true }) as Array<Map<number, unknown>>
  assert.deepEqual(theirs.map(m => [...m].sort((a, b) => a[0] - b[0])), [[[-3, 1718000000.123], [-2, '/3303/0/'], [0, '5700'], [2, 21.5]], [[0, '5701'], [3, 'Cel']]])
  const encoded = cborgEncode([
    new Map<number | string, unknown>([[-2, '/3/0/'], [0, '9'], [2, 100]]),
    new Map<number | string, unknown>([[0, '13'], [2, 1367491215]]),
    new Map<number | string, unknown>([['n', '1/0/10'], ['vlo', '11:0']]),
  ])
  assert.deepEqual(decodeSenmlCbor(Buffer.from(encoded)), [{ bn: '/3/0/', n: '9', v: 100 }, { n: '13', v: 1367491215 }, { n: '1/0/10', vlo: '11:0' }])
  // 9f [_ bf {_ 00: (_ "57", "00"), 02: 21.5 } ff ]: indefinite array, map and text string
  assert.deepEqual(decodeSenmlCbor(hex('9f bf 21 68 2f333330332f302f 00 7f 62 3537 62 3030 ff 02 f9 4d60 ff ff')), [{ bn: '/3303/0/', n: '5700', v: 21.5 }])
  assert.deepEqual(decodeSenmlCbor(hex('81 a2 00 61 78 08 5f 41 01 41 02 ff')), [{ n: 'x', vd: Buffer.from([1, 2]) }])
})

test('unknown labels are skipped, must-understand text labels rejected', () => {
  assert.deepEqual(decodeSenmlCbor(hex('81 a3 00 61 61 09 a1 01 82 01 02 02 01')), [{ n: 'a', v: 1 }]) // label 9: {1: [1, 2]}
  assert.deepEqual(decodeSenmlCbor(hex('81 a3 00 61 61 62 7878 f6 02 01')), [{ n: 'a', v: 1 }]) // "xx": null
  throwsReason(() => decodeSenmlCbor(hex('81 a2 00 61 61 62 785f 01')), 'SENML_MUST_UNDERSTAND')
})

test('malformed SenML CBOR is rejected with a reason code', () => {
  for (let n = 1; n < RFC_CBOR.length; n++) throwsReason(() => decodeSenmlCbor(RFC_CBOR.subarray(0, n)), 'CBOR_TRUNCATED')
  const bad: Array<[string, string]> = [
    ['', 'EMPTY_PAYLOAD'],
    ['81 a1 02 01 00', 'CBOR_TRAILING'],
    ['a1 02 01', 'SENML_NOT_ARRAY'],
    ['81 01', 'SENML_BAD_RECORD'],
    ['81 a1 f9 3c00 01', 'CBOR_BAD_KEY'],
    ['81 a2 02 01 02 02', 'SENML_BAD_RECORD'], // v twice
    ['81 a2 02 01 03 61 78', 'SENML_MULTIPLE_VALUES'],
    ['81 a1 02 c1 01', 'SENML_BAD_FIELD'], // a tag where a number belongs
    ['81 a1 09 c1 01', 'CBOR_UNSUPPORTED'], // a tag in a skipped value
    ['81 a1 02 f9 7e00', 'SENML_BAD_FIELD'], // NaN
    ['81 a1 02 fb 7ff0000000000000', 'SENML_BAD_FIELD'], // Infinity
    ['81 a1 02 61 31', 'SENML_BAD_FIELD'], // v as text
    ['81 a1 00 01', 'SENML_BAD_FIELD'], // n as a number
    ['81 a1 04 01', 'SENML_BAD_FIELD'], // vb as a number
    ['81 a1 04 f8 14', 'SENML_BAD_FIELD'], // vb as a two-byte simple value
    ['81 a1 00 62 c328', 'BAD_UTF8'],
    ['81 a1 1c 00', 'CBOR_UNSUPPORTED'], // reserved additional information 28
    ['81 a1 00 7f 01 ff', 'CBOR_UNSUPPORTED'], // indefinite text with a non-text chunk
    ['81 a1 09 ff', 'CBOR_UNSUPPORTED'], // a stray "break"
    ['81 a1 20 0b', 'SENML_MUST_UNDERSTAND'], // bver 11
    ['81 a1 09 81 81 81 81 81 81 81 81 81 81 00', 'CBOR_UNSUPPORTED'], // nested too deeply
    ['9b 0000000100000000', 'CBOR_TRUNCATED'], // an array claiming 2^32 items
  ]
  for (const [bytes, reason] of bad) throwsReason(() => decodeSenmlCbor(hex(bytes)), reason)
})

test('10,000 random and mutated SenML CBOR payloads only ever throw Lwm2mFormatError', () => {
  const seeds = [
    RFC_CBOR,
    hex('84a421682f333330332f302f22fb41d999a66007df3b00643537303002f94d60a321692f33333030302f302f00613002182aa2006131021b0000019000c79c7ba2006132036a6465762d303030303031'),
    encodeSenmlCbor([{ bn: '/3/0/', n: '0', vs: 'Open Mobile Alliance' }, { n: '6/0', v: 1 }, { n: '13', v: 1367491215 }, { n: 'x', vd: Buffer.from([0, 1]) }, { n: 'y', vb: true }, { n: 'z', vlo: '1:0' }]),
    hex('9f bf 21 68 2f333330332f302f 00 7f 62 3537 62 3030 ff 02 f9 4d60 ff ff'),
  ]
  const paths = ['/3303/0/5700', '/3303/0', '/3/0', '/3303', '/33000/0'].map(parsePath)
  let i = 0
  expectOnlyFormatErrors(fuzzInputs(0xcb0, seeds, 10_000), input => {
    decodeSenmlCbor(input)
    return decodeNode(112, paths[i++ % paths.length]!, input, { strict: i % 2 === 0 })
  })
})

test('a whole-number Float resource is written as a CBOR float, an Integer one as a CBOR integer', () => {
  // Leshan's decoder rejects a CBOR integer for a Float resource ("Floating-point number expected")
  const float = encodeNode(112, parsePath('/3303/0/5700'), singleResource(5700, 'float', 20))
  assert.deepEqual(cborgDecode(float, { useMaps: true }), [new Map<number, unknown>([[-2, '/3303/0/'], [0, '5700'], [2, 20]])])
  assert.ok(float.includes(Buffer.from([0x02, 0xf9])), 'v is a half-precision float')
  const integer = encodeNode(112, parsePath('/3/0/9'), singleResource(9, 'integer', 20))
  assert.ok(integer.includes(Buffer.from([0x02, 0x14])), 'v is the integer 20')
  assert.deepEqual(decodeNode(112, parsePath('/3303/0/5700'), float), singleResource(5700, 'float', 20))
})
