// The embedded platform end to end, on both runtimes, driven through the real CLI: records cross the mirror
// both ways and only once, a Kafka client nobody here wrote (kcat) sees the same, virtual devices at the
// LWM2M server reach the cloud Kafka, and `down` leaves nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fleetlabHome, platformDir } from '../../lib/home.ts'
import { createKafkaClient } from '../../platform/kafka/index.ts'
import type { KafkaClient } from '../../platform/kafka/index.ts'
import { createDockerRuntime } from '../../platform/runtime/docker.ts'
import { labels } from '../../platform/runtime/types.ts'
import type { RuntimeKind } from '../../platform/runtime/types.ts'
import type { ServiceStatus } from '../../platform/status.ts'
import { freePortPair, runCli, uniqueName, waitFor, dockerSkipReason } from '../helpers.ts'

const run = promisify(execFile)
const dockerSkip = await dockerSkipReason()

async function consumeOne (client: KafkaClient, topic: string, timeoutMs: number): Promise<{ key: string, value: string, ms: number }> {
  const t0 = Date.now()
  let got: { key: string, value: string, ms: number } | undefined
  const consumer = await client.consume({
    groupId: uniqueName('t-group'),
    topics: [topic],
    fromBeginning: true,
    onRecord: r => { got ??= { key: r.key?.toString() ?? '', value: r.value?.toString() ?? '', ms: Date.now() - t0 } },
  })
  try {
    return await waitFor(`a record on ${topic}`, async () => got, timeoutMs)
  } finally {
    await consumer.close()
  }
}

async function highWatermark (client: KafkaClient, topic: string): Promise<number> {
  return (await client.topicOffsets(topic)).reduce((s, o) => s + o.high, 0)
}

