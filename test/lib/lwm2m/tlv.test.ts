import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ObjectRegistry, multipleResource, objectInstance, objectNode, resourceInstance, singleResource, standardObjects } from '../../../lib/lwm2m/model.ts'
import type { ObjectDefinition, ResourceDefinition, ResourceType, ResourceValue } from '../../../lib/lwm2m/model.ts'
import { parsePath } from '../../../lib/lwm2m/path.ts'
import { TlvKind, decodeTlv, decodeTlvEntries, encodeTlv, encodeTlvEntries } from '../../../lib/lwm2m/tlv.ts'
import { expectOnlyFormatErrors, fuzzInputs, hex, throwsReason } from './fuzz.ts'

// LWM2M 1.1 §7.4.3, "Single Object Instance Request Example": Read /3/0, the Device object instance (121 bytes).
const DEVICE = hex(`
  C8 00 14 4F 70 65 6E 20 4D 6F 62 69 6C 65 20 41 6C 6C 69 61 6E 63 65
  C8 01 16 4C 69 67 68 74 77 65 69 67 68 74 20 4D 32 4D 20 43 6C 69 65 6E 74
  C8 02 09 33 34 35 30 30 30 31 32 33
  C3 03 31 2E 30
  86 06 41 00 01 41 01 05
  88 07 08 42 00 0E D8 42 01 13 88
  87 08 41 00 7D 42 01 03 84
  C1 09 64
  C1 0A 0F
  83 0B 41 00 00
  C4 0D 51 82 42 8F
  C6 0E 2B 30 32 3A 30 30
  C1 10 55`)
// §7.4.3 "Multiple Object Instance Request Examples": Read /3, the same instance inside an object-instance TLV.
const DEVICE_OBJECT = Buffer.concat([hex('08 00 79'), DEVICE])
// Same section, Read /1 on the Server object. (Some editions print length 0x0D; the content is 15 = 0x0F bytes.)
const SERVER = hex('08 00 0F C1 00 01 C4 01 00 01 51 80 C1 06 01 C1 07 55')
// Same section, Read /2 on Access Control: two instances, one ACL instance with a 16-bit id (310 = 0x0136).
const ACCESS_CONTROL = hex(`08 00 0E C1 00 01 C1 01 00 83 02 41 7F 07 C1 03 7F
  08 02 12 C1 00 03 C1 01 00 87 02 41 7F 07 61 01 36 01 C1 03 7F`)
// §7.4.3 "Example of Request on an Object Instance containing an Object Link Resource": Read /65/0 and Read /66
// (some editions print 0x23 as the instance lengths of /66; the content is 38 = 0x26 bytes).
const OBJLNK_65 = hex('88 00 0C 44 00 00 42 00 00 44 01 00 42 00 01 C8 01 0D 38 36 31 33 38 30 30 37 35 35 35 30 30 C4 02 12 34 56 78')
const OBJLNK_66 = hex(`08 00 26 C8 00 0B 6D 79 53 65 72 76 69 63 65 20 31 C8 01 0F 49 6E 74 65 72 6E 65 74 2E 31 35 2E 32 33 34 C4 02 00 43 00 00
  08 01 26 C8 00 0B 6D 79 53 65 72 76 69 63 65 20 32 C8 01 0F 49 6E 74 65 72 6E 65 74 2E 31 35 2E 32 33 35 C4 02 FF FF FF FF`)

function def (id: number, name: string, rows: Array<[number, ResourceType, boolean]>): ObjectDefinition {
  const resources = new Map<number, ResourceDefinition>(rows.map(([rid, type, multiple]) =>
    [rid, { id: rid, name: `r${rid}`, type, operations: 'RW', multiple, mandatory: false }]))
  return { id, name, version: '1.0', urn: `urn:oma:lwm2m:x:${id}`, multiple: true, mandatory: false, resources }
}
const ALL_TYPES = 42769 // OMNA's test range
const TYPES: ResourceType[] = ['string', 'integer', 'unsigned', 'float', 'boolean', 'opaque', 'time', 'objlnk', 'corelnk']
const registry = new ObjectRegistry([
  ...standardObjects,
  def(2, 'Access Control', [[0, 'integer', false], [1, 'integer', false], [2, 'integer', true], [3, 'integer', false]]),
  def(65, 'Object 65', [[0, 'objlnk', true], [1, 'string', false], [2, 'integer', false]]),
  def(66, 'Object 66', [[0, 'string', false], [1, 'string', false], [2, 'objlnk', false]]),
  def(ALL_TYPES, 'all types', TYPES.flatMap((t, i) => [[i, t, false], [100 + i, t, true]] as Array<[number, ResourceType, boolean]>)),
])
const opts = { registry }

