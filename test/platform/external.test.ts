// Bring-your-own clusters: a platform whose brokers are external only checks them, runs the mirror
// between them, and never stops them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKafkaClient } from '../../platform/kafka/index.ts'
import type { ServiceStatus } from '../../platform/status.ts'
import { freePortPair, runCli, uniqueName, waitFor } from '../helpers.ts'

test('a platform on external brokers checks them, mirrors between them and leaves them running', { timeout: 300_000 }, async t => {
  const dir = await mkdtemp(join(tmpdir(), 'fleetlab-ext-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const [edgePort, cloudPort] = [await freePortPair(), await freePortPair()]
  const clusters = uniqueName('t-clusters')
  const lab = uniqueName('t-byo')
  t.after(async () => {
    await runCli(['platform', 'down', '--runtime', 'process', '--name', lab])
    await runCli(['platform', 'down', '--runtime', 'process', '--name', clusters])
  })

  // "The user's clusters": two brokers and no mirror, started by the lab under another name.
  const config = join(dir, 'clusters.json')
  await writeFile(config, JSON.stringify({ name: clusters, edge: { port: edgePort, controllerPort: edgePort + 1 }, cloud: { port: cloudPort, controllerPort: cloudPort + 1 }, mirror: { enabled: false }, lwm2m: { enabled: false } }))
  const base = await runCli(['platform', 'up', '--runtime', 'process', '--config', config, '--json'])
  assert.equal(base.code, 0, base.stderr)
  assert.deepEqual((JSON.parse(base.stdout) as { services: ServiceStatus[] }).services.map(s => s.name).sort(), ['cloud-kafka', 'edge-kafka'])

  const edgeBootstrap = `127.0.0.1:${edgePort}`
  const cloudBootstrap = `127.0.0.1:${cloudPort}`
  const up = await runCli(['platform', 'up', '--runtime', 'process', '--name', lab, '--edge-bootstrap', edgeBootstrap, '--cloud-bootstrap', cloudBootstrap, '--no-lwm2m', '--json'])
  assert.equal(up.code, 0, up.stderr)
  assert.match(up.stderr, /edge-kafka: external at 127\.0\.0\.1:\d+, checking/)
  const rows = (JSON.parse(up.stdout) as { services: ServiceStatus[] }).services
  const byName = new Map(rows.map(r => [r.name, r]))
  assert.equal(byName.get('edge-kafka')?.runtime, 'external')
  assert.equal(byName.get('cloud-kafka')?.runtime, 'external')
  assert.deepEqual(byName.get('edge-kafka')?.bootstrap, [edgeBootstrap])
  assert.equal(byName.get('mirror')?.runtime, 'process')
  assert.ok(rows.every(r => r.healthy))

  const edge = createKafkaClient({ bootstrap: [edgeBootstrap] })
  const cloud = createKafkaClient({ bootstrap: [cloudBootstrap] })
  t.after(async () => { await Promise.all([edge.close(), cloud.close()]) })
  const producer = await edge.producer()
  await producer.send('iot.byo.observations', [{ key: 'dev-1', value: 'hello' }])
  await producer.close()
  await waitFor('the record in the external cloud', async () =>
    (await cloud.topicOffsets('iot.byo.observations')).reduce((s, o) => s + o.high, 0) === 1 ? true : undefined, 30_000)

  const down = await runCli(['platform', 'down', '--name', lab])
  assert.equal(down.code, 0, down.stderr)
  assert.match(down.stdout, /1 services stopped/)
  const still = await runCli(['platform', 'status', '--name', clusters, '--json'])
  assert.equal(still.code, 0, still.stderr)
  assert.ok((JSON.parse(still.stdout) as ServiceStatus[]).every(r => r.healthy), 'the external brokers keep running')
})

test('an external broker that does not answer is a clear timeout error (exit 7)', { timeout: 120_000 }, async t => {
  const port = await freePortPair()
  const name = uniqueName('t-gone')
  t.after(async () => { await runCli(['platform', 'down', '--runtime', 'process', '--name', name]) })
  const r = await runCli(['platform', 'up', '--runtime', 'process', '--name', name, '--edge-bootstrap', `127.0.0.1:${port}`, '--cloud-bootstrap', `127.0.0.1:${port}`, '--no-lwm2m'])
  assert.equal(r.code, 7, r.stderr)
  assert.match(r.stderr, new RegExp(`edge-kafka \\(127\\.0\\.0\\.1:${port}\\) did not answer metadata`))
})
