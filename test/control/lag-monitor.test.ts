// The consumer-lag monitor against a real broker: lag read from the group's committed offsets, so a consumer that
// stops working shows its lag growing and its partitions STALL, while a consumer that keeps up reads OK and 0.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConsumerLagMonitor, lagMetric } from '../../control/lag-monitor.ts'
import { fleetlabHome } from '../../lib/home.ts'
import { MetricsRecorder } from '../../lib/metrics/recorder.ts'
import { bootstrapOf, defaultPlatformConfig } from '../../platform/config.ts'
import type { PlatformConfig } from '../../platform/config.ts'
import { createKafkaClient } from '../../platform/kafka/index.ts'
import { platformDown, platformUp } from '../../platform/platform.ts'
import { openRuntime } from '../../platform/runtime/index.ts'
import { freePortPair, uniqueName, waitFor } from '../helpers.ts'

test('committed-offset lag: 0 and OK while a consumer keeps up, growing and STALL once it stops working, log end without commits', { timeout: 240_000 }, async t => {
  const home = fleetlabHome()
  const name = uniqueName('t-lag')
  const [edgePort, cloudPort] = [await freePortPair(), await freePortPair()]
  const config: PlatformConfig = {
    ...defaultPlatformConfig,
    name,
    edge: { ...defaultPlatformConfig.edge, port: edgePort, controllerPort: edgePort + 1 },
    cloud: { ...defaultPlatformConfig.cloud, port: cloudPort, controllerPort: cloudPort + 1 },
    mirror: { ...defaultPlatformConfig.mirror, enabled: false },
    lwm2m: { ...defaultPlatformConfig.lwm2m, enabled: false },
  }
  const runtime = await openRuntime(home, 'process')
  const ctx = { home, runtime, progress: () => {} }
  t.after(async () => {
    await platformDown(ctx, name).catch(() => {})
    await runtime.sweep(name)
    await runtime.close()
  })
  await platformUp(ctx, config)
  const kafka = createKafkaClient({ bootstrap: bootstrapOf(config, 'cloud') })
  t.after(async () => { await kafka.close() })
  const topic = `iot.${name.replace(/[^a-z0-9]/g, '')}.observations`
  await kafka.createTopics([{ name: topic, partitions: 4 }])
  const producer = await kafka.producer()
  const produce = async (n: number): Promise<void> => {
    await producer.send(topic, Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}` })))
  }

  // a group that never consumed: lag = everything in the topic
  await produce(100)
  const idle = new ConsumerLagMonitor({ kafka, topics: new RegExp(`^${topic.replaceAll('.', '\\.')}$`), groupId: uniqueName('nobody') })
  // the first group request of a fresh broker waits for its offsets topic: a reading may time out and is retried
  const none = await waitFor('a reading of a group without commits', async () => await idle.poll(), 60_000)
  assert.equal(none?.totalLag, 100)
  assert.equal(none?.members, 0)

  // a consumer that works until told to stop working (its onRecord never returns)
  let stall = false
  let consumed = 0
  let release = (): void => {}
  const hold = new Promise<void>(resolve => { release = resolve })
  const groupId = uniqueName('g')
  const consumer = await kafka.consume({
    groupId, topics: [topic], fromBeginning: true,
    onRecord: () => { if (stall) return hold; consumed++; return undefined },
    onBatchEnd: () => {},
  })
  // a consumer leaves only once its batch is done: let the held record go first
  t.after(async () => { release(); await consumer.close().catch(() => {}) })
  const recorder = new MetricsRecorder()
  const monitor = new ConsumerLagMonitor({ kafka, topics: new RegExp(`^${topic.replaceAll('.', '\\.')}$`), groupId, recorder, window: 4 })
  const ok = await waitFor("the consumer to catch up", async () => {
    console.error("poll", JSON.stringify((await monitor.poll())?.totalLag), consumed)
    const s = await monitor.poll()
    return s !== undefined && s.totalLag === 0 ? s : undefined
  }, 60_000)
  assert.equal(ok.status, 'OK')
  assert.equal(ok.partitions.length, 4)
  assert.equal(consumed, 100)

  stall = true
  const lags: number[] = []
  const stalled = await waitFor('STALL', async () => {
    await produce(50)
    const s = await monitor.poll()
    if (s !== undefined) lags.push(s.totalLag)
    return s?.status === 'STALL' ? s : undefined
  }, 60_000)
  assert.ok(stalled.totalLag > 0)
  assert.ok(lags.length >= 4 && lags.at(-1)! > lags[0]!, `lag grows: ${lags.join(', ')}`)
  assert.ok(stalled.maxLagSeconds > 0, 'time lag grows too')
  assert.ok(stalled.partitions.some(p => p.status === 'STALL'))
  assert.equal(stalled.members, 1, 'the consumer is still in the group: STALL, not STOP')
  // the readings are in the metric stream
  const windows = recorder.drain(Infinity)
  assert.ok(windows.some(w => (w.gauges.get(lagMetric.lag)?.value ?? 0) > 0))
  assert.ok(windows.some(w => (w.gauges.get(lagMetric.status('STALL'))?.value ?? 0) > 0))
  // working again, the consumer catches up and the status recovers
  stall = false
  release()
  const recovered = await waitFor('the consumer to catch up again', async () => {
    const s = await monitor.poll()
    return s !== undefined && s.totalLag === 0 ? s : undefined
  }, 60_000)
  assert.equal(recovered.status, 'OK')
  await producer.close()

})
