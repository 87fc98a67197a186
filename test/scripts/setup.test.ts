// scripts/setup: idempotent and fast the second time; a clear message when Java or Maven is missing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { projectRoot } from '../../lib/home.ts'

interface Result { code: number, stdout: string, stderr: string, ms: number }

function setup (env: NodeJS.ProcessEnv): Promise<Result> {
  const t0 = Date.now()
  return new Promise(resolve => {
    execFile('bash', [join(projectRoot, 'scripts', 'setup')], { env: { ...process.env, ...env }, timeout: 300_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? -1), stdout, stderr, ms: Date.now() - t0 })
    })
  })
}

/** A PATH with the tools setup needs, minus the ones named. */
async function pathWithout (t: { after: (fn: () => Promise<void>) => void }, missing: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetlab-path-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const tools = ['bash', 'node', 'npm', 'java', 'mvn', 'sed', 'cat', 'cut', 'date', 'sha256sum', 'ls', 'du', 'wc', 'rm', 'mkdir', 'mv', 'dirname', 'printf']
  for (const tool of tools.filter(x => !missing.includes(x))) {
    const found = await new Promise<string>(resolve => execFile('sh', ['-c', `command -v ${tool}`], (_e, out) => resolve(out.trim())))
    if (found !== '') await symlink(found, join(dir, tool))
  }
  return dir
}

test('a second run does nothing and takes under 5 s', async () => {
  const first = await setup({})
  assert.equal(first.code, 0, first.stderr)
  const second = await setup({})
  assert.equal(second.code, 0, second.stderr)
  assert.ok(second.ms < 5000, `second run took ${second.ms} ms`)
  assert.match(second.stdout, /npm dependencies: up to date/)
  assert.match(second.stdout, /jars: present/)
  assert.doesNotMatch(second.stdout, /installing|fetching/)
})

test('missing Java is a clear message naming what to install (exit 4)', async t => {
  const r = await setup({ PATH: await pathWithout(t, ['java']) })
  assert.equal(r.code, 4, r.stdout + r.stderr)
  assert.match(r.stderr, /Java 17 or later is needed and 'java' is not on PATH.*openjdk-17/)
})

test('missing Maven when the jars must be fetched is a clear message (exit 4)', async t => {
  const home = await mkdtemp(join(tmpdir(), 'fleetlab-home-'))
  t.after(() => rm(home, { recursive: true, force: true }))
  const r = await setup({ PATH: await pathWithout(t, ['mvn']), FLEETLAB_HOME: home })
  assert.equal(r.code, 4, r.stdout + r.stderr)
  assert.match(r.stderr, /Maven is needed to fetch the Kafka jars.*apt-get install maven/)
})
