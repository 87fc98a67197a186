// Nothing a run starts outlives its runner (issue 10 §1): `fleetlab run` through the real binary, killed with SIGKILL
// in the middle of its workload, on both runtimes. Its watchdog (platform/watchdog.ts) must have stopped every
// service and unit of the run (brokers, MirrorMaker 2, the LWM2M server, gateways, sinks) within 10 s. And a run
// started with npx, whose npm gets SIGTERM (npm's sh -c does not pass it on), stops as on SIGTERM (cli/launcher.ts).
// (SIGINT through ./fleetlab: test/cli/run.test.ts.)
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { access, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fleetlabHome, platformDir } from '../../lib/home.ts'
import { openRuntime } from '../../platform/runtime/index.ts'
import type { RuntimeKind } from '../../platform/runtime/types.ts'
import { runnerRecordPath, writeRunnerRecord } from '../../platform/watchdog.ts'
import type { RunMeta } from '../../results/run-folder.ts'
import { runCli, uniqueName, waitFor, dockerSkipReason } from '../helpers.ts'
import { leftovers, onlyRun, runDir, spawnCli, waitForProgress, writeExperiment } from '../experiments/run/fixtures.ts'
import type { RunDir } from '../experiments/run/fixtures.ts'

const dockerSkip = await dockerSkipReason()
/** The bound: no service of the run 10 s after its runner was killed. */
const CLEAN_WITHIN_MS = 10_000

/** A run of 20 devices with a 120 s hold, started `via`, once its hold has begun. */
async function runInHold (t: TestContext, kind: RuntimeKind, via: 'node' | 'npx' = 'node'): Promise<{ platform: string, rd: RunDir, cli: ReturnType<typeof spawnCli> }> {
  const platform = uniqueName(`t-orphan-${kind.slice(0, 4)}`)
  const rd = await runDir(t, kind, [platform])
  const file = await writeExperiment(rd.dir, 'killed', {
    kind: 'linear',
    platform: { name: platform },
    workload: { devices: 20, rate: '2/s', hold: '120s' },
    drain: '5s',
  })
  const cli = spawnCli(rd, ['run', file, '--runtime', kind, '--results-dir', rd.runs], via)
  await waitForProgress(cli, /\[ +\d+s\] hold +devices 20\/20/, 'its hold', 300_000)
  return { platform, rd, cli }
}

async function killedMidRun (t: TestContext, kind: RuntimeKind): Promise<void> {
  const { platform, rd, cli } = await runInHold(t, kind)
  const running = await leftovers(kind, platform)
  const names = new Set(running.map(i => i.service))
  for (const service of ['edge-kafka', 'cloud-kafka', 'mirror', 'lwm2m-server', 'gateway', 'sink']) {
    assert.ok(names.has(service), `${service} runs before the kill (running: ${[...names].join(', ')})`)
  }
  await access(runnerRecordPath(fleetlabHome(), platform))

  const t0 = Date.now()
  cli.child.kill('SIGKILL')
  await cli.exited
  let left = running
  while (left.length > 0 && Date.now() - t0 < CLEAN_WITHIN_MS + 20_000) {
    await new Promise(resolve => setTimeout(resolve, 250))
    left = await leftovers(kind, platform)
  }
  const cleanMs = Date.now() - t0
  t.diagnostic(`${kind} runtime: ${running.length} services and units running at the kill; none left ${(cleanMs / 1000).toFixed(1)} s after it`)
  assert.deepEqual(left.map(i => `${i.service}-${i.replica}`), [], `left ${cleanMs} ms after the kill`)
  assert.ok(cleanMs <= CLEAN_WITHIN_MS, `the run's services were gone ${cleanMs} ms after the runner was killed (bound ${CLEAN_WITHIN_MS} ms)`)
  // the watchdog said what it did, in the run folder, and the platform's record and folder went with it
  const [id] = await readdir(rd.runs)
  const meta = JSON.parse(await readFile(join(rd.runs, id!, 'run.json'), 'utf8')) as RunMeta
  assert.equal(meta.complete, false)
  const logFile = join(rd.runs, id!, 'logs', 'watchdog.log')
  const log = await waitFor('the watchdog\'s last line', async () => {
    const text = await readFile(logFile, 'utf8')
    return /stopped \d+ services of run /.test(text) ? text : undefined
  }, 20_000)
  assert.match(log, /is gone without stopping what it started/)
  assert.match(log, /run\.json marked incomplete/)
  const marked = JSON.parse(await readFile(join(rd.runs, id!, 'run.json'), 'utf8')) as RunMeta
  assert.ok(marked.endedAt !== null, 'the watchdog wrote the end')
  assert.match(marked.incompleteReason ?? '', /the runner \(pid \d+\) ended without finishing the run \(killed, or out of memory\)/)
  // what the services said is kept with the run, as when a run ends (their folder went with the platform)
  const kept = await readdir(join(rd.runs, id!, 'logs'), { recursive: true })
  for (const log of ['lwm2m-server/service.log', 'edge-kafka/service.log', 'gateway/0/gateway.log', 'sink/sink-0.log']) assert.ok(kept.includes(log), `${log} kept (logs: ${kept.join(', ')})`)
  await assert.rejects(access(platformDir(fleetlabHome(), platform)))
}

test('SIGKILL of the runner mid-run (process runtime): its watchdog stops every service and unit of the run within 10 s', { timeout: 400_000 }, async t => {
  await killedMidRun(t, 'process')
})

