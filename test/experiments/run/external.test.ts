// `fleetlab run` against infrastructure it did not start (platform.external): the lab connects, runs its gateways
// and sink as its own units, measures and reconciles, and leaves the user's platform running.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { openRuntime } from '../../../platform/runtime/index.ts'
import { fleetlabHome } from '../../../lib/home.ts'
import { freePortPair, runCli, uniqueName } from '../../helpers.ts'
import { leftovers, onlyRun, runDir, writeExperiment } from './fixtures.ts'

test('a run against an external platform measures end to end and leaves that platform running', { timeout: 420_000 }, async t => {
  const name = uniqueName('t-ext')
  const [edgePort, cloudPort, lwm2mPort] = [await freePortPair(), await freePortPair(), await freePortPair()]
  const common = ['--runtime', 'process', '--name', name]
  t.after(async () => { await runCli(['platform', 'down', ...common]) })
  const up = await runCli(['platform', 'up', ...common, '--edge-port', String(edgePort), '--cloud-port', String(cloudPort),
    '--lwm2m-port', String(lwm2mPort), '--gateway', 'extgw'])
  assert.equal(up.code, 0, up.stderr)

  const rd = await runDir(t, 'process')
  const file = await writeExperiment(rd.dir, 'external', {
    kind: 'linear',
    platform: {
      external: {
        edgeBootstrap: `127.0.0.1:${edgePort}`,
        cloudBootstrap: `127.0.0.1:${cloudPort}`,
        lwm2m: `coap://127.0.0.1:${lwm2mPort}`,
        gateway: 'extgw',
      },
    },
    workload: { devices: 10, rate: '2/s', hold: '6s' },
    drain: '15s',
    thresholds: { loss: '==0' },
  })
  const r = await runCli(['run', file, '--runtime', 'process', '--results-dir', rd.runs], {}, 300_000)
  assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
  const run = await onlyRun(rd.runs)
  assert.equal(run.meta.complete, true, run.meta.incompleteReason)
  assert.equal(run.meta.platform.external, true)
  const s = run.summary!
  assert.ok((s.sent ?? 0) >= 100, `sent ${s.sent}`)
  assert.equal(s.delivered, s.sent)
  assert.equal(s.lost, 0)
  assert.ok(run.events.some(e => e.kind === 'platform' && e.detail.startsWith('external:')))
  // the run's own units are gone, the user's platform is not
  assert.deepEqual(await leftovers('process', run.meta.platform.name), [])
  const runtime = await openRuntime(fleetlabHome(), 'process')
  t.after(async () => { await runtime.close() })
  assert.deepEqual((await runtime.list({ platform: name })).map(i => i.service).sort(), ['cloud-kafka', 'edge-kafka', 'lwm2m-server', 'mirror'])
})
