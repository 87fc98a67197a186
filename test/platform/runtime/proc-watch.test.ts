import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { sleep } from '../../../lib/time.ts'
import { readProcSample } from '../../../platform/runtime/proc-stats.ts'
import { ProcStatsWatcher } from '../../../platform/runtime/proc-watch.ts'
import type { ServiceStatsSample } from '../../../platform/runtime/types.ts'
import { waitFor } from '../../helpers.ts'

const INTERVAL_MS = 200

async function started (t: TestContext, command: string, args: string[]): Promise<{ child: ChildProcess, startTicks: number }> {
  const child = spawn(command, args, { stdio: 'ignore' })
  t.after(() => { child.kill('SIGKILL') })
  await once(child, 'spawn')
  const sample = await waitFor('the process to show in /proc', () => readProcSample(child.pid!), 5_000)
  return { child, startTicks: sample.startTicks }
}

/** Timers this process holds (setInterval and setTimeout handles). */
function timers (): number {
  return process.getActiveResourcesInfo().filter(r => r === 'Timeout').length
}

test('a busy process reads about a core, an idle one little, with memory and no network', async t => {
  const busy = await started(t, process.execPath, ['-e', 'for (;;) {}'])
  const idle = await started(t, 'sleep', ['30'])
  const watcher = new ProcStatsWatcher({ intervalMs: INTERVAL_MS })
  const samples = new Map<string, ServiceStatsSample[]>([['busy', []], ['idle', []]])
  const watches = [
    watcher.watch(busy.child.pid!, busy.startTicks, s => samples.get('busy')!.push(s)),
    watcher.watch(idle.child.pid!, idle.startTicks, s => samples.get('idle')!.push(s)),
  ]
  t.after(() => { for (const w of watches) w.stop() })
  await waitFor('five readings each', async () => [...samples.values()].every(s => s.length >= 5) ? true : undefined, 10_000)

  // past node's startup; other test files may compete for the cores, so the best of the readings
  const busiest = Math.max(...samples.get('busy')!.slice(1).map(s => s.cpuPercent))
  assert.ok(busiest > 50 && busiest < 150, `busy loop at ${busiest} %`)
  const idlest = Math.min(...samples.get('idle')!.map(s => s.cpuPercent))
  assert.ok(idlest < 10, `sleep at ${idlest} %`)
  for (const s of [...samples.values()].flat()) {
    assert.equal(s.running, true)
    assert.ok(s.memoryBytes > 0, `memory ${s.memoryBytes}`)
    assert.equal(s.networkRxBytes, null)
    assert.equal(s.networkTxBytes, null)
  }
  const at = samples.get('busy')!.map(s => s.at)
  const gaps = at.slice(1).map((a, i) => a - at[i]!)
  assert.ok(gaps.every(g => g >= INTERVAL_MS / 2 && g < INTERVAL_MS * 3), `readings ${gaps.join(', ')} ms apart`)
})

test('every watched pid shares one timer, which goes with the last watch', async t => {
  const watcher = new ProcStatsWatcher({ intervalMs: INTERVAL_MS })
  const children = await Promise.all([0, 1, 2, 3, 4].map(() => started(t, 'sleep', ['30'])))
  const before = timers()
  const watches = children.map(c => watcher.watch(c.child.pid!, c.startTicks, () => {}))
  t.after(() => { for (const w of watches) w.stop() })
  assert.equal(watcher.size, 5)
  assert.equal(timers(), before + 1)
  for (const w of watches) w.stop()
  assert.equal(watcher.size, 0)
  assert.equal(timers(), before)
})

test('a process killed from outside ends its watch with running: false, and nothing after', async t => {
  const victim = await started(t, 'sleep', ['30'])
  const watcher = new ProcStatsWatcher({ intervalMs: INTERVAL_MS })
  const samples: ServiceStatsSample[] = []
  const watch = watcher.watch(victim.child.pid!, victim.startTicks, s => samples.push(s))
  t.after(() => watch.stop())
  await waitFor('a reading', async () => samples.length > 0 ? true : undefined, 5_000)
  victim.child.kill('SIGKILL')
  const end = await waitFor('the running: false sample', async () => samples.find(s => !s.running), 5_000)
  assert.equal(samples.at(-1), end)
  assert.equal(watcher.size, 0)
  await sleep(INTERVAL_MS * 3)
  assert.equal(samples.at(-1), end, 'nothing after the running: false sample')
})

test('another process under a watched pid (start time differs) is gone at once, though never synchronously', async t => {
  const stranger = await started(t, 'sleep', ['30'])
  const watcher = new ProcStatsWatcher({ intervalMs: INTERVAL_MS })
  const samples: ServiceStatsSample[] = []
  const watch = watcher.watch(stranger.child.pid!, stranger.startTicks + 1, s => samples.push(s))
  t.after(() => watch.stop())
  assert.equal(samples.length, 0)
  await waitFor('the running: false sample', async () => samples.length > 0 ? true : undefined, 1_000)
  assert.deepEqual(samples.map(s => s.running), [false])
})

test('stop() ends a watch: no reading after it', async t => {
  const child = await started(t, 'sleep', ['30'])
  const watcher = new ProcStatsWatcher({ intervalMs: INTERVAL_MS })
  const samples: ServiceStatsSample[] = []
  const watch = watcher.watch(child.child.pid!, child.startTicks, s => samples.push(s))
  t.after(() => watch.stop())
  await waitFor('a reading', async () => samples.length > 0 ? true : undefined, 5_000)
  watch.stop()
  const count = samples.length
  await sleep(INTERVAL_MS * 3)
  assert.equal(samples.length, count)
})
