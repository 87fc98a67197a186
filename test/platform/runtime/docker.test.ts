import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createDockerRuntime } from '../../../platform/runtime/docker.ts'
import { labels } from '../../../platform/runtime/types.ts'
import type { ServiceSpec } from '../../../platform/runtime/types.ts'
import { RuntimeUnavailableError } from '../../../lib/errors.ts'
import { logContaining, logPath, nodeSpec, openLab, runtimeContract, waitFor } from './contract.ts'
import { watchStatsContract } from './stats-contract.ts'
import { dockerSkipReason } from '../../helpers.ts'

const skip = await dockerSkipReason()

runtimeContract('docker', () => createDockerRuntime(), { skip })
watchStatsContract('docker', () => createDockerRuntime(), { skip })

test('a stopped service leaves no container behind, running or not', { skip }, async t => {
  const l = await openLab(t, 'docker', () => createDockerRuntime())
  const instance = await l.runtime.start(nodeSpec(l, 'idle', 'setInterval(() => {}, 1000)'))
  const byLabel = { all: true, filters: { label: [`${labels.platform}=${l.platform}`] } }
  assert.equal((await l.runtime.docker.listContainers(byLabel)).length, 1)
  await l.runtime.stop(instance)
  assert.deepEqual(await l.runtime.docker.listContainers(byLabel), [])
})

test('java from the host runs in a container', { skip }, async t => {
  const l = await openLab(t, 'docker', () => createDockerRuntime())
  const spec: ServiceSpec = { ...nodeSpec(l, 'java', ''), command: ['/usr/bin/java', '-version'] }
  await l.runtime.start(spec)
  const log = await waitFor('java -version output', logContaining(logPath(l, 'java'), 'openjdk version'))
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