for (const kind of ['process', 'docker'] as RuntimeKind[]) {
  test(`platform up, mirror both ways, status and down on the ${kind} runtime`, { skip: kind === 'docker' ? dockerSkip : false, timeout: 300_000 }, async t => {
    const name = uniqueName(`t-${kind}`)
    const [edgePort, cloudPort, lwm2mPort] = [await freePortPair(), await freePortPair(), await freePortPair()]
    const common = ['--runtime', kind, '--name', name]
    t.after(async () => { await runCli(['platform', 'down', ...common]) })

    const up = await runCli(['platform', 'up', ...common, '--edge-port', String(edgePort), '--cloud-port', String(cloudPort), '--lwm2m-port', String(lwm2mPort), '--json'])
    assert.equal(up.code, 0, `platform up failed:\n${up.stderr}`)
    const upJson = JSON.parse(up.stdout) as { runtime: string, healthyMs: number, services: ServiceStatus[] }
    assert.equal(upJson.runtime, kind)
    assert.deepEqual(upJson.services.map(s => [s.name, s.healthy]).sort(), [['cloud-kafka', true], ['edge-kafka', true], ['lwm2m-server', true], ['mirror', true]])

    const again = await runCli(['platform', 'up', ...common, '--edge-port', String(edgePort), '--cloud-port', String(cloudPort), '--lwm2m-port', String(lwm2mPort)])
    assert.equal(again.code, 8, `a second up should say the platform is up:\n${again.stderr}`)
    assert.match(again.stderr, /already up/)

    const status = await runCli(['platform', 'status', ...common, '--json'])
    assert.equal(status.code, 0, status.stderr)
    const rows = JSON.parse(status.stdout) as ServiceStatus[]
    const byName = new Map(rows.map(r => [r.name, r]))
    assert.deepEqual([...byName.keys()].sort(), ['cloud-kafka', 'edge-kafka', 'lwm2m-server', 'mirror'])
    assert.deepEqual(byName.get('lwm2m-server')?.ports, { coap: lwm2mPort })
    assert.deepEqual(byName.get('edge-kafka')?.bootstrap, [`127.0.0.1:${edgePort}`])
    assert.deepEqual(byName.get('cloud-kafka')?.bootstrap, [`127.0.0.1:${cloudPort}`])
    assert.equal(byName.get('mirror')?.bootstrap, undefined)
    for (const r of rows) {
      assert.equal(r.runtime, kind)
      assert.equal(r.healthy, true, `${r.name} unhealthy`)
      assert.ok(r.id !== null && r.id !== '', `${r.name} has an id`)
      // A real reading of a live JVM or node: the LWM2M server from its bundle holds about 30 MB in a container.
      assert.ok((r.memoryBytes ?? 0) > 10 * 1024 * 1024, `${r.name} memory ${r.memoryBytes}`)
      assert.ok((r.cpuPercent ?? -1) >= 0)
    }
    const table = await runCli(['platform', 'status', ...common])
    assert.match(table.stdout, /SERVICE\s+RUNTIME\s+ID\s+PORTS\s+CPU %\s+MEMORY\s+HEALTHY/)

    const edge = createKafkaClient({ bootstrap: [`127.0.0.1:${edgePort}`] })
    const cloud = createKafkaClient({ bootstrap: [`127.0.0.1:${cloudPort}`] })
    t.after(async () => { await Promise.all([edge.close(), cloud.close()]) })

    // edge -> cloud, names kept
    const edgeProducer = await edge.producer()
    await edgeProducer.send('iot.gw1.observations', [{ key: 'dev-1', value: `obs-${name}` }])
    await edgeProducer.close()
    const crossedUp = await consumeOne(cloud, 'iot.gw1.observations', 30_000)
    assert.deepEqual([crossedUp.key, crossedUp.value], ['dev-1', `obs-${name}`])

    // cloud -> edge for management requests
    const cloudProducer = await cloud.producer()
    await cloudProducer.send('iot.gw1.management.req', [{ key: 'dev-1', value: `req-${name}` }])
    await cloudProducer.close()
    const crossedDown = await consumeOne(edge, 'iot.gw1.management.req', 30_000)
    assert.deepEqual([crossedDown.key, crossedDown.value], ['dev-1', `req-${name}`])

    // kcat (librdkafka) produces at the edge and consumes in the cloud
    const kcatTopic = 'iot.gw2.observations'
    await run('sh', ['-c', `printf 'dev-9:kcat-${name}\\n' | kcat -P -b 127.0.0.1:${edgePort} -t ${kcatTopic} -K:`])
    const kcatSeen = await waitFor('kcat to read the record in the cloud', async () => {
      const { stdout } = await run('kcat', ['-C', '-b', `127.0.0.1:${cloudPort}`, '-t', kcatTopic, '-o', 'beginning', '-e', '-q', '-f', '%k=%s\\n'], { timeout: 10_000 })
      return stdout.includes(`dev-9=kcat-${name}`) ? stdout : undefined
    }, 30_000)
    assert.equal(kcatSeen.trim(), `dev-9=kcat-${name}`)

    // Virtual devices at the platform's LWM2M server: registrations and every notification reach the cloud
    const fleet = await runCli(['devices', '--server', `coap://127.0.0.1:${lwm2mPort}`, '--count', '5', '--rate', '2/s', '--duration', '6s', '--json'])
    assert.equal(fleet.code, 0, fleet.stderr)
    const summary = JSON.parse(fleet.stdout) as { notificationsSent: number, everRegistered: number }
    assert.equal(summary.everRegistered, 5)
    assert.ok(summary.notificationsSent >= 20, `${summary.notificationsSent} notifications`)
    await waitFor('every notification in the cloud', async () =>
      await highWatermark(cloud, 'iot.gw1.observations') === 1 + summary.notificationsSent ? true : undefined, 30_000)
    await waitFor('5 NEW and 5 DELETE registrations in the cloud', async () =>
      await highWatermark(cloud, 'iot.gw1.registrations') === 10 ? true : undefined, 30_000)

    // Nothing mirrors twice: after several topic refreshes each topic still holds exactly one record on
    // each side, and no prefixed copy (edge.iot..., cloud.iot...) exists anywhere.
    await new Promise(resolve => setTimeout(resolve, 8_000))
    for (const topic of ['iot.gw1.observations', 'iot.gw1.management.req', kcatTopic]) {
      const expected = topic === 'iot.gw1.observations' ? 1 + summary.notificationsSent : 1
      assert.equal(await highWatermark(edge, topic), expected, `edge ${topic}`)
      assert.equal(await highWatermark(cloud, topic), expected, `cloud ${topic}`)
    }
    assert.equal(await highWatermark(cloud, 'iot.gw1.registrations'), 10)
    for (const client of [edge, cloud]) {
      const prefixed = (await client.listTopics()).filter(tn => /^(edge|cloud)\.iot\./.test(tn))
      assert.deepEqual(prefixed, [])
    }

    const ids = rows.map(r => r.id!)
    const down = await runCli(['platform', 'down', ...common])
    assert.equal(down.code, 0, down.stderr)
    assert.match(down.stdout, /4 services stopped/)
    if (kind === 'process') {
      for (const pid of ids) {
        const stat = await run('sh', ['-c', `cat /proc/${pid}/stat 2>/dev/null | cut -d' ' -f3 || true`])
        assert.ok(stat.stdout.trim() === '' || stat.stdout.trim() === 'Z', `pid ${pid} still runs`)
      }
      const { stdout } = await run('sh', ['-c', `pgrep -f '[p]latforms/${name}/' || true`])
      assert.equal(stdout.trim(), '', 'no process of the platform left')
    } else {
      const runtime = await createDockerRuntime()
      const left = await runtime.docker.listContainers({ all: true, filters: { label: [`${labels.platform}=${name}`] } })
      await runtime.close()
      assert.deepEqual(left, [], 'no container of the platform left, running or not')
    }
    await assert.rejects(access(join(platformDir(fleetlabHome(), name), 'platform.json')))
    const after = await runCli(['platform', 'status', ...common, '--json'])
    assert.deepEqual(JSON.parse(after.stdout), [])
  })
}