const deviceInstance = objectInstance(0, [
  singleResource(0, 'string', 'Open Mobile Alliance'),
  singleResource(1, 'string', 'Lightweight M2M Client'),
  singleResource(2, 'string', '345000123'),
  singleResource(3, 'string', '1.0'),
  multipleResource(6, 'integer', [1, 5]),
  multipleResource(7, 'integer', [3800, 5000]),
  multipleResource(8, 'integer', [125, 900]),
  singleResource(9, 'integer', 100),
  singleResource(10, 'integer', 15),
  multipleResource(11, 'integer', [0]),
  singleResource(13, 'time', new Date(1367491215 * 1000)),
  singleResource(14, 'string', '+02:00'),
  singleResource(16, 'string', 'U'),
])

test('§7.4.3 Device object instance: decodes to the expected node and encodes back byte for byte', () => {
  assert.equal(DEVICE.length, 121)
  assert.deepEqual(decodeTlv(parsePath('/3/0'), DEVICE), deviceInstance)
  assert.deepEqual(encodeTlv(parsePath('/3/0'), deviceInstance), DEVICE)
  // Read /3: the object-instance TLV around it
  const object = objectNode(3, [deviceInstance])
  assert.deepEqual(decodeTlv(parsePath('/3'), DEVICE_OBJECT), object)
  assert.deepEqual(encodeTlv(parsePath('/3'), object), DEVICE_OBJECT)
  // a client may also wrap the instance when /3/0 is read
  assert.deepEqual(decodeTlv(parsePath('/3/0'), DEVICE_OBJECT), deviceInstance)
})

test('§7.4.3 multiple resource and resource instance reads', () => {
  const voltage = multipleResource(7, 'integer', [3800, 5000])
  const bytes = hex('88 07 08 42 00 0E D8 42 01 13 88')
  assert.deepEqual(encodeTlv(parsePath('/3/0/7'), voltage), bytes)
  assert.deepEqual(decodeTlv(parsePath('/3/0/7'), bytes), voltage)
  assert.deepEqual(encodeTlv(parsePath('/3/0/7/1'), resourceInstance(1, 'integer', 5000)), hex('42 01 13 88'))
  assert.deepEqual(decodeTlv(parsePath('/3/0/7/1'), hex('42 01 13 88')), resourceInstance(1, 'integer', 5000))
  assert.deepEqual(decodeTlv(parsePath('/3/0/7/1'), hex('84 07 42 01 13 88')), resourceInstance(1, 'integer', 5000))
  assert.deepEqual(encodeTlv(parsePath('/3/0/0'), singleResource(0, 'string', 'Open Mobile Alliance')), DEVICE.subarray(0, 23))
  assert.deepEqual(decodeTlv(parsePath('/3/0/0'), DEVICE.subarray(0, 23)), singleResource(0, 'string', 'Open Mobile Alliance'))
})

test('§7.4.3 Server object instance (Read /1)', () => {
  const server = objectNode(1, [objectInstance(0, [
    singleResource(0, 'integer', 1), singleResource(1, 'integer', 86400), singleResource(6, 'boolean', true), singleResource(7, 'string', 'U'),
  ])])
  assert.deepEqual(decodeTlv(parsePath('/1'), SERVER), server)
  assert.deepEqual(encodeTlv(parsePath('/1'), server), SERVER)
})

