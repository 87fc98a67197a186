// The CLI's errors, through the real binary: each a clear message, a hint and its own exit code, and
// nothing started.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePortPair, runCli, uniqueName } from '../helpers.ts'

async function tempHome (t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetlab-cli-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

test('--help on every command explains it, --version prints the version', async () => {
  const root = await runCli(['--help'])
  assert.equal(root.code, 0)
  assert.match(root.stdout, /Usage: fleetlab/)
  assert.match(root.stdout, /platform/)
  assert.match(root.stdout, /Exit codes:/)
  for (const sub of ['up', 'status', 'down']) {
    const r = await runCli(['platform', sub, '--help'])
    assert.equal(r.code, 0, sub)
    assert.match(r.stdout, new RegExp(`Usage: fleetlab platform ${sub}`))
    assert.match(r.stdout, /--runtime <kind>/)
  }
  const v = await runCli(['--version'])
  assert.equal(v.code, 0)
  assert.match(v.stdout.trim(), /^\d+\.\d+\.\d+$/)
})

test('an unknown command or runtime is a usage error (exit 2)', async () => {
  const r = await runCli(['platform', 'sideways'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /unknown command 'sideways'/)
  const k = await runCli(['platform', 'up', '--runtime', 'podman'])
  assert.equal(k.code, 2)
  assert.match(k.stderr, /--runtime: unknown runtime "podman" \(choose one of: docker, process\)/)
})

test('a bad port, partition count or replica count is a usage error (exit 2) that names the flag, without a stack', async () => {
  for (const [args, message] of [
    [['platform', 'up', '--edge-port', 'abc'], /^error: --edge-port: expected a port 1-65534, got abc$/m],
    [['platform', 'up', '--cloud-port', '70000'], /^error: --cloud-port: expected a port 1-65534, got 70000$/m],
    [['platform', 'up', '--partitions', '0'], /^error: --partitions: expected a whole number >= 1, got 0$/m],
    [['scale', 'sink', '--replicas', '-1'], /^error: --replicas: expected a whole number >= 0, got -1$/m],
  ] as const) {
    const r = await runCli([...args])
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, message)
    assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at /)
  }
})

test('a port in use is exit 3 before anything starts', async t => {
  const home = await tempHome(t)
  const port = await freePortPair()
  const blocker = createServer()
  await new Promise<void>(resolve => blocker.listen(port, '127.0.0.1', resolve))
  t.after(() => new Promise(resolve => blocker.close(resolve)))
  // the jar cache is needed before ports are checked: use the real one through a link
  const realHome = process.env.FLEETLAB_HOME ?? join(process.env.HOME ?? '/root', '.cache', 'fleetlab')
  const { symlink } = await import('node:fs/promises')
  await symlink(join(realHome, 'jvm'), join(home, 'jvm'))
  const name = uniqueName('t-port')
  const r = await runCli(['platform', 'up', '--runtime', 'process', '--name', name, '--edge-port', String(port), '--cloud-port', String(await freePortPair())], { FLEETLAB_HOME: home })
  assert.equal(r.code, 3, r.stderr)
  assert.match(r.stderr, new RegExp(`port.* already in use: ${port} \\(edge-kafka\\)`))
  assert.match(r.stderr, /hint: .*--edge-port/)
  assert.deepEqual((await readdir(home)).sort(), ['jvm'], 'nothing started, no state written')
})

test('a missing jar cache is exit 4 with the command that fixes it', async t => {
  const home = await tempHome(t)
  const r = await runCli(['platform', 'up', '--runtime', 'process', '--name', uniqueName('t-jars')], { FLEETLAB_HOME: home })
  assert.equal(r.code, 4, r.stderr)
  assert.match(r.stderr, /Kafka jars are not in .*jar cache missing/)
  assert.match(r.stderr, /hint: run: npm run setup/)
})

test('--runtime docker with no engine answering is exit 5, never a silent fallback', async t => {
  const home = await tempHome(t)
  const r = await runCli(['platform', 'up', '--runtime', 'docker', '--name', uniqueName('t-nodocker')], { FLEETLAB_HOME: home, DOCKER_HOST: 'unix:///nonexistent/docker.sock' })
  assert.equal(r.code, 5, r.stderr)
  assert.match(r.stderr, /nonexistent\/docker\.sock/)
  assert.match(r.stderr, /hint: .*--runtime process/)
})

test('an invalid platform config file is exit 2 and names every bad field', async t => {
  const home = await tempHome(t)
  const file = join(home, 'platform.json')
  await writeFile(file, JSON.stringify({ edge: { prot: 1, port: 'x' }, mirror: { enabled: 'yes' }, colour: 'blue' }))
  const r = await runCli(['platform', 'up', '--config', file], { FLEETLAB_HOME: home })
  assert.equal(r.code, 2, r.stderr)
  for (const field of ['edge.prot', 'edge.port', 'mirror.enabled', 'colour']) assert.match(r.stderr, new RegExp(field.replace('.', '\\.')))
  assert.match(r.stderr, /4 problems/)
})

test('status and down of a platform that is not up', async t => {
  const home = await tempHome(t)
  const name = uniqueName('t-none')
  const s = await runCli(['platform', 'status', '--name', name], { FLEETLAB_HOME: home })
  assert.equal(s.code, 0)
  assert.match(s.stdout, /is not up/)
  const j = await runCli(['platform', 'status', '--name', name, '--json'], { FLEETLAB_HOME: home })
  assert.deepEqual(JSON.parse(j.stdout), [])
  const d = await runCli(['platform', 'down', '--runtime', 'process', '--name', name], { FLEETLAB_HOME: home })
  assert.equal(d.code, 0)
  assert.match(d.stdout, /was not running/)
})
