import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { createDockerRuntime, dockerAvailable } from '../../../platform/runtime/docker.ts'
import type { DockerRuntime } from '../../../platform/runtime/docker.ts'
import { labels } from '../../../platform/runtime/types.ts'
import type { ServiceSpec } from '../../../platform/runtime/types.ts'
import { RuntimeUnavailableError } from '../../../lib/errors.ts'

const skip = await dockerAvailable() ? false : 'no docker engine answers (set DOCKER_HOST or start dockerd)'

interface Lab { runtime: DockerRuntime, platform: string, dir: string }

async function lab (t: { after: (fn: () => Promise<void>) => void }): Promise<Lab> {
  const runtime = await createDockerRuntime()
  const platform = `t-docker-${randomBytes(4).toString('hex')}`
  const dir = await mkdtemp(join(tmpdir(), 'fleetlab-docker-test-'))
  t.after(async () => {
    await runtime.sweep(platform)
    await runtime.close()
    await rm(dir, { recursive: true, force: true })
  })
  return { runtime, platform, dir }
}

function nodeSpec (l: Lab, service: string, script: string, ports: Record<string, number> = {}): ServiceSpec {
  return {
    platform: l.platform,
    service,
    command: ['/usr/bin/node', '-e', script],
    env: { GREETING: 'hello from the container' },
    cwd: l.dir,
    writablePaths: [l.dir],
    readonlyPaths: [],
    ports,
    logFile: join(l.dir, 'logs', `${service}-{replica}.log`),
    stopTimeoutMs: 2_000,
  }
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise(resolve => server.close(resolve))
  assert.ok(address !== null && typeof address === 'object')
  return address.port
}

async function waitFor<T> (what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

function readLog (path: string, needle: string): () => Promise<string | undefined> {
  return async () => {
    const text = await readFile(path, 'utf8')
    return text.includes(needle) ? text : undefined
  }
}

function connects (port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

test('a node service runs on the host network, logs to the host and stops cleanly', { skip }, async t => {
  const l = await lab(t)
  const port = await freePort()
  const spec = nodeSpec(l, 'echo', `
    console.log(process.env.GREETING, 'replica', process.env.FLEETLAB_REPLICA)
    require('node:net').createServer(s => s.end()).listen(${port}, '127.0.0.1')
  `, { tcp: port })

  const started = await l.runtime.start(spec)
  assert.equal(started.runtime, 'docker')
  assert.equal(started.replica, 0)

  const listed = await l.runtime.list({ platform: l.platform })
  assert.equal(listed.length, 1)
  assert.deepEqual(listed[0], started)

  await waitFor('the port to accept', async () => await connects(port) ? true : undefined)
  const log = await waitFor('the log line', readLog(join(l.dir, 'logs', 'echo-0.log'), 'hello from the container'))
  assert.match(log, /hello from the container replica 0/)

  await assert.rejects(l.runtime.start(spec), { code: 'FLEETLAB_SERVICE_FAILED' })

  const stats = await l.runtime.stats(started)
  assert.equal(stats.running, true)
  assert.ok(stats.memoryBytes > 1024 * 1024, `memory ${stats.memoryBytes}`)
  assert.ok(stats.cpuPercent >= 0)

  await l.runtime.stop(started)
  assert.deepEqual(await l.runtime.list({ platform: l.platform }), [])
  const all = await l.runtime.docker.listContainers({ all: true, filters: { label: [`${labels.platform}=${l.platform}`] } })
  assert.deepEqual(all, [])
  assert.deepEqual(await l.runtime.stats(started), { running: false, cpuPercent: 0, memoryBytes: 0 })
  await l.runtime.stop(started)
})

test('a service that ignores SIGTERM is killed after the stop timeout', { skip }, async t => {
  const l = await lab(t)
  const spec = nodeSpec(l, 'stubborn', `
    process.on('SIGTERM', () => console.log('ignoring SIGTERM'))
    console.log('up')
    setInterval(() => {}, 1000)
  `)
  const instance = await l.runtime.start(spec)
  const logFile = join(l.dir, 'logs', 'stubborn-0.log')
  await waitFor('the service to start', readLog(logFile, 'up'))

  const begin = Date.now()
  await l.runtime.stop(instance, { timeoutMs: 1_000 })
  const took = Date.now() - begin
  assert.ok(took >= 900 && took < 5_000, `stop took ${took} ms`)
  assert.deepEqual(await l.runtime.list({ platform: l.platform }), [])
  assert.match(await readFile(logFile, 'utf8'), /ignoring SIGTERM/)
})

test('scale starts and stops replicas, highest first', { skip }, async t => {
  const l = await lab(t)
  const spec = nodeSpec(l, 'worker', 'setInterval(() => {}, 1000)')
  const replicas = async (): Promise<number[]> => (await l.runtime.list({ platform: l.platform, service: 'worker' })).map(i => i.replica)

  assert.deepEqual((await l.runtime.scale(spec, 3)).map(i => i.replica), [0, 1, 2])
  assert.deepEqual(await replicas(), [0, 1, 2])
  assert.deepEqual((await l.runtime.scale(spec, 1)).map(i => i.replica), [0])
  assert.deepEqual((await l.runtime.scale(spec, 0)).map(i => i.replica), [])
  assert.deepEqual(await replicas(), [])
})

test('java from the host runs in a container', { skip }, async t => {
  const l = await lab(t)
  const spec: ServiceSpec = { ...nodeSpec(l, 'java', ''), command: ['/usr/bin/java', '-version'] }
  await l.runtime.start(spec)
  const log = await waitFor('java -version output', readLog(join(l.dir, 'logs', 'java-0.log'), 'openjdk version'))
  assert.match(log, /OpenJDK .*VM/)
})

test('an engine that does not answer is a RuntimeUnavailableError', async () => {
  await assert.rejects(createDockerRuntime({ socketPath: '/nonexistent.sock' }), (err: unknown) => {
    assert.ok(err instanceof RuntimeUnavailableError)
    assert.equal(err.code, 'FLEETLAB_RUNTIME_UNAVAILABLE')
    assert.match(err.message, /unix:\/\/\/nonexistent\.sock/)
    assert.match(err.hint ?? '', /--runtime process/)
    return true
  })
})
