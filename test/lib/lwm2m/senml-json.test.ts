import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeNode, encodeNode } from '../../../lib/lwm2m/content-format.ts'
import { multipleResource, objectInstance, singleResource } from '../../../lib/lwm2m/model.ts'
import { parsePath } from '../../../lib/lwm2m/path.ts'
import { decodeSenmlJson, encodeSenmlJson, formatSenmlJsonRecord } from '../../../lib/lwm2m/senml-json.ts'
import { expectOnlyFormatErrors, fuzzInputs, throwsReason } from './fuzz.ts'

// RFC 8428 §5.1.2, "Multiple Data Points"
const RFC_MULTIPLE = `[
  {"bn":"urn:dev:ow:10e2073a0108006:","bt":1.276020076001e+09,"bu":"A","bver":5,"n":"voltage","u":"V","v":120.1},
  {"n":"current","t":-5,"v":1.2},
  {"n":"current","t":-4,"v":1.3},
  {"n":"current","t":-3,"v":1.4},
  {"n":"current","t":-2,"v":1.5},
  {"n":"current","t":-1,"v":1.6},
  {"n":"current","v":1.7}
]`

test('RFC 8428 §5.1.2 multiple data points decode to records', () => {
  const records = decodeSenmlJson(Buffer.from(RFC_MULTIPLE))
  assert.equal(records.length, 7)
  assert.deepEqual(records[0], { bn: 'urn:dev:ow:10e2073a0108006:', bt: 1276020076.001, bu: 'A', bver: 5, n: 'voltage', u: 'V', v: 120.1 })
  assert.deepEqual(records[1], { n: 'current', t: -5, v: 1.2 })
  assert.deepEqual(decodeSenmlJson(encodeSenmlJson(records)), records)
})

test('the §7.4.3 Device instance in SenML JSON: one base name, relative names, one value field per type', () => {
  const device = objectInstance(0, [
    singleResource(0, 'string', 'Open Mobile Alliance'),
    multipleResource(6, 'integer', [1, 5]),
    singleResource(9, 'integer', 100),
    singleResource(13, 'time', new Date(1367491215000)),
    singleResource(16, 'string', 'U'),
  ])
  const json = '[{"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"},{"n":"6/0","v":1},{"n":"6/1","v":5},{"n":"9","v":100},' +
    '{"n":"13","v":1367491215},{"n":"16","vs":"U"}]'
  assert.equal(encodeNode(110, parsePath('/3/0'), device).toString(), json)
  assert.deepEqual(decodeNode(110, parsePath('/3/0'), Buffer.from(json)), device)
  // whitespace, another order of fields and absolute names decode the same
  const pretty = `[ {"n": "0", "bn": "/3/0/", "vs": "Open Mobile Alliance"}, {"n": "/3/0/6/0", "bn": "", "v": 1}, {"bn": "/3/0/6/", "n": "1", "v": 5},
    {"bn": "/3/0/9", "v": 100}, {"bn": "/3/0/", "n": "13", "v": 1367491215}, {"n": "16", "vs": "U"} ]`
  assert.deepEqual(decodeNode(110, parsePath('/3/0'), Buffer.from(pretty)), device)
})

test('every field is written in a fixed order, strings escaped, opaque as unpadded base64url', () => {
  assert.equal(formatSenmlJsonRecord({ v: 1, n: 'a', bn: 'b', bt: 2, bu: 'u', bv: 3, bs: 4, bver: 10, u: 'Cel', t: 5, ut: 6, s: 7 }),
    '{"bn":"b","bt":2,"bu":"u","bv":3,"bs":4,"bver":10,"n":"a","u":"Cel","t":5,"ut":6,"v":1,"s":7}')
  assert.equal(formatSenmlJsonRecord({ n: 'q"\\\n✓', vs: '"' }), '{"n":"q\\"\\\\\\n✓","vs":"\\""}')
  assert.equal(formatSenmlJsonRecord({ vd: Buffer.from([0xfb, 0xff]) }), '{"vd":"-_8"}')
  assert.equal(formatSenmlJsonRecord({ vb: false }), '{"vb":false}')
  assert.equal(formatSenmlJsonRecord({ v: 2n ** 64n - 1n }), '{"v":18446744073709551615}')
  assert.equal(formatSenmlJsonRecord({}), '{}')
  // integers of 16+ digits stay exact; the same digits inside a string are left alone
  assert.deepEqual(decodeSenmlJson(Buffer.from('[{"n":"1234567890123456789","v":18446744073709551615},{"v":-9223372036854775808,"t":1718000000123456},{"v":12345678901234567.5}]')),
    [{ n: '1234567890123456789', v: 2n ** 64n - 1n }, { v: -(2n ** 63n), t: 1718000000123456 }, { v: 12345678901234568 }])
  assert.deepEqual(decodeSenmlJson(Buffer.from('[{"vd":"-_8"},{"vd":"+/8="},{"vd":""}]')).map(r => r.vd), [Buffer.from([0xfb, 0xff]), Buffer.from([0xfb, 0xff]), Buffer.alloc(0)])
  throwsReason(() => encodeSenmlJson([{ v: Number.NaN }]), 'VALUE_TYPE')
  throwsReason(() => encodeSenmlJson([{ v: 1, vs: 'x' }]), 'SENML_MULTIPLE_VALUES')
})

