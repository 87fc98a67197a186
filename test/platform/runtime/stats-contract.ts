// Runtime.watchStats as part of the Runtime contract (contract.ts): registered by docker.test.ts and process.test.ts
// alike, so both runtimes' streams are held to the same readings.
import { describe, test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { sleep } from '../../../lib/time.ts'
import type { Runtime, ServiceInstance, ServiceStatsSample } from '../../../platform/runtime/types.ts'
import { logContaining, logPath, nodeSpec, openLab, waitFor } from './contract.ts'

/**
 * About half a core, and the service's own count of it: every 250 ms a line `cpu {"at":<epoch ms>,"us":<user+system µs>}`
 * from process.cpuUsage(), which counts every thread of the process, as the runtimes do.
 */
const HALF_CORE = `
  const report = () => { const u = process.cpuUsage(); console.log('cpu ' + JSON.stringify({ at: Date.now(), us: u.user + u.system })) }
  report()
  setInterval(report, 250)
  const spin = () => { const end = Date.now() + 20; while (Date.now() < end) {} setTimeout(spin, 20) }
  spin()
`
const IDLE = 'setInterval(() => {}, 1000)'

interface OwnReport { at: number, us: number }

function ownReports (log: string): OwnReport[] {
  return [...log.matchAll(/^cpu (\{.*\})$/gm)].map(m => JSON.parse(m[1]!) as OwnReport)
}

/** Collects a watch's samples; the watch is stopped in the test's cleanup. */
function collect (t: TestContext, runtime: Runtime, instance: ServiceInstance): { samples: ServiceStatsSample[], stop: () => void } {
  const samples: ServiceStatsSample[] = []
  const watch = runtime.watchStats(instance, s => { samples.push(s) })
  t.after(() => watch.stop())
  return { samples, stop: () => watch.stop() }
}

export function watchStatsContract (name: string, open: () => Promise<Runtime>, options: { skip: string | false }): void {
  const prefix = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 12)

  describe(`${name}: Runtime.watchStats`, { skip: options.skip }, () => {
    test('a busy service reads near its own CPU count, with memory; a stopped one ends with running: false', { timeout: 60_000 }, async t => {
      const l = await openLab(t, prefix, open)
      const instance = await l.runtime.start(nodeSpec(l, 'half', HALF_CORE))
      // past node's startup, which would count in the runtime's figure and not in a steady load
      await waitFor('the service to report', logContaining(logPath(l, 'half'), 'cpu '))

      const { samples } = collect(t, l.runtime, instance)
      assert.equal(samples.length, 0, 'watchStats never calls back synchronously')
      await waitFor('six readings', async () => samples.length >= 6 ? true : undefined, 20_000)
      const readings = samples.slice(0, 6)
      for (const s of readings) {
        assert.equal(s.running, true)
        assert.ok(s.memoryBytes > 1024 * 1024, `memory ${s.memoryBytes}`)
        // the lab's containers share the host's network and processes their namespace's: no traffic of their own
        assert.equal(s.networkRxBytes, null)
        assert.equal(s.networkTxBytes, null)
      }
      const gaps = readings.slice(1).map((s, i) => s.at - readings[i]!.at)
      assert.ok(gaps.every(g => g > 500 && g < 2000), `readings about a second apart: ${gaps.join(', ')} ms`)

      // Each reading covers the time since the one before: weighted by those spans, the runtime's CPU over
      // (first.at, last.at]; the service's own over the reports around that span.
      const first = readings[0]!
      const last = readings[readings.length - 1]!
      const watched = readings.slice(1).reduce((sum, s, i) => sum + s.cpuPercent * (s.at - readings[i]!.at), 0) / (last.at - first.at)
      const reports = ownReports(await readFile(logPath(l, 'half'), 'utf8'))
      const from = reports.filter(r => r.at <= first.at).at(-1)
      const to = reports.find(r => r.at >= last.at) ?? await waitFor('a report after the last reading', async () =>
        ownReports(await readFile(logPath(l, 'half'), 'utf8')).find(r => r.at >= last.at))
      assert.ok(from !== undefined, 'a report before the first reading')
      const own = (to.us - from.us) / 1000 / (to.at - from.at) * 100
      t.diagnostic(`watchStats ${watched.toFixed(1)} %, the service's own count ${own.toFixed(1)} % of a core`)
      assert.ok(own > 20, `the service spun ${own.toFixed(1)} % of a core by its own count: too little to compare`)
      assert.ok(Math.abs(watched - own) <= Math.max(10, own * 0.25),
        `watchStats says ${watched.toFixed(1)} %, the service's own count ${own.toFixed(1)} % of a core`)

      await l.runtime.stop(instance)
      const end = await waitFor('the running: false sample', async () => samples.find(s => !s.running), 10_000)
      assert.deepEqual({ ...end, at: 0 }, { at: 0, running: false, cpuPercent: 0, memoryBytes: 0, networkRxBytes: null, networkTxBytes: null })
      assert.equal(samples.at(-1), end, 'nothing after the running: false sample')
      const count = samples.length
      await sleep(1_500)
      assert.equal(samples.length, count, 'nothing after the running: false sample')
    })

    test('an instance that is gone gets one running: false sample, also when its replica runs again; stop() ends a watch', { timeout: 60_000 }, async t => {
      const l = await openLab(t, prefix, open)
      const exited = await l.runtime.start(nodeSpec(l, 'oneshot', `console.log('done')`))
      await waitFor('the service to be gone from list()', async () =>
        (await l.runtime.list({ platform: l.platform })).length === 0 ? true : undefined, 10_000)
      const again = await l.runtime.start(nodeSpec(l, 'oneshot', IDLE))
      assert.equal(again.replica, exited.replica)

      const old = collect(t, l.runtime, exited)
      const current = collect(t, l.runtime, again)
      await waitFor('the gone instance\'s sample', async () => old.samples.length > 0 ? true : undefined, 5_000)
      await waitFor('a reading of the current run', async () => current.samples.length > 0 ? true : undefined, 10_000)
      assert.deepEqual(old.samples.map(s => s.running), [false])
      assert.ok(current.samples.every(s => s.running), 'the current run is not the gone one')

      current.stop()
      const count = current.samples.length
      await sleep(2_500)
      assert.equal(current.samples.length, count, 'no readings after stop()')
      assert.deepEqual(old.samples.map(s => s.running), [false], 'one sample only')
    })
  })
}
