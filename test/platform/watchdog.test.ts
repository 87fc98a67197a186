// The watchdog's cleanup when its runner died, on real processes (the process runtime): here the run did not start
// its platform, so only the run's units go (the platform's own services stay); the run folder keeps the services'
// logs and its run.json says why the run is incomplete. (A whole run SIGKILLed through the binary, on both runtimes:
// test/cli/orphans.test.ts.)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openRuntime } from '../../platform/runtime/index.ts'
import type { ServiceSpec } from '../../platform/runtime/types.ts'
import { watchRunner, writeRunnerRecord } from '../../platform/watchdog.ts'
import type { RunMeta } from '../../results/run-folder.ts'

test('a runner that died on a platform it did not start: its units are stopped, the platform\'s services kept, run.json marked, logs kept', { timeout: 60_000 }, async t => {
  const home = await mkdtemp(join(tmpdir(), 'fleetlab-watchdog-'))
  const runtime = await openRuntime(home, 'process')
  const platform = 'exp-units-only'
  t.after(async () => { await runtime.sweep(platform).catch(() => 0); await runtime.close(); await rm(home, { recursive: true, force: true }) })
  const dir = join(home, 'platforms', platform)
  const spec = (service: string, line: string): ServiceSpec => ({
    platform, service, command: ['/bin/sh', '-c', `echo '${line}'; exec sleep 300`], cwd: dir, writablePaths: [dir], readonlyPaths: [], ports: {},
    logFile: join(dir, service, service === 'sink' ? 'sink-{replica}.log' : 'service.log'), stopTimeoutMs: 1000,
  })
  await runtime.start(spec('edge-kafka', 'broker up'))
  await runtime.start(spec('sink', 'sink consuming'), 0)
  await runtime.start(spec('sink', 'sink consuming'), 1)

  const runDir = join(home, 'run')
  await mkdir(runDir, { recursive: true })
  await writeFile(join(runDir, 'run.json'), JSON.stringify({ runId: 'r-1', complete: false, endedAt: null }))
  const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' })
  const pid = Number(gone.stdout.trim())
  await writeRunnerRecord(home, platform, { runId: 'r-1', runDir, pid, startTicks: 1, runtime: 'process', platformStarted: false, keepPlatform: false, startedAt: new Date().toISOString() })

  const lines: string[] = []
  const outcome = await watchRunner({ home, platform, pid, startTicks: 1, openRuntime: kind => openRuntime(home, kind), log: l => lines.push(l), pollMs: 50, stopTimeoutMs: 1000 })
  assert.deepEqual(outcome, { outcome: 'cleaned', stopped: 2 }, lines.join('\n'))
  assert.deepEqual((await runtime.list({ platform })).map(i => i.service), ['edge-kafka'], 'the platform\'s broker stays; the units are gone')
  const meta = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')) as RunMeta
  assert.equal(meta.complete, false)
  assert.ok(meta.endedAt !== null, 'the end is written')
  assert.match(meta.incompleteReason ?? '', new RegExp(`the runner \\(pid ${pid}\\) ended without finishing the run .*its watchdog stopped 2 services`))
  assert.match(await readFile(join(runDir, 'logs', 'sink', 'sink-1.log'), 'utf8'), /sink consuming/)
  assert.match(await readFile(join(runDir, 'logs', 'edge-kafka', 'service.log'), 'utf8'), /broker up/)

  // a finished run is never rewritten
  await writeFile(join(runDir, 'run.json'), JSON.stringify({ runId: 'r-1', complete: true, endedAt: 'then' }))
  await writeRunnerRecord(home, platform, { runId: 'r-1', runDir, pid, startTicks: 1, runtime: 'process', platformStarted: false, keepPlatform: false, startedAt: new Date().toISOString() })
  await watchRunner({ home, platform, pid, startTicks: 1, openRuntime: kind => openRuntime(home, kind), log: l => lines.push(l), pollMs: 50 })
  assert.deepEqual(JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')), { runId: 'r-1', complete: true, endedAt: 'then' })
})
