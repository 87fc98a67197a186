// The Runtime contract (platform/runtime/types.ts) as one suite: every runtime registers it from its own
// test file with its own way to open one, so the docker and process runtimes are held to the same behaviour.
import { describe, test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createConnection, createServer } from 'node:net'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Runtime, ServiceSpec } from '../../../platform/runtime/types.ts'
import { waitFor as waitForValue } from '../../helpers.ts'

export interface Lab<R extends Runtime = Runtime> {
  runtime: R
  /** Unique per test, so containers, records and logs of one test never meet another's. */
  platform: string
  /** Temporary folder: cwd, writable path and logs of the test's services. */
  dir: string
}

/** Opens a runtime on a fresh platform name and temp dir; the cleanup sweeps, closes and removes them. */
export async function openLab<R extends Runtime> (t: Pick<TestContext, 'after'>, prefix: string, open: () => Promise<R>): Promise<Lab<R>> {
  const runtime = await open()
  const platform = `t-${prefix}-${randomBytes(4).toString('hex')}`
  const dir = await mkdtemp(join(tmpdir(), `fleetlab-${prefix}-test-`))
  t.after(async () => {
    await runtime.sweep(platform)
    await runtime.close()
    await rm(dir, { recursive: true, force: true })
  })
  return { runtime, platform, dir }
}

/** A node one-liner as a service. /usr/bin/node, because containers see the host's /usr (docker-image.ts). */
export function nodeSpec (l: Lab, service: string, script: string, ports: Record<string, number> = {}): ServiceSpec {
  return {
    platform: l.platform,
    service,
    command: ['/usr/bin/node', '-e', script],
    env: { GREETING: 'hello from the service' },
    cwd: l.dir,
    writablePaths: [l.dir],
    readonlyPaths: [],
    ports,
    logFile: join(l.dir, 'logs', `${service}-{replica}.log`),
    stopTimeoutMs: 2_000,
  }
}

export function logPath (l: Lab, service: string, replica = 0): string {
  return join(l.dir, 'logs', `${service}-${replica}.log`)
}

export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise(resolve => server.close(resolve))
  assert.ok(address !== null && typeof address === 'object')
  return address.port
}

/** test/helpers.ts' waitFor with this suite's shorter default. */
export function waitFor<T> (what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  return waitForValue(what, probe, timeoutMs)
}

/** A probe for waitFor: the file's text once it contains `needle`. */
export function logContaining (path: string, needle: string): () => Promise<string | undefined> {
  return async () => {
    const text = await readFile(path, 'utf8')
    return text.includes(needle) ? text : undefined
  }
}

