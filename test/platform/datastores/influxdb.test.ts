// The InfluxDB datastore against the real influxd: prepared, started through the Runtime (process, and docker when
// an engine answers), healthy once GET /ping answers 204, stopped by SIGTERM with nothing left.
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fleetlabHome } from '../../../lib/home.ts'
import { influxConfig, influxdb, influxUrl, packageDaemons } from '../../../platform/datastores/influxdb.ts'
import { openRuntime } from '../../../platform/runtime/index.ts'
import type { RuntimeKind } from '../../../platform/runtime/types.ts'
import { freePortPair, uniqueName, dockerSkipReason } from '../../helpers.ts'

const dockerSkip = await dockerSkipReason()

async function tempDir (t: Pick<TestContext, 'after'>, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

function accepts (port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

async function startAndCheck (t: TestContext, kind: RuntimeKind): Promise<void> {
  await influxdb.ensureInstalled(line => t.diagnostic(line))
  assert.deepEqual(await packageDaemons(), [], 'an influxd runs on the package defaults (8086/8088)')
  const runtime = await openRuntime(fleetlabHome(), kind)
  const platform = uniqueName('t-influx')
  t.after(async () => { await runtime.sweep(platform); await runtime.close() })
  const dir = await tempDir(t, 'fleetlab-influx-')
  const port = await freePortPair()
  const spec = await influxdb.prepare({ platform, dir, host: '127.0.0.1', port })
  const folder = join(dir, 'influxdb')
  assert.equal(spec.service, 'influxdb')
  assert.deepEqual(spec.command, ['/usr/bin/influxd', '-config', join(folder, 'influxdb.conf')])
  assert.deepEqual(spec.ports, { http: port })
  assert.deepEqual(spec.writablePaths, [folder])
  assert.equal(spec.cwd, folder)
  assert.equal(spec.logFile, join(folder, 'service.log'))
  assert.equal(spec.stopTimeoutMs, 10_000)

  const instance = await runtime.start(spec)
  const started = Date.now()
  await influxdb.waitHealthy({ host: '127.0.0.1', port, timeoutMs: 30_000, logFile: spec.logFile, alive: async () => (await runtime.stats(instance)).running })
  t.diagnostic(`${kind}: healthy after ${Date.now() - started} ms`)
  const ping = await fetch(`${influxUrl('127.0.0.1', port)}/ping`)
  assert.equal(ping.status, 204)
  // The RPC (backup) service listens on port + 1, not on the default 8088.
  assert.equal(await accepts(port + 1), true, `nothing listens on ${port + 1}`)
  assert.doesNotMatch(await readFile(spec.logFile, 'utf8'), /:8088/)

  const stopping = Date.now()
  await runtime.stop(instance, { timeoutMs: 10_000 })
  t.diagnostic(`${kind}: stopped in ${Date.now() - stopping} ms`)
  assert.deepEqual(await runtime.list({ platform }), [])
  await assert.rejects(fetch(`${influxUrl('127.0.0.1', port)}/ping`, { signal: AbortSignal.timeout(2000) }))
}

test('the process runtime runs influxd on its port pair; SIGTERM stops it', { timeout: 60_000 }, async t => {
  await startAndCheck(t, 'process')
})

test('the docker runtime runs the same influxd', { timeout: 120_000, skip: dockerSkip }, async t => {
  await startAndCheck(t, 'docker')
})

test('the config keeps everything in the folder: meta, data, wal, both ports, no reporting, no request log', () => {
  const conf = influxConfig('/x/influxdb', '127.0.0.1', 21000)
  assert.match(conf, /^reporting-disabled = true$/m)
  assert.match(conf, /^bind-address = "127\.0\.0\.1:21001"$/m)
  assert.match(conf, /\[meta\]\n\s+dir = "\/x\/influxdb\/meta"/)
  assert.match(conf, /\[data\]\n\s+dir = "\/x\/influxdb\/data"\n\s+wal-dir = "\/x\/influxdb\/wal"/)
  assert.match(conf, /\[http\][^[]*bind-address = "127\.0\.0\.1:21000"/)
  assert.match(conf, /\[http\][^[]*log-enabled = false/)
})

test('waitHealthy stops at once when the service is gone, and times out with the log tail', async t => {
  const port = await freePortPair()
  const dir = await tempDir(t, 'fleetlab-influx-health-')
  const logFile = join(dir, 'service.log')
  await writeFile(logFile, 'run: open server: listen tcp 127.0.0.1:8088: bind: address already in use\n')
  await assert.rejects(influxdb.waitHealthy({ host: '127.0.0.1', port, timeoutMs: 10_000, logFile, alive: async () => false }),
    (err: Error & { code?: string }) => err.code === 'FLEETLAB_SERVICE_FAILED' && /address already in use/.test(err.message))
  const started = Date.now()
  await assert.rejects(influxdb.waitHealthy({ host: '127.0.0.1', port, timeoutMs: 1000, logFile, alive: async () => true }),
    (err: Error & { code?: string }) => err.code === 'FLEETLAB_TIMEOUT' && /ping/.test(err.message) && /address already in use/.test(err.message))
  assert.ok(Date.now() - started < 5000)
})
