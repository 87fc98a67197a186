import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bootstrapOf, defaultPlatformConfig, enabledDatastores, loadPlatformFile, resolvePlatformConfig, validatePlatformFile } from '../../platform/config.ts'
import { InvalidConfigError } from '../../lib/errors.ts'

/** The problems an InvalidConfigError carries; fails the test for any other outcome. */
function problemsOf (fn: () => unknown): string[] {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof InvalidConfigError, `expected an InvalidConfigError, got ${String(err)}`)
    assert.equal(err.code, 'FLEETLAB_INVALID_CONFIG')
    return err.problems
  }
  assert.fail('expected an InvalidConfigError, nothing was thrown')
}

test('with no file and no flags the defaults apply, as copies', () => {
  const c = resolvePlatformConfig()
  assert.deepEqual(c, defaultPlatformConfig)
  assert.equal(c.name, 'default')
  assert.deepEqual(bootstrapOf(c, 'edge'), ['127.0.0.1:29092'])
  assert.deepEqual(bootstrapOf(c, 'cloud'), ['127.0.0.1:39092'])

  c.edge.port = 1
  resolvePlatformConfig({}, { cloudPort: 40000 })
  assert.equal(defaultPlatformConfig.edge.port, 29092, 'resolving never changes the defaults')
  assert.equal(defaultPlatformConfig.cloud.port, 39092)
})

test('a valid file passes through and fills in over the defaults', () => {
  const file = validatePlatformFile({ name: 'lab2', edge: { port: 19092, heapMb: 512 }, mirror: { enabled: false } })
  const c = resolvePlatformConfig(file)
  assert.equal(c.name, 'lab2')
  assert.deepEqual(c.edge, { port: 19092, controllerPort: 29093, heapMb: 512 })
  assert.deepEqual(c.cloud, defaultPlatformConfig.cloud)
  assert.deepEqual(c.mirror, { ...defaultPlatformConfig.mirror, enabled: false })
})

test('file validation reports every problem at once, each with its path', () => {
  const problems = problemsOf(() => validatePlatformFile({
    edge: { prot: 29092 },
    mirror: { enabled: 'yes' },
    cloud: { bootstrap: 'not a broker list', port: 70000 },
    colour: 'blue',
  }))
  assert.equal(problems.length, 5, problems.join('\n'))
  const find = (path: string): string => {
    const hit = problems.find(p => p.startsWith(`${path}:`))
    assert.ok(hit !== undefined, `no problem reported for ${path} in:\n${problems.join('\n')}`)
    return hit
  }
  assert.match(find('edge.prot'), /unknown key .*port/)
  assert.match(find('mirror.enabled'), /expected boolean, got "yes"/)
  assert.match(find('cloud.bootstrap'), /expected host:port/)
  assert.match(find('cloud.port'), /1-65535/)
  assert.match(find('colour'), /unknown key/)
})

test('file values of the wrong kind are named', () => {
  assert.deepEqual(problemsOf(() => validatePlatformFile([])), ['(top level): expected object, got []'])
  assert.deepEqual(problemsOf(() => validatePlatformFile({ edge: 5 })), ['edge: expected object, got 5'])
  const problems = problemsOf(() => validatePlatformFile({ edge: { heapMb: 1.5, controllerPort: -1 }, host: 7, cloud: { bootstrap: [] } }))
  assert.deepEqual(problems.map(p => p.split(':')[0]).sort(), ['cloud.bootstrap', 'edge.controllerPort', 'edge.heapMb', 'host'])
})

test('bootstrap strings in a file are parsed into lists; lists are kept', () => {
  const file = validatePlatformFile({ edge: { bootstrap: 'kafka-a:9092, kafka-b:9093,' }, cloud: { bootstrap: ['c:9092'] } })
  assert.deepEqual(file.edge?.bootstrap, ['kafka-a:9092', 'kafka-b:9093'])
  assert.deepEqual(file.cloud?.bootstrap, ['c:9092'])
  const c = resolvePlatformConfig(file)
  assert.deepEqual(bootstrapOf(c, 'edge'), ['kafka-a:9092', 'kafka-b:9093'])
  assert.deepEqual(bootstrapOf(c, 'cloud'), ['c:9092'])
})