test('§7.4.3 Access Control object: two instances, 8- and 16-bit resource instance ids', () => {
  const entries = decodeTlvEntries(ACCESS_CONTROL)
  assert.deepEqual(entries.map(e => [e.kind, e.id, e.children?.length]), [[TlvKind.OBJECT_INSTANCE, 0, 4], [TlvKind.OBJECT_INSTANCE, 2, 4]])
  assert.deepEqual(encodeTlvEntries(entries), ACCESS_CONTROL)
  const acl = objectNode(2, [
    objectInstance(0, [singleResource(0, 'integer', 1), singleResource(1, 'integer', 0), multipleResource(2, 'integer', [[127, 7]]), singleResource(3, 'integer', 127)]),
    objectInstance(2, [singleResource(0, 'integer', 3), singleResource(1, 'integer', 0), multipleResource(2, 'integer', [[127, 7], [310, 1]]), singleResource(3, 'integer', 127)]),
  ])
  assert.deepEqual(decodeTlv(parsePath('/2'), ACCESS_CONTROL, opts), acl)
  assert.deepEqual(encodeTlv(parsePath('/2'), acl), ACCESS_CONTROL)
})

test('§7.4.3 object links: a multiple objlnk resource, and the null link 65535:65535', () => {
  const o65 = objectInstance(0, [
    multipleResource(0, 'objlnk', [{ objectId: 66, instanceId: 0 }, { objectId: 66, instanceId: 1 }]),
    singleResource(1, 'string', '8613800755500'),
    singleResource(2, 'integer', 0x12345678),
  ])
  assert.deepEqual(decodeTlv(parsePath('/65/0'), OBJLNK_65, opts), o65)
  assert.deepEqual(encodeTlv(parsePath('/65/0'), o65), OBJLNK_65)
  const o66 = objectNode(66, [
    objectInstance(0, [singleResource(0, 'string', 'myService 1'), singleResource(1, 'string', 'Internet.15.234'), singleResource(2, 'objlnk', { objectId: 67, instanceId: 0 })]),
    objectInstance(1, [singleResource(0, 'string', 'myService 2'), singleResource(1, 'string', 'Internet.15.235'), singleResource(2, 'objlnk', { objectId: 65535, instanceId: 65535 })]),
  ])
  assert.deepEqual(decodeTlv(parsePath('/66'), OBJLNK_66, opts), o66)
  assert.deepEqual(encodeTlv(parsePath('/66'), o66), OBJLNK_66)
})

test('type byte: 16-bit ids and the 8/16/24-bit length fields', () => {
  assert.deepEqual(encodeTlv(parsePath('/3303/0/5700'), singleResource(5700, 'float', 21.5)), hex('E4 16 44 41 AC 00 00'))
  assert.deepEqual(encodeTlv(parsePath('/3303/0/5700'), singleResource(5700, 'float', 0.1)), hex('E8 16 44 08 3F B9 99 99 99 99 99 9A'))
  for (const [n, head] of [[7, 'C7 05'], [8, 'C8 05 08'], [255, 'C8 05 FF'], [256, 'D0 05 01 00'], [65535, 'D0 05 FF FF'], [65536, 'D8 05 01 00 00']] as const) {
    const value = Buffer.alloc(n, 0x61)
    const bytes = encodeTlv(parsePath(`/${ALL_TYPES}/0/5`), singleResource(5, 'opaque', value))
    assert.deepEqual(bytes.subarray(0, hex(head).length), hex(head), `length ${n}`)
    assert.equal(bytes.length, hex(head).length + n)
    assert.deepEqual(decodeTlv(parsePath(`/${ALL_TYPES}/0/5`), bytes, opts), singleResource(5, 'opaque', value))
  }
})

test('integers take the smallest of 1, 2, 4, 8 bytes; floats 4 bytes when exact', () => {
  const size = (type: ResourceType, v: ResourceValue): number =>
    decodeTlvEntries(encodeTlv(parsePath('/42769/0/1'), singleResource(1, type, v)))[0]!.value!.length
  assert.equal(size('integer', 0), 1)
  const ints: Array<[number | bigint, number]> = [[0, 1], [127, 1], [-128, 1], [128, 2], [-129, 2], [32767, 2], [-32768, 2], [32768, 4],
    [2 ** 31 - 1, 4], [-(2 ** 31), 4], [2 ** 31, 8], [2 ** 53, 8], [2n ** 63n - 1n, 8], [-(2n ** 63n), 8]]
  for (const [v, n] of ints) assert.equal(size('integer', v), n, `integer ${v}`)
  const uints: Array<[number | bigint, number]> = [[255, 1], [256, 2], [65535, 2], [65536, 4], [2 ** 32 - 1, 4], [2 ** 32, 8], [2n ** 64n - 1n, 8]]
  for (const [v, n] of uints) assert.equal(size('unsigned', v), n, `unsigned ${v}`)
  for (const [v, n] of [[1.5, 4], [21.5, 4], [Math.fround(-3.4e38), 4], [-3.4e38, 8], [0.1, 8], [1e300, 8]] as const) assert.equal(size('float', v), n, `float ${v}`)
  assert.deepEqual(encodeTlv(parsePath('/42769/0/1'), singleResource(1, 'integer', -2)), hex('C1 01 FE'))
  assert.deepEqual(encodeTlv(parsePath('/42769/0/2'), singleResource(2, 'unsigned', 200)), hex('C1 02 C8'))
  assert.deepEqual(encodeTlv(parsePath('/42769/0/4'), singleResource(4, 'boolean', false)), hex('C1 04 00'))
})