export function connects (port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

const gone = { running: false, cpuPercent: 0, memoryBytes: 0 }

/** Registers the contract cases under `name`. `open` gives a fresh runtime per case; each case closes its own. */
export function runtimeContract (name: string, open: () => Promise<Runtime>, options: { skip: string | false }): void {
  const prefix = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 12)

  describe(`${name}: the Runtime contract`, { skip: options.skip }, () => {
    test('a node service listens, logs with its env and replica, reports stats and stops', async t => {
      const l = await openLab(t, prefix, open)
      const port = await freePort()
      // A worker thread spins so the CPU figure has something to show: about one core.
      const spec = nodeSpec(l, 'echo', `
        new (require('node:worker_threads').Worker)('for (;;) {}', { eval: true })
        console.log(process.env.GREETING, 'replica', process.env.FLEETLAB_REPLICA)
        require('node:net').createServer(s => s.end()).listen(${port}, '127.0.0.1')
      `, { tcp: port })

      const started = await l.runtime.start(spec)
      assert.equal(started.runtime, l.runtime.kind)
      assert.equal(started.platform, l.platform)
      assert.equal(started.service, 'echo')
      assert.equal(started.replica, 0)
      assert.deepEqual(started.ports, { tcp: port })
      assert.ok(Math.abs(started.startedAt - Date.now()) < 60_000, `startedAt ${started.startedAt}`)

      assert.deepEqual(await l.runtime.list({ platform: l.platform }), [started])
      assert.deepEqual(await l.runtime.list({ platform: l.platform, service: 'echo' }), [started])
      assert.deepEqual(await l.runtime.list({ platform: l.platform, service: 'other' }), [])

      await waitFor('the port to accept', async () => await connects(port) ? true : undefined)
      const log = await waitFor('the log line', logContaining(logPath(l, 'echo'), 'hello from the service'))
      assert.match(log, /hello from the service replica 0/)

      await assert.rejects(l.runtime.start(spec), { code: 'FLEETLAB_SERVICE_FAILED' })
      assert.equal((await l.runtime.list({ platform: l.platform })).length, 1)

      // On a loaded host the spinning thread may get less than a core for a moment: the best of a few samples.
      let stats = await l.runtime.stats(started)
      for (let i = 0; i < 3 && stats.running && stats.cpuPercent <= 50; i++) stats = await l.runtime.stats(started)
      assert.equal(stats.running, true)
      assert.ok(stats.memoryBytes > 1024 * 1024, `memory ${stats.memoryBytes}`)
      assert.ok(stats.cpuPercent > 50, `cpu ${stats.cpuPercent}% with one spinning thread`)
      assert.ok(stats.cpuPercent < availableParallelism() * 100 + 20, `cpu ${stats.cpuPercent}% is more than the host has`)

      await l.runtime.stop(started)
      assert.deepEqual(await l.runtime.list({ platform: l.platform }), [])
      // stop() resolves once every thread is gone, so the port is free for the next start.
      assert.equal(await connects(port), false)
      assert.deepEqual(await l.runtime.stats(started), gone)
      await l.runtime.stop(started)
    })

    test('a service that ignores SIGTERM is killed after the stop timeout', async t => {
      const l = await openLab(t, prefix, open)
      const spec = nodeSpec(l, 'stubborn', `
        process.on('SIGTERM', () => console.log('ignoring SIGTERM'))
        console.log('up')
        setInterval(() => {}, 1000)
      `)
      const instance = await l.runtime.start(spec)
      await waitFor('the service to start', logContaining(logPath(l, 'stubborn'), 'up'))

      const begin = Date.now()
      await l.runtime.stop(instance, { timeoutMs: 1_000 })
      const took = Date.now() - begin
      assert.ok(took >= 900 && took < 5_000, `stop took ${took} ms`)
      assert.deepEqual(await l.runtime.list({ platform: l.platform }), [])
      assert.deepEqual(await l.runtime.stats(instance), gone)
      assert.match(await readFile(logPath(l, 'stubborn'), 'utf8'), /ignoring SIGTERM/)
    })

    test('scale starts replicas from 0 and stops the highest first', async t => {
      const l = await openLab(t, prefix, open)
      const spec = nodeSpec(l, 'worker', `
        console.log('worker', process.env.FLEETLAB_REPLICA)
        setInterval(() => {}, 1000)
      `)
      const listed = () => l.runtime.list({ platform: l.platform, service: 'worker' })

      const three = await l.runtime.scale(spec, 3)
      assert.deepEqual(three.map(i => i.replica), [0, 1, 2])
      assert.deepEqual(await listed(), three)
      for (const r of [0, 1, 2]) {
        await waitFor(`replica ${r}'s log`, logContaining(logPath(l, 'worker', r), `worker ${r}`))
      }
      assert.deepEqual(await l.runtime.scale(spec, 3), three, 'scaling to the current count changes nothing')

      const one = await l.runtime.scale(spec, 1)
      assert.deepEqual(one, [three[0]], 'replica 0 keeps running untouched')
      assert.deepEqual(await listed(), one)

      assert.deepEqual(await l.runtime.scale(spec, 0), [])
      assert.deepEqual(await listed(), [])
      await assert.rejects(l.runtime.scale(spec, -1), { code: 'FLEETLAB_INVALID_CONFIG' })
    })

    test('sweep removes every service of its platform, and only of its platform, and counts them', async t => {
      const l = await openLab(t, prefix, open)
      const other = await openLab(t, prefix, open)
      const idle = 'setInterval(() => {}, 1000)'
      await l.runtime.scale(nodeSpec(l, 'a', idle), 2)
      await l.runtime.start(nodeSpec(l, 'b', idle))
      const bystander = await other.runtime.start(nodeSpec(other, 'a', idle))
      assert.equal((await l.runtime.list({ platform: l.platform })).length, 3)

      assert.equal(await l.runtime.sweep(l.platform), 3)
      assert.deepEqual(await l.runtime.list({ platform: l.platform }), [])
      assert.equal(await l.runtime.sweep(l.platform), 0)
      assert.deepEqual(await other.runtime.list({ platform: other.platform }), [bystander])
    })

    test('stop and stats of an earlier run of a replica leave the current run alone', { timeout: 20_000 }, async t => {
      const l = await openLab(t, prefix, open)
      const spec = nodeSpec(l, 'again', 'setInterval(() => {}, 1000)')
      const first = await l.runtime.start(spec)
      await l.runtime.stop(first)
      const second = await l.runtime.start(spec)
      assert.notEqual(second.id, first.id)

      assert.deepEqual(await l.runtime.stats(first), gone)
      await l.runtime.stop(first, { timeoutMs: 1_000 })
      assert.deepEqual(await l.runtime.list({ platform: l.platform }), [second])
      assert.equal((await l.runtime.stats(second)).running, true)
    })

    test('a service that exits by itself disappears from list()', async t => {
      const l = await openLab(t, prefix, open)
      const instance = await l.runtime.start(nodeSpec(l, 'oneshot', `console.log('done')`))
      await waitFor('the service to be gone from list()', async () =>
        (await l.runtime.list({ platform: l.platform })).length === 0 ? true : undefined, 10_000)
      assert.match(await readFile(logPath(l, 'oneshot'), 'utf8'), /done/)
      assert.deepEqual(await l.runtime.stats(instance), gone)
      await l.runtime.stop(instance)
      // The replica number is free again.
      const again = await l.runtime.start(nodeSpec(l, 'oneshot', 'setInterval(() => {}, 1000)'))
      assert.equal(again.replica, 0)
    })
  })
}