test('unknown fields are ignored; must-understand fields and newer versions are rejected', () => {
  assert.deepEqual(decodeSenmlJson(Buffer.from('[{"n":"/3/0/9","v":1,"x":{"deep":[1]},"constructor":{"prototype":1}}]')), [{ n: '/3/0/9', v: 1 }])
  throwsReason(() => decodeSenmlJson(Buffer.from('[{"n":"/3/0/9","v":1,"__proto__":{"polluted":1}}]')), 'SENML_MUST_UNDERSTAND') // ends in "_"
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
  throwsReason(() => decodeSenmlJson(Buffer.from('[{"n":"a","v":1,"rt_":"x"}]')), 'SENML_MUST_UNDERSTAND')
  throwsReason(() => decodeSenmlJson(Buffer.from('[{"bver":11,"n":"a","v":1}]')), 'SENML_MUST_UNDERSTAND', /version 11/)
})

test('malformed SenML JSON is rejected with a reason code', () => {
  const bad: Array<[string | Buffer, string]> = [
    ['', 'EMPTY_PAYLOAD'],
    ['[{"n":"a","v":1}', 'SENML_SYNTAX'],
    ['[{"n":"a","v":1}]x', 'SENML_SYNTAX'],
    ['{"n":"a","v":1}', 'SENML_NOT_ARRAY'],
    ['"x"', 'SENML_NOT_ARRAY'],
    ['[1]', 'SENML_BAD_RECORD'],
    ['[null]', 'SENML_BAD_RECORD'],
    ['[[]]', 'SENML_BAD_RECORD'],
    ['[{"n":1,"v":1}]', 'SENML_BAD_FIELD'],
    ['[{"n":"a","v":"1"}]', 'SENML_BAD_FIELD'],
    ['[{"n":"a","v":1e999}]', 'SENML_BAD_FIELD'],
    ['[{"n":"a","vb":1}]', 'SENML_BAD_FIELD'],
    ['[{"n":"a","vd":"a"}]', 'SENML_BAD_FIELD'],
    ['[{"n":"a","vd":"ab$"}]', 'SENML_BAD_FIELD'],
    ['[{"n":"a","bt":null}]', 'SENML_BAD_FIELD'],
    ['[{"bver":1.5,"n":"a","v":1}]', 'SENML_BAD_FIELD'],
    ['[{"n":"a","v":1,"vs":"b"}]', 'SENML_MULTIPLE_VALUES'],
    [Buffer.from([0x5b, 0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d, 0x5d]), 'BAD_UTF8'],
  ]
  bad.push(['[{"n":"a","v":"\\u0000long:12x"}]', 'SENML_BAD_FIELD'], ['[{"n":"a","t":"\\u0000long:"}]', 'SENML_BAD_FIELD'])
  for (const [payload, reason] of bad) throwsReason(() => decodeSenmlJson(typeof payload === 'string' ? Buffer.from(payload) : payload), reason)
  throwsReason(() => decodeNode(110, parsePath('/3303/0/5700'), Buffer.from('[{"n":"/3303/0/5700","vs":"hot"}]')), 'VALUE_TYPE')
  throwsReason(() => decodeNode(110, parsePath('/3303/0/5700'), Buffer.from('[{"n":"3303/0/5700","v":1}]')), 'SENML_BAD_NAME')
})

test('10,000 random and mutated SenML JSON payloads only ever throw Lwm2mFormatError', () => {
  const seeds = [
    Buffer.from(RFC_MULTIPLE),
    Buffer.from('[{"bn":"/3303/0/","bt":1718000000.123,"n":"5700","v":21.5},{"bn":"/33000/0/","n":"0","v":42},{"n":"1","v":1718000000123},{"n":"2","vs":"dev-000001"}]'),
    Buffer.from('[{"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"},{"n":"6/0","v":1},{"n":"13","v":1367491215},{"n":"1/0/10","vlo":"1:0"},{"n":"x","vd":"AAE"},{"n":"y","vb":true}]'),
  ]
  const paths = ['/3303/0/5700', '/3303/0', '/3/0', '/3303', '/3/0/6/0'].map(parsePath)
  let i = 0
  expectOnlyFormatErrors(fuzzInputs(0x150, seeds, 10_000), input => {
    decodeSenmlJson(input)
    return decodeNode(110, paths[i++ % paths.length]!, input, { strict: i % 2 === 0 })
  })
})