test('every type round-trips, single and multiple', () => {
  const samples: Record<ResourceType, ResourceValue[]> = {
    string: ['', 'héllo wörld ✓', 'x'.repeat(300)],
    integer: [0, -1, 123456789, -(2 ** 40), 2 ** 53 - 1, 2n ** 63n - 1n, -(2n ** 63n)],
    unsigned: [0, 255, 65536, 2 ** 40, 2n ** 64n - 1n],
    float: [0, -1.5, 21.5, 0.1, 1e300, -3.4e38],
    boolean: [true, false],
    opaque: [Buffer.alloc(0), Buffer.from([0, 1, 254, 255])], // decoders return Buffers (which are Uint8Arrays)
    time: [new Date(0), new Date(1718000000000), new Date(-86400000)],
    objlnk: [{ objectId: 0, instanceId: 0 }, { objectId: 3303, instanceId: 12 }],
    corelnk: ['</3/0>;ver=1.1,</3303/0>'],
  }
  TYPES.forEach((type, i) => {
    for (const v of samples[type]) {
      const path = parsePath(`/${ALL_TYPES}/0/${i}`)
      const node = singleResource(i, type, v)
      const back = decodeTlv(path, encodeTlv(path, node), opts)
      assert.deepEqual(back, node, `${type} ${String(v)}`)
    }
    const multi = multipleResource(100 + i, type, samples[type])
    const mpath = parsePath(`/${ALL_TYPES}/0/${100 + i}`)
    assert.deepEqual(decodeTlv(mpath, encodeTlv(mpath, multi), opts), multi, `multiple ${type}`)
  })
})

