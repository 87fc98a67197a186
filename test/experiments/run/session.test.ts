// The run session's fleet through real runs (the real binary, the process runtime): devices placed fill-first across
// several gateways, and a registration storm (burst of devices, surge) that loses nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runCli, uniqueName } from '../../helpers.ts'
import { leftovers, onlyRun, phaseSequence, runDir, writeExperiment } from './fixtures.ts'

const RUN_TIMEOUT_MS = 240_000

test('25 devices at 10 per gateway: three gateways filled first, every notification delivered', { timeout: RUN_TIMEOUT_MS }, async t => {
  const platform = uniqueName('t-run-gw')
  const rd = await runDir(t, 'process', [platform])
  const file = await writeExperiment(rd.dir, 'three-gateways', {
    kind: 'linear',
    platform: { name: platform },
    fleet: { maxDevicesPerGateway: 10, placement: 'fill-first' },
    workload: { devices: 25, rate: '2/s', hold: '5s' },
    drain: '10s',
    thresholds: { loss: '==0' },
  })
  const r = await runCli(['run', file, '--runtime', 'process', '--results-dir', rd.runs], {}, RUN_TIMEOUT_MS)
  assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
  const run = await onlyRun(rd.runs)
  assert.equal(run.meta.complete, true)
  const fleet = run.events.filter(e => e.kind === 'fleet').map(e => e.detail)
  assert.equal(fleet.length, 1)
  assert.match(fleet[0]!, /^3 gateways \(up to 10 devices each, fill-first\) and 1 file sink replica ready/)
  assert.equal(Math.max(...run.rows.map(row => row.devices_active ?? 0)), 25, 'the gateways\' active devices add up')
  const s = run.summary!
  assert.ok((s.sent ?? 0) > 0)
  assert.equal(s.delivered, s.sent)
  assert.equal(s.lost, 0)
  assert.equal(s.duplicates, 0)
  assert.deepEqual(await leftovers('process', platform), [])
})

test('a registration storm: a burst of devices joining at once, storm events per gateway, nothing lost', { timeout: RUN_TIMEOUT_MS }, async t => {
  const platform = uniqueName('t-run-storm')
  const rd = await runDir(t, 'process', [platform])
  // baseline 5 devices, then 20 (5 x 4) for 4 s, all joining at once; 10 per gateway, so the storm spans two
  const file = await writeExperiment(rd.dir, 'storm', {
    kind: 'burst',
    platform: { name: platform },
    fleet: { maxDevicesPerGateway: 10 },
    workload: {
      baseline: { devices: 5, rate: '1/s' },
      burst: { multiplier: 4, of: 'devices', duration: '4s', every: '8s' },
      recovery: '3s',
      surge: true,
    },
    drain: '10s',
    thresholds: { loss: '==0' },
  })
  const r = await runCli(['run', file, '--runtime', 'process', '--results-dir', rd.runs], {}, RUN_TIMEOUT_MS)
  assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
  const run = await onlyRun(rd.runs)
  assert.equal(run.meta.complete, true)
  assert.deepEqual(phaseSequence(run).filter(p => p !== 'setup'), ['baseline', 'burst-1', 'baseline', 'drain'])
  const burstAt = run.events.find(e => e.kind === 'phase' && e.detail.startsWith('burst-1:'))
  assert.ok(burstAt !== undefined)
  assert.match(burstAt.detail, /^burst-1: 20 devices at 1\/s each \(20\/s\), surge$/)
  const started = run.events.filter(e => e.kind === 'registration-storm-started' && e.t_s >= burstAt.t_s)
  const finished = run.events.filter(e => e.kind === 'registration-storm-finished' && e.t_s >= burstAt.t_s)
  // fill-first: gateway-0 had the 5 baseline devices and takes 5 more, gateway-1 takes 10
  assert.deepEqual(started.map(e => [e.source, e.detail]).sort(), [
    ['gateway-0', '5 devices joining at once (surge), target 10'],
    ['gateway-1', '10 devices joining at once (surge), target 10'],
  ])
  assert.deepEqual(finished.map(e => e.source).sort(), ['gateway-0', 'gateway-1'])
  for (const e of finished) assert.match(e.detail, /^\d+ devices joined in [\d.]+ s: 10 of 10 registered, 0 failed attempts so far$/)
  assert.ok(run.rows.some(row => row.phase === 'burst-1' && row.devices_active === 20), 'all 20 active in the burst')
  const s = run.summary!
  assert.equal(s.lost, 0)
  assert.equal(s.duplicates, 0)
  assert.equal(s.delivered, s.sent)
  assert.equal(s.devices_peak, 20)
  assert.deepEqual(await leftovers('process', platform), [])
})
