import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { readProcSample, sampleProcess } from '../../../platform/runtime/proc-stats.ts'

// Above any pid_max Linux allows (2^22), so no process has it.
const NO_SUCH_PID = 2 ** 22 + 1

test('readProcSample of this process gives sane values', async () => {
  const a = await readProcSample(process.pid)
  assert.ok(a !== undefined)
  assert.ok(Number.isInteger(a.cpuTicks) && a.cpuTicks >= 0, `cpuTicks ${a.cpuTicks}`)
  assert.ok(Number.isInteger(a.startTicks) && a.startTicks > 0, `startTicks ${a.startTicks}`)
  const rss = process.memoryUsage().rss
  assert.ok(a.rssBytes > rss / 2 && a.rssBytes < rss * 2, `rss ${a.rssBytes} vs ${rss} from node`)
  const b = await readProcSample(process.pid)
  assert.equal(b?.startTicks, a.startTicks, 'the start time names this process')
  assert.ok(b.cpuTicks >= a.cpuTicks)
})

test('a busy loop shows more than half a core in sampleProcess', async t => {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' })
  t.after(() => { child.kill('SIGKILL') })
  await once(child, 'spawn')
  // Past node's startup, and the best of a few samples: other test files may compete for the cores.
  await new Promise(resolve => setTimeout(resolve, 200))
  let sample = await sampleProcess(child.pid!, 500)
  for (let i = 0; i < 3 && sample !== undefined && sample.cpuPercent <= 50; i++) sample = await sampleProcess(child.pid!, 500)
  assert.ok(sample !== undefined)
  assert.ok(sample.cpuPercent > 50 && sample.cpuPercent < 150, `cpu ${sample.cpuPercent}%`)
  assert.ok(sample.rssBytes > 1024 * 1024, `rss ${sample.rssBytes}`)
})

test('an idle process shows little CPU', async t => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' })
  t.after(() => { child.kill('SIGKILL') })
  await once(child, 'spawn')
  const sample = await sampleProcess(child.pid!, 300)
  assert.ok(sample !== undefined)
  assert.ok(sample.cpuPercent < 10, `cpu ${sample.cpuPercent}%`)
})

test('a pid with no process gives undefined', async () => {
  assert.equal(await readProcSample(NO_SUCH_PID), undefined)
  assert.equal(await sampleProcess(NO_SUCH_PID, 10), undefined)
})

test('a zombie (exited, not yet reaped by its parent) gives undefined', async t => {
  // sh starts a short child, then becomes a sleep that never reaps it. The child outlives the exec, so sh
  // itself cannot reap it either.
  const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] })
  t.after(() => { parent.kill('SIGKILL') })
  const [line] = await once(parent.stdout, 'data') as [Buffer]
  const zombie = Number(line.toString().trim())
  const state = async (): Promise<string | undefined> => {
    const text = await readFile(`/proc/${zombie}/stat`, 'utf8')
    return text[text.lastIndexOf(')') + 2] // field 3, after "pid (comm) "
  }
  for (let i = 0; i < 100 && await state() !== 'Z'; i++) await new Promise(resolve => setTimeout(resolve, 20))
  assert.equal(await state(), 'Z', 'the child should be a zombie by now')
  assert.equal(await readProcSample(zombie), undefined)
})

test('a process that ends during the interval gives undefined', async () => {
  const child = spawn('sleep', ['0.1'], { stdio: 'ignore' })
  await once(child, 'spawn')
  assert.equal(await sampleProcess(child.pid!, 500), undefined)
})
