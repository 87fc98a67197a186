import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ProcessRuntime } from '../../../platform/runtime/process.ts'
import { readProcSample } from '../../../platform/runtime/proc-stats.ts'
import type { ServiceInstance } from '../../../platform/runtime/types.ts'
import { logContaining, logPath, nodeSpec, openLab, runtimeContract, waitFor } from './contract.ts'
import type { Lab } from './contract.ts'
import { watchStatsContract } from './stats-contract.ts'

const stateDirs: string[] = []
after(() => Promise.all(stateDirs.map(dir => rm(dir, { recursive: true, force: true }))))

/** A runtime with a state dir of its own, as `fleetlab` keeps under $FLEETLAB_HOME/pids. */
async function openProcessRuntime (): Promise<ProcessRuntime> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetlab-pids-test-'))
  stateDirs.push(dir)
  return new ProcessRuntime(dir)
}

runtimeContract('process', openProcessRuntime, { skip: false })
watchStatsContract('process', openProcessRuntime, { skip: false })

/** A lab whose runtime keeps its pid records in a dir the test knows, so it can read and forge them. */
async function labWithStateDir (t: Parameters<typeof openLab>[0]): Promise<Lab<ProcessRuntime> & { stateDir: string }> {
  const stateDir = await mkdtemp(join(tmpdir(), 'fleetlab-pids-test-'))
  stateDirs.push(stateDir)
  const l = await openLab(t, 'process', async () => new ProcessRuntime(stateDir))
  return { ...l, stateDir }
}

async function alive (pid: number, startTicks: number): Promise<boolean> {
  return (await readProcSample(pid))?.startTicks === startTicks
}

test('a pid record is written on start and removed on stop', async t => {
  const l = await labWithStateDir(t)
  const instance = await l.runtime.start(nodeSpec(l, 'recorded', 'setInterval(() => {}, 1000)'))
  const recordPath = join(l.stateDir, l.platform, 'recorded.0.json')
  const record = JSON.parse(await readFile(recordPath, 'utf8')) as ServiceInstance & { startTicks: number }
  assert.equal(record.id, instance.id)
  assert.equal(record.startTicks, (await readProcSample(Number(instance.id)))?.startTicks)
  const { startTicks: _ticks, ...rest } = record
  assert.deepEqual(rest, instance)

  await l.runtime.stop(instance)
  await assert.rejects(access(recordPath), { code: 'ENOENT' })
})

test('a record whose pid now belongs to another process counts as gone, and that process is left alone', async t => {
  const l = await labWithStateDir(t)
  const stranger = spawn('sleep', ['30'], { stdio: 'ignore' })
  t.after(() => { stranger.kill('SIGKILL') })
  const pid = stranger.pid!
  const sample = await waitFor('sleep to run', () => readProcSample(pid))

  // What a record looks like after the service died and the kernel gave its pid to something else.
  const instance: ServiceInstance = {
    platform: l.platform, service: 'ghost', replica: 0, runtime: 'process', id: String(pid), ports: {}, startedAt: Date.now() - 60_000,
  }
  const recordPath = join(l.stateDir, l.platform, 'ghost.0.json')
  const writeRecord = async (): Promise<void> => {
    await mkdir(join(l.stateDir, l.platform), { recursive: true })
    await writeFile(recordPath, JSON.stringify({ ...instance, startTicks: sample.startTicks + 1 }))
  }

  await writeRecord()
  assert.deepEqual(await l.runtime.list({ platform: l.platform }), [])
  await assert.rejects(access(recordPath), { code: 'ENOENT' }, 'list() drops the stale record')

  await writeRecord()
  assert.deepEqual(await l.runtime.stats(instance), { running: false, cpuPercent: 0, memoryBytes: 0 })
  await l.runtime.stop(instance, { timeoutMs: 500 })
  assert.equal(await alive(pid, sample.startTicks), true, 'stop() must not signal a stranger')
  await assert.rejects(access(recordPath), { code: 'ENOENT' })

  await writeRecord()
  assert.equal(await l.runtime.sweep(l.platform), 0)
  assert.equal(await alive(pid, sample.startTicks), true, 'sweep() must not signal a stranger')

  const started = await l.runtime.start(nodeSpec(l, 'ghost', 'setInterval(() => {}, 1000)'))
  assert.notEqual(started.id, String(pid))
})

test('stop also ends the children a service forked (its process group)', async t => {
  const l = await labWithStateDir(t)
  const instance = await l.runtime.start(nodeSpec(l, 'forker', `
    const child = require('node:child_process').spawn('sleep', ['60'], { stdio: 'ignore' })
    console.log('child', child.pid)
    setInterval(() => {}, 1000)
  `))
  const log = await waitFor('the child pid', logContaining(logPath(l, 'forker'), 'child '))
  const childPid = Number(/child (\d+)/.exec(log)?.[1])
  const child = await waitFor('the child to run', () => readProcSample(childPid))
  t.after(async () => {
    if (await alive(childPid, child.startTicks)) process.kill(childPid, 'SIGKILL')
  })

  await l.runtime.stop(instance)
  await waitFor('the child to end', async () => await alive(childPid, child.startTicks) ? undefined : true, 3_000)
})
