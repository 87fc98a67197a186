// The LWM2M server as a platform service: its ServiceSpec, started and stopped through the process runtime.
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { appendFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, sep } from 'node:path'
import { formatCode } from '../../../lib/coap/index.ts'
import { ServiceFailedError } from '../../../lib/errors.ts'
import { projectRoot } from '../../../lib/home.ts'
import { UNIT_BUILDS, UNIT_ENTRY } from '../../../lib/unit-command.ts'
import { waitForCoap } from '../../../platform/health.ts'
import { lwm2mServiceSpec, readyLine, readyProbe } from '../../../platform/lwm2m-server/service.ts'
import { ProcessRuntime } from '../../../platform/runtime/process.ts'
import { freePortPair, uniqueName, waitFor } from '../../helpers.ts'
import { startServer } from './helpers.ts'
import { TestDevice } from './test-device.ts'

test('the ServiceSpec runs `lwm2m serve` with this node and the units\' entry (the bundle of cli/unit.ts, or cli/unit.ts through tsx)', () => {
  const spec = lwm2mServiceSpec({ platform: 'p1', dir: '/tmp/p1', host: '127.0.0.1', port: 25683, gateway: 'gw9', kafka: ['127.0.0.1:29092'], observe: [] })
  const args = ['lwm2m', 'serve', '--host', '127.0.0.1', '--port', '25683', '--gateway', 'gw9', '--kafka', '127.0.0.1:29092', '--observe', 'none']
  assert.equal(spec.command[0], process.execPath)
  if (spec.command[1] === '--import') {
    assert.match(spec.command[2]!, /^file:\/\/.*\/tsx\//)
    assert.equal(spec.command[3], UNIT_ENTRY)
    assert.deepEqual(spec.command.slice(4), args)
  } else {
    assert.ok(spec.command[1]!.startsWith(UNIT_BUILDS + sep) && spec.command[1]!.endsWith(`${sep}unit.js`), spec.command[1])
    assert.deepEqual(spec.command.slice(2), args)
  }
  assert.deepEqual(spec.ports, { coap: 25683 })
  assert.equal(spec.service, 'lwm2m-server')
  assert.equal(spec.cwd, '/tmp/p1/lwm2m-server')
  assert.ok(spec.writablePaths.includes(spec.cwd))
  assert.ok(spec.logFile.startsWith(spec.cwd))
  assert.ok(spec.readonlyPaths.includes(projectRoot))
})

test('started through the process runtime it serves devices, and stops on SIGTERM', { timeout: 60_000 }, async t => {
  const dir = await mkdtemp(join(tmpdir(), 'fleetlab-lwm2m-svc-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const runtime = new ProcessRuntime(join(dir, 'pids'))
  t.after(() => runtime.close())
  const port = await freePortPair()
  const spec = lwm2mServiceSpec({ platform: uniqueName('t-lwm2m-svc'), dir, host: '127.0.0.1', port, gateway: 'gw1', observe: [] })
  const instance = await runtime.start(spec)
  t.after(() => runtime.stop(instance))
  await waitFor('the listening line', async () => (await readFile(spec.logFile, 'utf8').catch(() => '')).includes('listening on') ? true : undefined, 20_000)
  const device = await TestDevice.start({ server: { host: '127.0.0.1', port }, endpoint: 'svc-device' })
  t.after(() => device.close())
  assert.equal(formatCode((await device.register()).code), '2.01')
  assert.equal((await runtime.list({ platform: spec.platform })).length, 1)
  await runtime.stop(instance)
  const log = await readFile(spec.logFile, 'utf8')
  assert.match(log, /registered svc-device/)
  assert.match(log, /stopped: 1 registrations/)
  assert.equal((await runtime.list({ platform: spec.platform })).length, 0)
})

test('the ready probe looks only at the log written since it was made', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'fleetlab-lwm2m-svc-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const spec = lwm2mServiceSpec({ platform: 'p1', dir, host: '127.0.0.1', port: 25683, gateway: 'gw1', kafka: ['127.0.0.1:29092'] })
  await mkdir(dirname(spec.logFile), { recursive: true })
  // A previous start appended to the same log.
  await appendFile(spec.logFile, `lwm2m server listening on coap://127.0.0.1:25683\n${readyLine(true)}127.0.0.1:29092: ...\nstopped\n`)
  const ready = await readyProbe(spec)
  assert.equal(await ready(), false)
  await appendFile(spec.logFile, 'lwm2m server listening on coap://127.0.0.1:25683\n')
  assert.equal(await ready(), false, 'serving CoAP, but the Kafka bridge has not started yet')
  await appendFile(spec.logFile, `${readyLine(true)}127.0.0.1:29092: producing ...\n`)
  assert.equal(await ready(), true)
})

// Two platforms on one machine both chose the first free UDP port: the second server exited with "already in use"
// while the first one answered the health check's ping, so the run measured a server that was not its own.
test('a server whose port another server holds is not taken for healthy', { timeout: 60_000 }, async t => {
  const other = await startServer(t)
  const port = other.address().port
  const { dir, runtime } = await scratchRuntime(t)
  const spec = lwm2mServiceSpec({ platform: uniqueName('t-lwm2m-svc'), dir, host: '127.0.0.1', port, gateway: 'gw1', observe: [] })
  const ready = await readyProbe(spec)
  const instance = await runtime.start(spec)
  const alive = async (): Promise<boolean> => (await runtime.list({ platform: spec.platform })).some(i => i.id === instance.id)
  await assert.rejects(waitForCoap(spec.service, '127.0.0.1', port, { timeoutMs: 30_000, logFile: spec.logFile, alive, ready }),
    (err: unknown) => err instanceof ServiceFailedError && /exited during start-up/.test(err.message) && /already in use/.test(err.message))
})

test('the health check passes once the service itself is ready', { timeout: 60_000 }, async t => {
  const { dir, runtime } = await scratchRuntime(t)
  const port = await freePortPair()
  const spec = lwm2mServiceSpec({ platform: uniqueName('t-lwm2m-svc'), dir, host: '127.0.0.1', port, gateway: 'gw1', observe: [] })
  const ready = await readyProbe(spec)
  const instance = await runtime.start(spec)
  const alive = async (): Promise<boolean> => (await runtime.list({ platform: spec.platform })).some(i => i.id === instance.id)
  await waitForCoap(spec.service, '127.0.0.1', port, { timeoutMs: 30_000, logFile: spec.logFile, alive, ready })
  assert.match(await readFile(spec.logFile, 'utf8'), /no --kafka: /)
})

/**
 * A process runtime in a temp folder, cleaned up after the test: the services it started are stopped before the
 * folder (with their pid records) goes, since `t.after` hooks run in the order they were registered.
 */
async function scratchRuntime (t: TestContext): Promise<{ dir: string, runtime: ProcessRuntime }> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetlab-lwm2m-svc-'))
  const runtime = new ProcessRuntime(join(dir, 'pids'))
  t.after(async () => {
    for (const instance of await runtime.list()) await runtime.stop(instance)
    await runtime.close()
    await rm(dir, { recursive: true, force: true })
  })
  return { dir, runtime }
}
