// ServiceMonitor on both runtimes with a lab's worth of units. Only behaviour is asserted here; what the monitor
// costs is measured by `npm run bench:monitors` (scripts/bench/monitors.ts), since a timed CPU figure in a test is
// a flaky one.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ServiceMonitor, serviceMetric } from '../../control/monitors.ts'
import { MetricsRecorder } from '../../lib/metrics/recorder.ts'
import { sleep } from '../../lib/time.ts'
import { createDockerRuntime } from '../../platform/runtime/docker.ts'
import type { DockerRuntime } from '../../platform/runtime/docker.ts'
import { ProcessRuntime } from '../../platform/runtime/process.ts'
import type { Runtime, ServiceInstance } from '../../platform/runtime/types.ts'
import { nodeSpec, openLab, waitFor } from '../platform/runtime/contract.ts'
import { dockerSkipReason } from '../helpers.ts'

const UNITS = 20
const dockerSkip = await dockerSkipReason()

const stateDirs: string[] = []
after(() => Promise.all(stateDirs.map(dir => rm(dir, { recursive: true, force: true }))))

async function openProcessRuntime (): Promise<ProcessRuntime> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetlab-pids-test-'))
  stateDirs.push(dir)
  return new ProcessRuntime(dir)
}

const runtimes: Array<{ name: string, open: () => Promise<Runtime>, kill: (r: Runtime, i: ServiceInstance) => Promise<void>, skip: string | false }> = [
  {
    name: 'process',
    open: openProcessRuntime,
    kill: async (_r, i) => { process.kill(Number(i.id), 'SIGKILL') },
    skip: false,
  },
  {
    name: 'docker',
    open: () => createDockerRuntime(),
    kill: async (r, i) => { await (r as DockerRuntime).docker.getContainer(i.id).kill() },
    skip: dockerSkip,
  },
]

for (const rt of runtimes) {
  test(`${rt.name}: ${UNITS} units all read every second; one killed from outside is told within 2 s`, { skip: rt.skip, timeout: 240_000 }, async t => {
    const l = await openLab(t, `mon-${rt.name}`, rt.open)
    const names = Array.from({ length: UNITS }, (_, i) => `u${String(i).padStart(2, '0')}`)
    const instances = await Promise.all(names.map(n => l.runtime.start(nodeSpec(l, n, 'setInterval(() => {}, 1000)'))))

    const recorder = new MetricsRecorder()
    const gone: Array<{ instance: ServiceInstance, at: number }> = []
    const monitor = new ServiceMonitor(l.runtime, l.platform, recorder, instance => gone.push({ instance, at: Date.now() }))
    monitor.start()
    t.after(() => monitor.stop())

    await waitFor('a reading of every unit', async () => {
      const s = monitor.snapshot()
      return names.every(n => s.get(n)?.at !== undefined) ? true : undefined
    }, 30_000)
    recorder.drain()

    // Five seconds: each second every unit has a reading from the last two, and its gauges were written.
    const readingsAt = new Map(names.map(n => [n, new Set<number>()]))
    for (let second = 0; second < 5; second++) {
      await sleep(1_000)
      const now = Date.now()
      const snapshot = monitor.snapshot()
      for (const n of names) {
        const s = snapshot.get(n)
        assert.ok(s !== undefined, `${n} is monitored`)
        assert.ok(s.at !== undefined && now - s.at < 2_000, `${n}'s reading is ${s.at === undefined ? 'missing' : `${now - s.at} ms old`}`)
        assert.equal(s.replicas, 1)
        assert.ok(s.memoryBytes > 1024 * 1024, `${n} memory ${s.memoryBytes}`)
        readingsAt.get(n)!.add(s.at)
      }
    }
    for (const [n, at] of readingsAt) assert.ok(at.size >= 4, `${n} had ${at.size} distinct readings in 5 s`)
    const windows = recorder.drain()
    assert.ok(windows.length >= 4, `${windows.length} windows`)
    for (const w of windows) {
      for (const n of names) {
        assert.ok(w.gauges.has(serviceMetric.cpu(n)) && w.gauges.has(serviceMetric.memory(n)), `second ${w.second} has ${n}'s gauges`)
      }
      // host networking: no traffic of their own to count
      assert.ok(![...w.counters.keys()].some(k => k.endsWith('.net_rx_bytes')), 'no network counters for host-network units')
    }
    assert.equal(gone.length, 0, 'nothing gone yet')

    const victim = instances[7]!
    const killedAt = Date.now()
    await rt.kill(l.runtime, victim)
    const told = await waitFor('onGone for the killed unit', async () => gone.find(g => g.instance.id === victim.id), 5_000)
    t.diagnostic(`onGone ${told.at - killedAt} ms after the kill`)
    assert.ok(told.at - killedAt <= 2_000, `told ${told.at - killedAt} ms after the kill`)
    await waitFor('the killed unit to leave the snapshot', async () => monitor.snapshot().has(victim.service) ? undefined : true, 5_000)
    await sleep(1_500)
    assert.deepEqual(gone.map(g => g.instance.id), [victim.id], 'told once, and only of the killed unit')
    assert.equal(monitor.snapshot().size, UNITS - 1)
  })
}
