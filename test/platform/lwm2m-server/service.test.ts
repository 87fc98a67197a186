// The LWM2M server as a platform service: its ServiceSpec, started and stopped through the process runtime.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatCode } from '../../../lib/coap/index.ts'
import { projectRoot } from '../../../lib/home.ts'
import { lwm2mServiceSpec } from '../../../platform/lwm2m-server/service.ts'
import { ProcessRuntime } from '../../../platform/runtime/process.ts'
import { freePortPair, uniqueName, waitFor } from '../../helpers.ts'
import { TestDevice } from './test-device.ts'

test('the ServiceSpec runs `fleetlab lwm2m serve` with this node, tsx\'s loader and cli/bin.js', () => {
  const spec = lwm2mServiceSpec({ platform: 'p1', dir: '/tmp/p1', host: '127.0.0.1', port: 25683, gateway: 'gw9', kafka: ['127.0.0.1:29092'], observe: [] })
  assert.equal(spec.command[0], process.execPath)
  assert.equal(spec.command[1], '--import')
  assert.match(spec.command[2]!, /^file:\/\/.*\/tsx\//)
  assert.equal(spec.command[3], join(projectRoot, 'cli', 'bin.js'))
  assert.deepEqual(spec.command.slice(4), ['lwm2m', 'serve', '--host', '127.0.0.1', '--port', '25683', '--gateway', 'gw9', '--kafka', '127.0.0.1:29092', '--observe', 'none'])
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
