// The PostgreSQL datastore against the real server: prepared, started through the Runtime (process, and docker when
// an engine answers), healthy once SELECT 1 answers on the lab's database, stopped by SIGINT (fast shutdown, with a client still connected) with nothing left.
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { access, chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { fallbackFolder, postgres, postgresBinDir, postgresUrl } from '../../../platform/datastores/postgres.ts'
import { createDockerRuntime } from '../../../platform/runtime/docker.ts'
import { ProcessRuntime } from '../../../platform/runtime/process.ts'
import { findPasswdEntry } from '../../../platform/runtime/system-user.ts'
import type { Runtime, RuntimeKind } from '../../../platform/runtime/types.ts'
import { freePortPair, uniqueName, dockerSkipReason } from '../../helpers.ts'

const dockerSkip = await dockerSkipReason()
const root = process.getuid?.() === 0
/** Who the server runs as: the package's system user when the lab runs as root (the server refuses root). */
const serverUser = root ? 'postgres' : userInfo().username

async function tempDir (t: Pick<TestContext, 'after'>, prefix: string, mode = 0o711): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  // 711: the postgres user may pass through to its folder, not list the others.
  await chmod(dir, mode)
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

async function openRuntimeOf (t: Pick<TestContext, 'after'>, kind: RuntimeKind): Promise<Runtime> {
  if (kind === 'docker') return await createDockerRuntime()
  return new ProcessRuntime(await tempDir(t, 'fleetlab-pg-pids-', 0o700))
}

/** Processes of `user` whose command line names this data folder. */
async function serversOf (user: string, dataDir: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('/usr/bin/ps', ['-u', user, '-o', 'pid=,args=']).catch(() => ({ stdout: '' }))
  return stdout.split('\n').filter(l => l.includes(dataDir))
}

async function startAndCheck (t: TestContext, kind: RuntimeKind): Promise<void> {
  await postgres.ensureInstalled(line => t.diagnostic(line))
  const runtime = await openRuntimeOf(t, kind)
  const platform = uniqueName('t-pg')
  t.after(async () => { await runtime.sweep(platform); await runtime.close() })
  const dir = await tempDir(t, 'fleetlab-pg-')
  const port = await freePortPair()
  const prepared = Date.now()
  const spec = await postgres.prepare({ platform, dir, host: '127.0.0.1', port })
  t.diagnostic(`${kind}: prepared (initdb and the database) in ${Date.now() - prepared} ms`)
  assert.deepEqual(spec.ports, { sql: port })
  assert.equal(spec.logFile, join(dir, 'postgres', 'service.log'))
  assert.equal(spec.user, root ? 'postgres' : undefined)
  const data = join(dir, 'postgres', 'data')
  const owner = findPasswdEntry(await readFile('/etc/passwd', 'utf8'), serverUser)
  assert.equal((await stat(data)).uid, owner?.uid, 'the data folder belongs to the user the server runs as')

  const instance = await runtime.start(spec)
  const started = Date.now()
  await postgres.waitHealthy({ host: '127.0.0.1', port, timeoutMs: 30_000, logFile: spec.logFile, alive: async () => (await runtime.stats(instance)).running })
  t.diagnostic(`${kind}: healthy after ${Date.now() - started} ms`)
  assert.equal((await serversOf(serverUser, data)).length > 0, true, `no process of ${serverUser} serves ${data}`)

  const client = new pg.Client({ connectionString: postgresUrl('127.0.0.1', port) })
  await client.connect()
  const settings = await client.query("SELECT current_database() AS db, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sync, current_setting('listen_addresses') AS listen")
  await client.end()
  assert.deepEqual(settings.rows, [{ db: 'fleetlab', fsync: 'off', sync: 'on', listen: '127.0.0.1' }])

  // a client still connected (a killed sink replica's pool): the fast shutdown ends its session instead of
  // waiting for it (SIGTERM's smart shutdown would, until the stop timeout's SIGKILL)
  const lingering = new pg.Client({ connectionString: postgresUrl('127.0.0.1', port) })
  lingering.on('error', () => {})
  await lingering.connect()
  const stopping = Date.now()
  await runtime.stop(instance, { timeoutMs: 15_000 })
  const stopMs = Date.now() - stopping
  t.diagnostic(`${kind}: stopped in ${stopMs} ms with a client connected`)
  await lingering.end().catch(() => {})
  assert.ok(stopMs < 10_000, `stopped in ${stopMs} ms, not at the stop timeout`)
  assert.match(await readFile(spec.logFile, 'utf8'), /fast shutdown request/)
  assert.deepEqual(await runtime.list({ platform }), [])
  assert.deepEqual(await serversOf(serverUser, data), [], 'a postgres process of this cluster is left')
  // A clean shutdown (not a SIGKILL) removes the pid file and says so in the log.
  await assert.rejects(access(join(data, 'postmaster.pid')))
  assert.match(await readFile(spec.logFile, 'utf8'), /database system is shut down/)
}

test('the process runtime runs PostgreSQL (as the postgres user when root); SIGINT shuts it down cleanly with a client connected', { timeout: 90_000 }, async t => {
  await startAndCheck(t, 'process')
})

test('the docker runtime runs the same PostgreSQL', { timeout: 120_000, skip: dockerSkip }, async t => {
  await startAndCheck(t, 'docker')
})

test('a folder the postgres user cannot reach keeps the log; the cluster goes to the fallback folder, removed by remove()', { timeout: 60_000, skip: root ? false : 'only as root (the server then runs as another user)' }, async t => {
  const outer = await tempDir(t, 'fleetlab-pg-closed-', 0o700)
  const platform = uniqueName('t-pg-closed')
  const spec = await postgres.prepare({ platform, dir: join(outer, 'platform'), host: '127.0.0.1', port: await freePortPair() })
  t.after(async () => { await postgres.remove?.({ platform }) })
  const cluster = fallbackFolder(platform)
  assert.equal(spec.logFile, join(outer, 'platform', 'postgres', 'service.log'))
  assert.equal(spec.cwd, cluster)
  assert.deepEqual(spec.writablePaths, [join(outer, 'platform', 'postgres'), cluster])
  assert.ok(spec.command.includes(join(cluster, 'data')), spec.command.join(' '))
  assert.equal((await stat(join(cluster, 'data', 'PG_VERSION'))).isFile(), true, 'initdb wrote the cluster there')
  await postgres.remove?.({ platform })
  await assert.rejects(stat(cluster), { code: 'ENOENT' })
})

test('postgresBinDir finds the newest version with a server, not one with only the client', async t => {
  const dir = await tempDir(t, 'fleetlab-pg-bin-')
  assert.equal(await postgresBinDir(dir), undefined)
  for (const [version, files] of [['13', ['postgres', 'initdb']], ['16', ['psql']], ['9.6', ['postgres', 'initdb']]] as const) {
    await mkdir(join(dir, version, 'bin'), { recursive: true })
    for (const f of files) await writeFile(join(dir, version, 'bin', f), '#!/bin/sh\n', { mode: 0o755 })
  }
  assert.equal(await postgresBinDir(dir), join(dir, '13', 'bin'))
})

test('waitHealthy stops at once when the service is gone, and times out with the log tail', async t => {
  const port = await freePortPair()
  const dir = await tempDir(t, 'fleetlab-pg-health-')
  const logFile = join(dir, 'service.log')
  await writeFile(logFile, 'FATAL:  could not create lock file\n')
  await assert.rejects(postgres.waitHealthy({ host: '127.0.0.1', port, timeoutMs: 10_000, logFile, alive: async () => false }),
    (err: Error & { code?: string }) => err.code === 'FLEETLAB_SERVICE_FAILED' && /could not create lock file/.test(err.message))
  const started = Date.now()
  await assert.rejects(postgres.waitHealthy({ host: '127.0.0.1', port, timeoutMs: 1000, logFile, alive: async () => true }),
    (err: Error & { code?: string }) => err.code === 'FLEETLAB_TIMEOUT' && /SELECT 1/.test(err.message) && /could not create lock file/.test(err.message))
  assert.ok(Date.now() - started < 5000)
})
