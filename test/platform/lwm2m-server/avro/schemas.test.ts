import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import avsc from 'avsc'
import { projectRoot } from '../../../../lib/home.ts'
import { recordCodecs, requestCodec } from '../../../../platform/lwm2m-server/avro/codec.ts'
import { canonicalForm, fingerprint64, loadSchemas, schemaFiles } from '../../../../platform/lwm2m-server/avro/schemas.ts'
import { AvroNames } from '../../../../platform/lwm2m-server/avro/types.ts'

const ourDir = join(projectRoot, 'platform', 'lwm2m-server', 'avro')
// The zeelos originals, where the shared folder sits beside the repository (developers' machines and CI).
const referenceDir = join(projectRoot, '..', 'shared', 'reference', 'zeelos-avro')

test('every .avsc file in the folder is loaded, and every named type resolves', () => {
  const onDisk = readdirSync(ourDir).filter(f => f.endsWith('.avsc')).sort()
  assert.deepEqual([...schemaFiles].sort(), onDisk)
  const { registry } = loadSchemas()
  for (const name of Object.values(AvroNames)) assert.ok(registry[name] !== undefined, `${name} is defined`)
  const named = Object.keys(registry).filter(n => n.includes('.'))
  assert.equal(named.length, 31) // 23 records and 8 enums
})

test('CRC-64-AVRO matches the Avro specification vectors', () => {
  // From the Avro test suite (share/test/data/schema-tests.txt): fingerprints as signed Java longs.
  assert.equal(BigInt.asIntN(64, fingerprint64(avsc.Type.forSchema('null'))), 7195948357588979594n)
  assert.equal(BigInt.asIntN(64, fingerprint64(avsc.Type.forSchema('boolean'))), -6970731678124411036n)
})

test('record fingerprints are pinned: a change of the wire format is a deliberate change of this test', () => {
  assert.deepEqual(Object.fromEntries(Object.entries(recordCodecs).map(([k, c]) => [k, c.fingerprint])), {
    key: 'b4c18ae1131553b1',
    registration: '442f0c4e63be9ddb',
    observation: '523c3b8143424e54',
    request: 'bc6fc15709b06147',
    response: 'd10ed43477007f06',
  })
})

test('our AvroRequest has the canonical form zeelos registered in its Schema Registry (request-schema.json)', () => {
  const registered = avsc.Type.forSchema(JSON.parse(readFileSync(new URL('./fixtures/zeelos-request-schema.json', import.meta.url), 'utf8')))
  assert.equal(canonicalForm(registered), canonicalForm(requestCodec.type))
  assert.equal(fingerprint64(registered).toString(16).padStart(16, '0'), requestCodec.fingerprint)
})

test('our copies have the canonical forms of the zeelos originals', { skip: !existsSync(referenceDir) && 'shared/reference/zeelos-avro is not beside the repository' }, () => {
  const ours = loadSchemas()
  const theirs = loadSchemas(pathToFileURL(`${referenceDir}/`))
  for (const file of schemaFiles) assert.equal(canonicalForm(ours.byFile[file]!), canonicalForm(theirs.byFile[file]!), file)
})

test('unions of null and one type read as that type or null; the others stay wrapped', () => {
  const update = loadSchemas().registry[AvroNames.AvroRegistrationUpdate]!
  const bytes = update.toBuffer({ ep: 'e', serverId: 's', regId: 'r', address: 'a', port: 1, lt: 60, sms: null, bnd: 'U', links: [], attributes: null, lastUp: 0 })
  const back = update.fromBuffer(bytes) as Record<string, unknown>
  assert.equal(back.lt, 60)
  assert.equal(back.bnd, 'U')
  assert.deepEqual(back.links, [])
  const resource = loadSchemas().registry[AvroNames.AvroResource]!
  assert.throws(() => resource.toBuffer({ id: 1, path: '/1', kind: 'SINGLE_RESOURCE', type: 'FLOAT', value: 1.5 }), 'double and long share a union: the value is wrapped')
})
