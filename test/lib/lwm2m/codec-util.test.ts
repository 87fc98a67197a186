import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkNodeMatchesPath, decodeBase64, decodeUtf8 } from '../../../lib/lwm2m/codec-util.ts'
import { singleResource } from '../../../lib/lwm2m/model.ts'
import { parsePath } from '../../../lib/lwm2m/path.ts'
import { throwsReason } from './fuzz.ts'

test('strict UTF-8: ASCII, multi-byte, and invalid sequences', () => {
  assert.equal(decodeUtf8(Buffer.from('xabcx'), 1, 4), 'abc')
  assert.equal(decodeUtf8(Buffer.from('héllo ✓ 𝄞'), 0, Buffer.byteLength('héllo ✓ 𝄞')), 'héllo ✓ 𝄞')
  for (const bad of [[0xff], [0xc3], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80]]) {
    throwsReason(() => decodeUtf8(Buffer.from(bad), 0, bad.length), 'BAD_UTF8')
  }
})

test('strict base64: both alphabets, optional padding, nothing else', () => {
  assert.deepEqual(decodeBase64('aGk', 'TEXT_SYNTAX'), Buffer.from('hi'))
  assert.deepEqual(decodeBase64('aGk=', 'TEXT_SYNTAX'), Buffer.from('hi'))
  assert.deepEqual(decodeBase64('-_8', 'TEXT_SYNTAX'), Buffer.from([0xfb, 0xff]))
  assert.deepEqual(decodeBase64('+/8=', 'TEXT_SYNTAX'), Buffer.from([0xfb, 0xff]))
  assert.deepEqual(decodeBase64('', 'TEXT_SYNTAX'), Buffer.alloc(0))
  for (const bad of ['a', 'aGk==', 'a=Gk', 'aG k', 'aGk!', 'aGk=x', '====']) throwsReason(() => decodeBase64(bad, 'SENML_BAD_FIELD'), 'SENML_BAD_FIELD')
})

test('a node must be what its path names', () => {
  checkNodeMatchesPath(parsePath('/3303/0/5700'), singleResource(5700, 'float', 1))
  throwsReason(() => checkNodeMatchesPath(parsePath('/3303/0/5701'), singleResource(5700, 'float', 1)), 'NODE_MISMATCH')
  throwsReason(() => checkNodeMatchesPath(parsePath('/3303/0'), singleResource(0, 'float', 1)), 'NODE_MISMATCH')
  throwsReason(() => checkNodeMatchesPath(parsePath('/'), singleResource(0, 'float', 1)), 'NODE_MISMATCH')
})
