import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatDiscover, formatLinkFormat, parseDiscover, parseLinkFormat, parseLwm2mAttributes } from '../../../lib/lwm2m/link-format.ts'
import { parsePath } from '../../../lib/lwm2m/path.ts'
import { parseRegistrationLinks } from '../../../lib/lwm2m/registration-links.ts'
import { expectOnlyFormatErrors, fuzzInputs, throwsReason } from './fuzz.ts'

const links = (text: string): Array<[string, Array<[string, string | true]>]> => parseLinkFormat(text).map(l => [l.uri, [...l.params]])

test('RFC 6690 §2: link values with token, quoted and flag parameters', () => {
  assert.deepEqual(links('</>;rt="oma.lwm2m";ct=110, </1/0>, </3/0>, </3303/0>;ver=1.1'), [
    ['/', [['rt', 'oma.lwm2m'], ['ct', '110']]], ['/1/0', []], ['/3/0', []], ['/3303/0', [['ver', '1.1']]],
  ])
  assert.deepEqual(links('</sensors/temp>;rt="temperature-c";if="sensor";obs,</sensors/light>;ct=41;title="Light, \\"lux\\"; bright"'), [
    ['/sensors/temp', [['rt', 'temperature-c'], ['if', 'sensor'], ['obs', true]]],
    ['/sensors/light', [['ct', '41'], ['title', 'Light, "lux"; bright']]],
  ])
  assert.deepEqual(links(''), [])
  assert.deepEqual(links(' \r\n'), [])
  assert.deepEqual(links('</a> ; x=1 ;y ,\n</b>'), [['/a', [['x', '1'], ['y', true]]], ['/b', []]])
  assert.deepEqual(links('</a>;x=1;x=2'), [['/a', [['x', '1']]]], 'RFC 8288 §3: the first occurrence wins')
  assert.deepEqual(links('<coap://h:5683/a?b=c>;anchor="/x";ct="0 40"'), [['coap://h:5683/a?b=c', [['anchor', '/x'], ['ct', '0 40']]]])
  assert.deepEqual(parseLinkFormat(Buffer.from('</3/0>;title="ünï"')).map(l => l.params.get('title')), ['ünï'])
})

test('serializes with rt, if, title quoted, tokens bare, and escapes inside quotes', () => {
  const text = '</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>,</3303/0>;ver=1.1'
  assert.equal(formatLinkFormat(parseLinkFormat('</>;rt="oma.lwm2m";ct=110, </1/0>, </3/0>, </3303/0>;ver=1.1')), text)
  assert.equal(formatLinkFormat([{ uri: '/a', params: new Map<string, string | true>([['title', 'say "hi", \\ok'], ['ct', '0 40'], ['obs', true], ['sz', '']]) }]),
    '</a>;title="say \\"hi\\", \\\\ok";ct="0 40";obs;sz=""')
  const tricky = '</a>;title="a,b;c=\\"d\\"";rt="x y"'
  assert.equal(formatLinkFormat(parseLinkFormat(tricky)), tricky)
  throwsReason(() => formatLinkFormat([{ uri: 'a b', params: new Map() }]), 'LINK_SYNTAX')
  throwsReason(() => formatLinkFormat([{ uri: '/a', params: new Map([['bad name', '1']]) }]), 'LINK_BAD_ATTRIBUTE')
})

test('malformed link format is rejected with a reason code', () => {
  const bad: Array<[string, string]> = [
    ['x', 'LINK_SYNTAX'], ['/3/0', 'LINK_SYNTAX'], ['</3/0', 'LINK_SYNTAX'], ['</3/0>;', 'LINK_SYNTAX'], ['</3/0>;=1', 'LINK_SYNTAX'],
    ['</3/0>;a=', 'LINK_SYNTAX'], ['</3/0>;a=,</1>', 'LINK_SYNTAX'], ['</3/0>,', 'LINK_SYNTAX'], ['</3/0> </1/0>', 'LINK_SYNTAX'],
    ['<a b>', 'LINK_SYNTAX'], ['<a"b>', 'LINK_SYNTAX'], ['</3/0>;a=b"c"', 'LINK_SYNTAX'], ['</a>;a=x y', 'LINK_SYNTAX'],
    ['</3/0>;a="x', 'LINK_BAD_QUOTE'], ['</3/0>;a="x\\', 'LINK_BAD_QUOTE'], ['</3/0>;a="x\u0001"', 'LINK_BAD_QUOTE'],
  ]
  for (const [text, reason] of bad) throwsReason(() => parseLinkFormat(text), reason)
  throwsReason(() => parseLinkFormat(Buffer.from([0x3c, 0x2f, 0xff, 0x3e])), 'BAD_UTF8')
})

test('§6.3.3 Discover: paths with their §5.1.2 attributes', () => {
  const text = '</3/0>;pmin=10;pmax=60,</3/0/1>,</3/0/7>;dim=2;gt=50.5;lt=-3;st=0.5,</3/0/11>;dim=1,</3303>;ver=1.1;epmin=1;epmax=5;ssid=1'
  const found = parseDiscover(text)
  assert.deepEqual(found.map(l => l.path), ['/3/0', '/3/0/1', '/3/0/7', '/3/0/11', '/3303'].map(parsePath))
  assert.deepEqual(found[0]!.attributes, { pmin: 10, pmax: 60 })
  assert.deepEqual(found[2]!.attributes, { dim: 2, gt: 50.5, lt: -3, st: 0.5 })
  assert.deepEqual(found[4]!.attributes, { ver: '1.1', epmin: 1, epmax: 5, other: new Map([['ssid', '1']]) })
  assert.equal(formatDiscover(found), '</3/0>;pmin=10;pmax=60,</3/0/1>,</3/0/7>;gt=50.5;lt=-3;st=0.5;dim=2,</3/0/11>;dim=1,</3303>;epmin=1;epmax=5;ver=1.1;ssid=1')
  assert.deepEqual(parseDiscover(formatDiscover(found)), found)
})

test('bad LWM2M attributes and paths are rejected', () => {
  for (const text of ['</3/0>;pmin=abc', '</3/0>;pmin=-1', '</3/0>;pmin=1.5', '</3/0>;pmax', '</3/0>;gt=1e', '</3/0>;st=-1', '</3/0>;dim=x', '</3>;ver=1', '</3>;ver']) {
    throwsReason(() => parseDiscover(text), 'LINK_BAD_ATTRIBUTE')
  }
  throwsReason(() => parseDiscover('</rd/3/0>'), 'LINK_BAD_PATH')
  throwsReason(() => parseDiscover('</3/0/70000>'), 'LINK_BAD_PATH')
  assert.deepEqual(parseLwm2mAttributes(new Map([['pmin', '0'], ['gt', '-1.5e2']])), { pmin: 0, gt: -150 })
})

test('10,000 random and mutated link-format payloads only ever throw Lwm2mFormatError', () => {
  const seeds = [
    '</>;rt="oma.lwm2m";ct="60 110 112 11542",</1>;ver=1.1,</1/0>,</3/0>,</3303>;ver=1.1,</3303/0>',
    '</3/0>;pmin=10;pmax=60,</3/0/1>,</3/0/7>;dim=2;gt=50.5;lt=-3;st=0.5',
    '</a>;title="a,b;c=\\"d\\"";rt="x y";obs',
  ].map(s => Buffer.from(s))
  expectOnlyFormatErrors(fuzzInputs(0x1111, seeds, 10_000), input => {
    try { parseLinkFormat(input) } finally {
      try { parseDiscover(input) } finally { parseRegistrationLinks(input) }
    }
  })
})