test('malformed TLV is rejected with a reason code', () => {
  const dev = parsePath('/3/0')
  throwsReason(() => decodeTlv(dev, hex('C8')), 'TLV_TRUNCATED')
  throwsReason(() => decodeTlv(dev, hex('C8 00')), 'TLV_TRUNCATED')
  throwsReason(() => decodeTlv(dev, hex('C8 00 14 4F 70')), 'TLV_TRUNCATED', /value of 20 bytes/)
  throwsReason(() => decodeTlv(dev, DEVICE.subarray(0, 120)), 'TLV_TRUNCATED')
  throwsReason(() => decodeTlv(dev, hex('86 06 41 00 01 42 01 05')), 'TLV_BAD_LENGTH', /container/) // child runs past its parent
  throwsReason(() => decodeTlv(dev, hex('C3 09 00 00 64')), 'TLV_BAD_LENGTH', /1, 2, 4 or 8/) // 3-byte integer
  throwsReason(() => decodeTlv(parsePath('/3303/0/5700'), hex('E2 16 44 00 00')), 'TLV_BAD_LENGTH', /4 or 8/)
  throwsReason(() => decodeTlv(parsePath('/3303/0/5700'), hex('E4 16 44 7F C0 00 00')), 'TLV_BAD_VALUE', /finite/) // NaN
  throwsReason(() => decodeTlv(parsePath('/1/0/6'), hex('C1 06 02')), 'TLV_BAD_VALUE', /0 or 1/)
  throwsReason(() => decodeTlv(parsePath('/1/0/6'), hex('C2 06 00 01')), 'TLV_BAD_LENGTH')
  throwsReason(() => decodeTlv(parsePath('/1/0/10'), hex('C3 0A 00 01 00')), 'TLV_BAD_LENGTH') // objlnk is 4 bytes
  throwsReason(() => decodeTlv(parsePath('/3/0/0'), hex('C2 00 C3 28')), 'BAD_UTF8')
  throwsReason(() => decodeTlv(dev, hex('C1 09 64 C1 09 65')), 'TLV_DUPLICATE_ID')
  throwsReason(() => decodeTlv(dev, hex('C1 0B 00 83 0B 41 00 00')), 'TLV_DUPLICATE_ID') // resource and multiple resource share ids
  throwsReason(() => decodeTlv(dev, hex('08 00 03 41 00 01')), 'TLV_BAD_NESTING') // resource instance directly in an instance
  throwsReason(() => decodeTlv(dev, hex('83 0B C1 00 00')), 'TLV_BAD_NESTING') // resource inside a multiple resource
  throwsReason(() => decodeTlv(dev, hex('08 01 03 C1 09 64')), 'TLV_ID_MISMATCH') // wrapper for instance 1 on /3/0
  throwsReason(() => decodeTlv(parsePath('/3/0/9'), hex('C1 0A 0F')), 'TLV_ID_MISMATCH')
  throwsReason(() => decodeTlv(parsePath('/3/0/9'), hex('C1 09 64 C1 0A 0F')), 'TLV_BAD_NESTING')
  throwsReason(() => decodeTlv(parsePath('/3/0/9'), hex('')), 'EMPTY_PAYLOAD')
  throwsReason(() => decodeTlv(parsePath('/3'), hex('C1 09 64')), 'TLV_BAD_NESTING')
  throwsReason(() => decodeTlv(dev, hex('C1 07 64')), 'TLV_BAD_NESTING', /multiple in the object model/)
  throwsReason(() => decodeTlv(dev, hex('83 09 41 00 64')), 'TLV_BAD_NESTING', /single in the object model/)
  throwsReason(() => decodeTlv(parsePath('/3/0/9/0'), hex('41 00 64')), 'TLV_BAD_NESTING')
  throwsReason(() => decodeTlv(parsePath('/'), hex('C1 09 64')), 'PATH_LEVEL')
})

test('unknown resources: a typed error by default, opaque values in lenient mode', () => {
  throwsReason(() => decodeTlv(parsePath('/3/0'), hex('C1 63 01')), 'UNKNOWN_RESOURCE')
  throwsReason(() => decodeTlv(parsePath('/6/0'), hex('C1 00 01')), 'UNKNOWN_OBJECT')
  assert.deepEqual(decodeTlv(parsePath('/6/0'), hex('C1 00 01 83 01 41 00 02'), { strict: false }), objectInstance(0, [
    singleResource(0, 'opaque', Buffer.from([1])), multipleResource(1, 'opaque', [Buffer.from([2])]),
  ]))
})

test('encoding checks the node against the path and the values against their types', () => {
  throwsReason(() => encodeTlv(parsePath('/3/0/9'), singleResource(10, 'integer', 1)), 'NODE_MISMATCH')
  throwsReason(() => encodeTlv(parsePath('/3/0'), singleResource(9, 'integer', 1)), 'NODE_MISMATCH')
  throwsReason(() => encodeTlv(parsePath('/3/0/9'), { kind: 'single', id: 9, type: 'integer', value: 1.5 }), 'VALUE_TYPE')
  throwsReason(() => encodeTlv(parsePath('/42769/0/5'), singleResource(5, 'opaque', new Uint8Array(0x1000000))), 'TOO_LARGE')
})

test('10,000 random and mutated payloads only ever throw Lwm2mFormatError', () => {
  const seeds = [DEVICE, DEVICE_OBJECT, SERVER, ACCESS_CONTROL, OBJLNK_65, OBJLNK_66, hex('E4 16 44 41 AC 00 00')]
  const paths = ['/3', '/3/0', '/3/0/7', '/3/0/7/1', '/1', '/2', '/65/0', '/66', '/3303/0/5700', `/${ALL_TYPES}/0`].map(parsePath)
  let i = 0
  const rejected = expectOnlyFormatErrors(fuzzInputs(0x7e57, seeds, 10_000), input => {
    decodeTlvEntries(input)
    return decodeTlv(paths[i++ % paths.length]!, input, { registry, strict: i % 2 === 0 })
  })
  assert.ok(rejected > 5000, `only ${rejected} rejected`)
})
