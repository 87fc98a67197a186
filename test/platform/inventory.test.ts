// platform ls's inventory (platform/inventory.ts) over a temp home and a runtime that lists fixed instances: which
// names it finds, and which it calls leftovers. The runners are real processes: this test process (alive) and a
// child that has exited (its pid and start time name a process that is gone).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeEntry, listPlatforms } from '../../platform/inventory.ts'
import { defaultPlatformConfig } from '../../platform/config.ts'
import { readProcSample } from '../../platform/runtime/proc-stats.ts'
import type { Runtime, ServiceInstance } from '../../platform/runtime/types.ts'
import { writeState } from '../../platform/state.ts'
import { writeRunnerRecord } from '../../platform/watchdog.ts'
import type { RunnerRecord } from '../../platform/watchdog.ts'

const instance = (platform: string, service: string): ServiceInstance => ({ platform, service, replica: 0, runtime: 'process', id: '1', ports: {}, startedAt: 0 })

test('platform ls: a platform up, a run in progress, a dead run\'s leftover and units nobody owns; an empty folder is no platform', async t => {
  const home = await mkdtemp(join(tmpdir(), 'fleetlab-inventory-'))
  t.after(() => rm(home, { recursive: true, force: true }))
  const self = await readProcSample(process.pid)
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' })
  const record = (runId: string, pid: number, startTicks: number): RunnerRecord => ({
    runId, runDir: '/tmp/x', pid, startTicks, runtime: 'process', platformStarted: true, keepPlatform: false, startedAt: new Date(0).toISOString(),
  })
  await writeState(home, { name: 'default', runtime: 'process', config: { ...defaultPlatformConfig, name: 'default' }, startedAt: 0 })
  await writeRunnerRecord(home, 'exp-live', record('r-live', process.pid, self!.startTicks))
  await writeRunnerRecord(home, 'exp-dead', record('r-dead', Number(dead.stdout.trim()), 1))
  // this process's pid with another start time: a reused pid is not the runner
  await writeRunnerRecord(home, 'exp-reused', record('r-reused', process.pid, self!.startTicks + 1))
  await mkdir(join(home, 'platforms', 'logs-only'), { recursive: true })
  const runtime = {
    kind: 'process',
    list: async () => [instance('default', 'edge-kafka'), instance('exp-live', 'sink'), instance('exp-dead', 'edge-kafka'), instance('orphan', 'gateway')],
  } as unknown as Runtime

  const entries = await listPlatforms(home, [runtime])
  assert.deepEqual(entries.map(e => [e.name, e.instances.length, e.leftover]), [
    ['default', 1, false],
    ['exp-dead', 1, true],
    ['exp-live', 1, false],
    ['exp-reused', 0, true],
    ['orphan', 1, true],
  ])
  const live = entries.find(e => e.name === 'exp-live')!
  assert.equal(live.runnerAlive, true)
  assert.match(describeEntry(live), /^exp-live: run r-live \(runner pid \d+\), 1 running on process$/)
  assert.match(describeEntry(entries.find(e => e.name === 'exp-dead')!), /run r-dead \(runner pid \d+, gone\)/)
  assert.match(describeEntry(entries.find(e => e.name === 'orphan')!), /^orphan: no platform state, 1 running on process$/)
})
