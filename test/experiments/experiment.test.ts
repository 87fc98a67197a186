// The lifecycle: default hooks delegate to the run session, a subclass adds to a step and calls super.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { InvalidConfigError } from '../../lib/errors.ts'
import { CapacityExperiment, Experiment, LinearExperiment, StepExperiment, experimentClasses, lifecycle } from '../../experiments/index.ts'
import type { RunSession, Workload } from '../../experiments/index.ts'

function fakeSession (calls: string[], abortAfter?: string): RunSession {
  const controller = new AbortController()
  const step = (name: string) => async (): Promise<void> => { calls.push(name); if (name === abortAfter) controller.abort() }
  const config = new StepExperiment({ workload: { steps: [{ devices: 1, duration: '1s' }] } }).config
  return {
    runId: 'r1', runDir: '/tmp/r1', config, seed: 1, signal: controller.signal,
    event: (kind, source, detail) => { calls.push(`event ${kind} ${source} ${detail}`) },
    platformUp: step('platformUp'), fleetSetup: step('fleetSetup'), monitorsStart: step('monitorsStart'),
    runWorkload: async (w: Workload) => { calls.push(`runWorkload ${w.durationMs}`) },
    drain: step('drain'), reconcile: step('reconcile'), cleanup: step('cleanup'),
  }
}

test('run() calls every hook in order, each default delegating to the session', async () => {
  const calls: string[] = []
  const e = new LinearExperiment({ workload: { devices: 5, hold: '10s' } })
  await e.run(fakeSession(calls))
  assert.deepEqual(calls, ['platformUp', 'fleetSetup', 'monitorsStart', 'runWorkload 10000', 'drain', 'reconcile', 'cleanup'])
  assert.deepEqual(lifecycle, ['configure', 'platformUp', 'fleetSetup', 'monitorsStart', 'workload', 'drain', 'reconcile', 'cleanup'])
})

test('a subclass overrides a hook and calls super', async () => {
  class Mine extends LinearExperiment {
    constructor () { super({ name: 'mine', workload: { devices: 5, hold: '10s' } }) }
    override async configure (run: RunSession): Promise<void> { run.event('note', 'mine', 'configure') }
    override async fleetSetup (run: RunSession): Promise<void> {
      run.event('note', 'mine', 'before fleet')
      await super.fleetSetup(run)
      run.event('note', 'mine', `after fleet of ${this.config.workload.mode}`)
    }
  }
  const calls: string[] = []
  const e = new Mine()
  assert.ok(e instanceof Experiment)
  assert.equal(e.name, 'mine')
  assert.equal(e.kind, 'linear')
  await e.run(fakeSession(calls))
  assert.deepEqual(calls.slice(0, 5), ['event note mine configure', 'platformUp', 'event note mine before fleet', 'fleetSetup', 'event note mine after fleet of ramp'])
})

test('cleanup runs after a failing hook and after Ctrl-C', async () => {
  class Failing extends LinearExperiment {
    override async monitorsStart (): Promise<void> { throw new Error('boom') }
  }
  const calls: string[] = []
  await assert.rejects(new Failing({ workload: { devices: 5, hold: '10s' } }).run(fakeSession(calls)), /boom/)
  assert.deepEqual(calls, ['platformUp', 'fleetSetup', 'cleanup'])
  const aborted: string[] = []
  await new LinearExperiment({ workload: { devices: 5, hold: '10s' } }).run(fakeSession(aborted, 'fleetSetup'))
  assert.deepEqual(aborted, ['platformUp', 'fleetSetup', 'cleanup'])
})

test('constructors validate through the schema, every problem at once', () => {
  assert.throws(() => new LinearExperiment({ drain: 'soon', workload: { devices: -3, hold: '1s' } } as never), (err: unknown) => {
    assert.ok(err instanceof InvalidConfigError)
    assert.deepEqual(err.problems, ['drain: expected a duration such as 30s, 5m, got "soon"', 'workload.devices: expected a number of devices 0-1,000,000 (or { from, to } for a ramp), got -3'])
    return true
  })
})

test('each kind has its class; capacity makes a fresh search each time', () => {
  assert.deepEqual(Object.keys(experimentClasses), ['linear', 'burst', 'step', 'replay', 'capacity'])
  const c = new CapacityExperiment({ workload: { start: 10, maxDevices: 100 } })
  assert.notEqual(c.createWorkload(), c.createWorkload())
  assert.equal(c.createWorkload().at(0).devices, 10)
})