test('flags override the file', () => {
  const file = validatePlatformFile({ name: 'from-file', edge: { port: 1000, controllerPort: 5000 }, cloud: { bootstrap: 'file:9092' } })
  const c = resolvePlatformConfig(file, { name: 'from-flags', cloudBootstrap: 'flag-a:9092,flag-b:9092' })
  assert.equal(c.name, 'from-flags')
  assert.deepEqual(c.cloud.bootstrap, ['flag-a:9092', 'flag-b:9092'])
  assert.equal(c.edge.port, 1000, 'a key without a flag keeps the file value')
  assert.equal(c.edge.controllerPort, 5000)
})

test('--edge-port and --cloud-port set the controller port to port + 1', () => {
  const file = validatePlatformFile({ edge: { controllerPort: 5000 } })
  const c = resolvePlatformConfig(file, { edgePort: 41000, cloudPort: 42000 })
  assert.deepEqual([c.edge.port, c.edge.controllerPort], [41000, 41001])
  assert.deepEqual([c.cloud.port, c.cloud.controllerPort], [42000, 42001])
  assert.deepEqual(bootstrapOf(c, 'edge'), ['127.0.0.1:41000'])
})

test('bad flags are rejected together, each named', () => {
  assert.match(problemsOf(() => resolvePlatformConfig({}, { name: 'Bad_Name' }))[0]!, /^--name: .*"Bad_Name"/)
  assert.match(problemsOf(() => resolvePlatformConfig({ name: '-lead' }))[0]!, /^name:/)
  const problems = problemsOf(() => resolvePlatformConfig({}, { name: 'x y', edgePort: 65535, cloudBootstrap: 'nohost' }))
  assert.equal(problems.length, 3, problems.join('\n'))
  assert.match(problems.join('\n'), /--edge-port: expected a port 1-65534, got 65535/)
  assert.match(problems.join('\n'), /--cloud-bootstrap: expected host:port/)
})

test('loadPlatformFile reads JSON and names the file when it cannot', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'fleetlab-config-test-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const good = join(dir, 'platform.json')
  await writeFile(good, JSON.stringify({ name: 'filed', edge: { bootstrap: 'e:1' } }))
  assert.deepEqual(await loadPlatformFile(good), { name: 'filed', edge: { bootstrap: ['e:1'] } })

  const broken = join(dir, 'broken.json')
  await writeFile(broken, '{ "name": ')
  await assert.rejects(loadPlatformFile(broken), (err: unknown) => err instanceof InvalidConfigError && err.message.includes(broken))
  await assert.rejects(loadPlatformFile(join(dir, 'missing.json')), (err: unknown) =>
    err instanceof InvalidConfigError && /^--config: cannot read/.test(err.message))
})

test('datastores: off by default; a file or --datastores turns them on, ports by name, unknown names refused', () => {
  assert.deepEqual(enabledDatastores(resolvePlatformConfig()), [])
  const fromFile = resolvePlatformConfig(validatePlatformFile({ datastores: { postgres: { enabled: true, port: 6543 } } }))
  assert.deepEqual(enabledDatastores(fromFile), ['postgres'])
  assert.deepEqual(fromFile.datastores, { influxdb: { enabled: false, port: 8086 }, postgres: { enabled: true, port: 6543 } })
  const fromFlags = resolvePlatformConfig({}, { datastores: ['influxdb'], datastorePorts: { influxdb: 18086 } })
  assert.deepEqual(fromFlags.datastores.influxdb, { enabled: true, port: 18086 })
  assert.equal(defaultPlatformConfig.datastores.influxdb.enabled, false, 'the defaults are not changed')
  assert.throws(() => resolvePlatformConfig({}, { datastores: ['mongo'] }), (err: InvalidConfigError) => /--datastores: unknown datastore "mongo" \(known: influxdb, postgres\)/.test(err.message))
  assert.throws(() => validatePlatformFile({ datastores: { influxdb: { enabled: 'yes', port: 70000 } } }),
    (err: InvalidConfigError) => /datastores\.influxdb\.enabled: expected boolean/.test(err.message) && /datastores\.influxdb\.port: expected a port/.test(err.message))
  // a state file written before datastores existed
  assert.deepEqual(enabledDatastores({} as never), [])
})