test('SIGKILL of the runner mid-run (docker runtime): its watchdog stops every container of the run within 10 s', { skip: dockerSkip, timeout: 500_000 }, async t => {
  await killedMidRun(t, 'docker')
})

test('SIGTERM to npx, which started the run: the run sees its launcher go and stops as on SIGTERM, partial results marked incomplete, nothing left', { timeout: 400_000 }, async t => {
  const { platform, rd, cli } = await runInHold(t, 'process', 'npx')
  // platform ls shows the run in progress, its runner alive
  const ls = await runCli(['platform', 'ls', '--json'], {}, 30_000)
  const entry = (JSON.parse(ls.stdout) as Array<{ name: string, services: string[], run: string | null, runnerAlive: boolean | null, leftover: boolean }>).find(e => e.name === platform)
  assert.ok(entry !== undefined && entry.run !== null && entry.runnerAlive === true && !entry.leftover, `platform ls: ${ls.stdout}`)
  assert.ok(entry.services.includes('sink-0') && entry.services.includes('gateway-0') && entry.services.includes('edge-kafka-0'), entry.services.join(', '))
  const t0 = Date.now()
  cli.child.kill('SIGTERM')
  // npx exits at once; the runner, reparented, goes on alone until it notices and stops
  await cli.exited
  const record = runnerRecordPath(fleetlabHome(), platform)
  const deadline = Date.now() + 60_000
  let meta: RunMeta | undefined
  while (Date.now() < deadline) {
    const [id] = await readdir(rd.runs)
    meta = JSON.parse(await readFile(join(rd.runs, id!, 'run.json'), 'utf8')) as RunMeta
    if (meta.endedAt !== null && await access(record).then(() => false, () => true)) break
    await new Promise(resolve => setTimeout(resolve, 250))
  }
  t.diagnostic(`the run ended ${((Date.now() - t0) / 1000).toFixed(1)} s after npx got SIGTERM`)
  assert.ok(meta !== undefined && meta.endedAt !== null, 'the run wrote its end')
  const run = await onlyRun(rd.runs)
  assert.equal(run.meta.complete, false)
  assert.match(run.meta.incompleteReason ?? '', /interrupted \(SIGTERM\)/)
  assert.ok(run.summary !== null && (run.summary.sent ?? 0) > 0, 'partial results written')
  assert.equal(run.summary.sent, (run.summary.delivered ?? NaN) + (run.summary.lost ?? NaN))
  assert.ok(run.events.some(e => e.kind === 'interrupted'), 'an interrupted event')
  await waitForNone(platform)
})

async function waitForNone (platform: string): Promise<void> {
  const deadline = Date.now() + 30_000
  let left = await leftovers('process', platform)
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 250))
    left = await leftovers('process', platform)
  }
  assert.deepEqual(left.map(i => `${i.service}-${i.replica}`), [])
}

test('platform ls names a leftover (a unit whose run died with its watchdog) and platform down --all ends it', { timeout: 60_000 }, async t => {
  const home = await mkdtemp(join(tmpdir(), 'fleetlab-ls-'))
  const runtime = await openRuntime(home, 'process')
  t.after(async () => { await runtime.sweep('exp-left').catch(() => 0); await runtime.close(); await rm(home, { recursive: true, force: true }) })
  const dir = join(home, 'platforms', 'exp-left')
  await runtime.start({ platform: 'exp-left', service: 'sink', command: ['/bin/sleep', '300'], cwd: dir, writablePaths: [dir], readonlyPaths: [], ports: {}, logFile: join(dir, 'sink-{replica}.log') })
  // its runner: a process that has exited
  const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' })
  await writeRunnerRecord(home, 'exp-left', { runId: 'r-left', runDir: home, pid: Number(gone.stdout.trim()), startTicks: 1, runtime: 'process', platformStarted: false, keepPlatform: false, startedAt: new Date().toISOString() })
  const env = { FLEETLAB_HOME: home }
  const ls = await runCli(['platform', 'ls', '--json'], env, 30_000)
  assert.equal(ls.code, 0, ls.stderr)
  const entries = JSON.parse(ls.stdout) as Array<{ name: string, services: string[], run: string | null, runnerAlive: boolean | null, leftover: boolean }>
  const mine = entries.find(e => e.name === 'exp-left')
  assert.deepEqual(mine, { name: 'exp-left', runtimes: ['process'], services: ['sink-0'], run: 'r-left', runnerPid: Number(gone.stdout.trim()), runnerAlive: false, leftover: true })
  const text = await runCli(['platform', 'ls'], env, 30_000)
  assert.match(text.stdout, /exp-left +process +1 +run r-left +LEFTOVER/)
  assert.match(text.stderr, /1 leftover: nothing owns it any more; fleetlab platform down --name <name>, or --all/)
  // down --all ends every platform on the machine: the containers of another home would go too, so not while any run
  const others = entries.filter(e => e.name !== 'exp-left')
  if (others.length > 0) { t.diagnostic(`down --all not tried: other platforms run here (${others.map(e => e.name).join(', ')})`); return }
  const down = await runCli(['platform', 'down', '--all'], env, 30_000)
  assert.equal(down.code, 0, down.stderr)
  assert.match(down.stdout, /platform 'exp-left' down: 1 services stopped/)
  assert.deepEqual(await runtime.list({ platform: 'exp-left' }), [])
  const after = await runCli(['platform', 'ls'], env, 30_000)
  assert.match(after.stdout, /no platform or run on this machine/)
})
