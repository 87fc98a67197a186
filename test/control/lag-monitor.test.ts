// The lag monitors against real brokers (one platform for the file: an edge and a cloud broker, no MirrorMaker, no
// LWM2M server). Consumer lag is read from the group's committed offsets, so a consumer that stops working shows its
// lag growing and its partitions STALL, then STOP; mirror lag is edge end - cloud end, with records copied by hand.
// Expected figures come from the brokers' own offsets: a producer retry can append a batch twice.
import { after, before, test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { ConsumerLagMonitor, MirrorLagMonitor, lagMetric, mirrorMetric } from '../../control/lag-monitor.ts'
import type { LagSnapshot, MirrorSnapshot } from '../../control/lag.ts'
import { fleetlabHome } from '../../lib/home.ts'
import { MetricsRecorder } from '../../lib/metrics/recorder.ts'
import type { MetricWindow } from '../../lib/metrics/window.ts'
import { bootstrapOf, defaultPlatformConfig } from '../../platform/config.ts'
import type { PlatformConfig } from '../../platform/config.ts'
import { createKafkaClient } from '../../platform/kafka/index.ts'
import type { GroupEvent, KafkaClient, KafkaProducer } from '../../platform/kafka/client.ts'
import { platformDown, platformUp } from '../../platform/platform.ts'
import { openRuntime } from '../../platform/runtime/index.ts'
import type { Runtime } from '../../platform/runtime/types.ts'
import { freePortPair, uniqueName, waitFor } from '../helpers.ts'

const PARTITIONS = 4
const home = fleetlabHome()
let runtime: Runtime | undefined
let name = ''
let edge: KafkaClient
let cloud: KafkaClient

before(async () => {
  name = uniqueName('t-lag')
  const [edgePort, cloudPort] = [await freePortPair(), await freePortPair()]
  const config: PlatformConfig = {
    ...defaultPlatformConfig,
    name,
    edge: { ...defaultPlatformConfig.edge, port: edgePort, controllerPort: edgePort + 1 },
    cloud: { ...defaultPlatformConfig.cloud, port: cloudPort, controllerPort: cloudPort + 1 },
    mirror: { ...defaultPlatformConfig.mirror, enabled: false },
    lwm2m: { ...defaultPlatformConfig.lwm2m, enabled: false },
  }
  runtime = await openRuntime(home, 'process')
  await platformUp({ home, runtime, progress: () => {} }, config)
  edge = createKafkaClient({ bootstrap: bootstrapOf(config, 'edge') })
  cloud = createKafkaClient({ bootstrap: bootstrapOf(config, 'cloud') })
})

after(async () => {
  await Promise.allSettled([edge?.close(), cloud?.close()])
  if (runtime === undefined) return
  await platformDown({ home, runtime, progress: () => {} }, name).catch(() => {})
  await runtime.sweep(name)
  await runtime.close()
})

/** A fresh topic on each of `clients`, and a producer per client (closed after the test). */
async function topicOn (t: TestContext, clients: KafkaClient[]): Promise<{ topic: string, pattern: RegExp, producers: KafkaProducer[] }> {
  const topic = `iot.${uniqueName('lag').replace(/[^a-z0-9]/g, '')}.observations`
  await Promise.all(clients.map(c => c.createTopics([{ name: topic, partitions: PARTITIONS }])))
  const producers = await Promise.all(clients.map(c => c.producer()))
  t.after(async () => { await Promise.allSettled(producers.map(p => p.close())) })
  return { topic, pattern: new RegExp(`^${topic.replaceAll('.', '\\.')}$`), producers }
}

function records (n: number, partition?: number): Array<{ key: string, value: string, partition?: number }> {
  return Array.from({ length: n }, (_, i) => partition === undefined ? { key: `k${i}`, value: `v${i}` } : { key: `k${i}`, value: `v${i}`, partition })
}

async function logEnds (kafka: KafkaClient, topic: string): Promise<Map<number, number>> {
  return new Map((await kafka.topicOffsets(topic)).map(o => [o.partition, o.high]))
}

const sum = (m: Map<number, number>): number => [...m.values()].reduce((a, b) => a + b, 0)
const gaugeSeen = (windows: MetricWindow[], name: string, ok: (v: number) => boolean): boolean => windows.some(w => { const g = w.gauges.get(name); return g !== undefined && ok(g.value) })
const counted = (windows: MetricWindow[], name: string): number => windows.reduce((s, w) => s + (w.counters.get(name) ?? 0), 0)

test('a group that never committed reads the whole log as lag (KEDA, offsetResetPolicy earliest) and STOP: nobody consumes', { timeout: 90_000 }, async t => {
  const { topic, pattern, producers: [producer] } = await topicOn(t, [cloud])
  await producer!.send(topic, records(10 * PARTITIONS))
  const ends = await logEnds(cloud, topic)
  const groupId = uniqueName('nobody')
  const monitor = new ConsumerLagMonitor({ kafka: cloud, topics: pattern, groupId })
  // the first group request of a fresh broker waits for its offsets topic: a reading may time out and is retried
  const s = await waitFor('a reading of a group without commits', () => monitor.poll(), 60_000)
  assert.equal(s.totalLag, sum(ends))
  assert.equal(s.partitions.length, PARTITIONS)
  assert.ok(s.partitions.every(p => p.committed === -1 && p.lag === ends.get(p.partition)))
  assert.equal(s.members, 0)
  assert.equal(s.status, 'STOP')
  assert.deepEqual(await cloud.describeGroup(groupId), { state: 'Dead', members: [] })
})

test('committed-offset lag: 0 and OK while a consumer keeps up; growing lag and time lag, STALL, then STOP once it stops working; OK again after', { timeout: 180_000 }, async t => {
  const { topic, pattern, producers: [producer] } = await topicOn(t, [cloud])
  await producer!.send(topic, records(25 * PARTITIONS))

  // a consumer that works until told to stop working: then its onRecord waits on a promise the test holds
  let stall = false
  let consumed = 0
  let release = (): void => {}
  const hold = new Promise<void>(resolve => { release = resolve })
  const groupId = uniqueName('g')
  const consumer = await cloud.consume({
    groupId, topics: [topic], fromBeginning: true,
    // longer than the test's stall: STOP must come from the stopped offsets, not from the member being dropped
    sessionTimeoutMs: 60_000,
    onRecord: () => { if (stall) return hold; consumed++; return undefined },
    onBatchEnd: () => {},
  })
  // a consumer leaves only once its batch is done: let the held record go first
  t.after(async () => { release(); await consumer.close().catch(() => {}) })
  const recorder = new MetricsRecorder()
  const window = 4
  const stopAfterMs = 4000
  const monitor = new ConsumerLagMonitor({ kafka: cloud, topics: pattern, groupId, recorder, window, stopAfterMs })
  let firstReading: LagSnapshot | undefined
  const ok = await waitFor('the consumer to catch up', async () => {
    const s = await monitor.poll()
    firstReading ??= s
    return s !== undefined && s.totalLag === 0 && s.members === 1 ? s : undefined
  }, 60_000)
  assert.equal(ok.status, 'OK')
  assert.equal(ok.partitions.length, PARTITIONS)
  assert.equal(consumed, sum(await logEnds(cloud, topic)))
  assert.equal(monitor.snapshot(), ok)
  // the member owns every partition, and the snapshot says so
  const group = await cloud.describeGroup(groupId)
  assert.equal(group.state, 'Stable')
  assert.equal(group.members.length, 1)
  assert.deepEqual(group.members[0]!.assignments, [{ topic, partitions: Array.from({ length: PARTITIONS }, (_, i) => i) }])
  assert.ok(ok.partitions.every(p => p.owner === group.members[0]!.clientId))

  stall = true
  const readings: LagSnapshot[] = []
  const until = (status: string): Promise<LagSnapshot> => waitFor(status, async () => {
    await producer!.send(topic, records(2 * PARTITIONS))
    const s = await monitor.poll()
    if (s !== undefined) readings.push(s)
    return s?.status === status ? s : undefined
  }, 60_000)
  const stalled = await until('STALL')
  assert.ok(readings.length >= window, 'a whole window without lag 0 first')
  assert.ok(stalled.totalLag > readings[0]!.totalLag, `lag grows: ${readings.map(s => s.totalLag).join(', ')}`)
  assert.ok(stalled.maxLagSeconds > 0, 'time lag grows too')
  assert.equal(stalled.members, 1, 'the consumer is still in the group: STALL, not STOP')
  const stopped = await until('STOP')
  assert.ok(stopped.atMs - ok.atMs > stopAfterMs, 'STOP only after the stop time')
  assert.equal(stopped.members, 1, 'stopped by its offsets, not by leaving')
  assert.ok(stopped.maxLagSeconds > stalled.maxLagSeconds)
  // the held records were produced after the caught-up reading: their time lag cannot be older than it
  assert.ok(stopped.maxLagSeconds <= (stopped.atMs - ok.atMs) / 1000, `${stopped.maxLagSeconds} s`)
  assert.equal(stopped.totalLag, sum(await logEnds(cloud, topic)) - consumed)

  // the readings are in the metric stream
  const windows = recorder.drain(Infinity)
  assert.ok(gaugeSeen(windows, lagMetric.lag, v => v > 0))
  assert.ok(gaugeSeen(windows, lagMetric.lagSeconds, v => v > 0))
  assert.ok(gaugeSeen(windows, lagMetric.partitions, v => v === PARTITIONS))
  for (const s of ['OK', 'STALL', 'STOP']) assert.ok(gaugeSeen(windows, lagMetric.status(s), v => v > 0), s)
  // the counter is the committed offsets' advance from the first reading on (no commit counts from the low watermark, 0)
  const committedAt = (s: LagSnapshot): number => s.partitions.reduce((n, p) => n + Math.max(0, p.committed), 0)
  assert.equal(counted(windows, lagMetric.consumed), committedAt(stopped) - committedAt(firstReading!))
  assert.equal(committedAt(stopped), consumed)
  assert.ok(counted(windows, lagMetric.produced) >= readings.length, 'every stalled reading followed a send')

  // working again, the consumer catches up and the status recovers
  stall = false
  release()
  const recovered = await waitFor('the consumer to catch up again', async () => {
    const s = await monitor.poll()
    return s !== undefined && s.totalLag === 0 ? s : undefined
  }, 60_000)
  assert.equal(recovered.status, 'OK')
  assert.equal(recovered.maxLagSeconds, 0)
})

test('a slow consumer working through one long batch commits as it goes (a checkpoint a second), so its committed-offset lag falls before the batch ends', { timeout: 90_000 }, async t => {
  const { topic, producers: [producer] } = await topicOn(t, [cloud])
  const total = 1500
  await producer!.send(topic, records(total, 0))
  const groupId = uniqueName('slow')
  let consumed = 0
  const batchEnds: number[] = []
  // 4 ms a record: the one fetched batch of partition 0 (1,500 records of a few bytes) takes about 6 s
  const consumer = await cloud.consume({
    groupId, topics: [topic], fromBeginning: true,
    onRecord: async () => { consumed++; await new Promise(resolve => setTimeout(resolve, 4)) },
    onBatchEnd: p => { if (p.partition === 0) batchEnds.push(p.lag) },
  })
  t.after(() => consumer.close().catch(() => {}))
  const committed = async (): Promise<number> => (await cloud.groupOffsets(groupId, [topic])).find(o => o.partition === 0)?.offset ?? -1
  const early = await waitFor('a commit while records are still being handled', async () => {
    const c = await committed()
    return c > 0 && consumed < total ? { committed: c, consumed } : undefined
  }, 60_000)
  assert.ok(early.committed <= early.consumed, `committed ${early.committed} <= handed over ${early.consumed}`)
  await waitFor('everything committed', async () => (await committed()) === total ? true : undefined, 60_000)
  // checkpoints carry the records still behind them; the last one reports none
  assert.ok(batchEnds.length >= 2, `onBatchEnd ${batchEnds.length} times`)
  assert.ok(batchEnds.some(lag => lag > 0), `a checkpoint with records behind it (${batchEnds.join(', ')})`)
  assert.equal(batchEnds.at(-1), 0)
})

test('a rebalance pause runs from the member stopping to its first fetch after the join: it covers the real gap in the records it handed over', { timeout: 90_000 }, async t => {
  const { topic, producers: [producer] } = await topicOn(t, [cloud])
  await producer!.send(topic, records(4000))
  const groupId = uniqueName('pause')
  const handed: number[] = []
  const eventsA: GroupEvent[] = []
  const eventsB: GroupEvent[] = []
  const slow = async (): Promise<void> => { await new Promise(resolve => setTimeout(resolve, 4)) }
  const a = await cloud.consume({
    groupId, topics: [topic], fromBeginning: true,
    onRecord: async () => { handed.push(Date.now()); await slow() },
    onBatchEnd: () => {},
    onGroupEvent: e => eventsA.push(e),
  })
  t.after(() => a.close().catch(() => {}))
  await waitFor('the first member consuming', async () => handed.length >= 200 ? true : undefined, 30_000)
  const b = await cloud.consume({ groupId, topics: [topic], fromBeginning: true, onRecord: slow, onBatchEnd: () => {}, onGroupEvent: e => eventsB.push(e) })
  t.after(() => b.close().catch(() => {}))
  const resumed = await waitFor('the first member fetching again after the rebalance', async () => {
    const r = eventsA.find(e => e.type === 'resumed')
    return r !== undefined && handed.some(at => at >= r.atMs) ? r : undefined
  }, 30_000)
  assert.equal(resumed.type, 'resumed')
  if (resumed.type !== 'resumed') return
  const rebalancing = eventsA.find(e => e.type === 'rebalancing')
  assert.ok(rebalancing !== undefined, `events of the first member: ${JSON.stringify(eventsA)}`)
  assert.equal(resumed.pauseMs, resumed.atMs - rebalancing.atMs)
  assert.ok(resumed.joinMs >= 0 && resumed.joinMs <= resumed.pauseMs, `join ${resumed.joinMs} ms within the pause ${resumed.pauseMs} ms`)
  assert.ok(resumed.partitions > 0 && resumed.partitions < PARTITIONS, `${resumed.partitions} of ${PARTITIONS} partitions after the rebalance`)
  const rejoin = eventsA.filter(e => e.type === 'joined')
  assert.deepEqual(rejoin.map(e => e.type === 'joined' && e.rejoined), [false, true], 'a first join, then a rejoin')
  // the member handed over nothing while it was paused, and the pause is nearly all of the gap it left (a record of
  // 4 ms ending just before the stop, a little scheduling)
  assert.equal(handed.filter(at => at > rebalancing.atMs && at < resumed.atMs).length, 0, 'no record handed over within the pause')
  const before = Math.max(...handed.filter(at => at <= rebalancing.atMs))
  const after = Math.min(...handed.filter(at => at >= resumed.atMs))
  const gap = after - before
  t.diagnostic(`pause ${resumed.pauseMs} ms (join ${resumed.joinMs} ms); the records' gap ${gap} ms`)
  assert.ok(gap - resumed.pauseMs < 500, `the pause (${resumed.pauseMs} ms) is all but ${gap - resumed.pauseMs} ms of the gap (${gap} ms)`)
  // the member that joined saw a first join only: no pause of its own
  await waitFor('the second member joined', async () => eventsB.some(e => e.type === 'joined') ? true : undefined, 30_000)
  assert.ok(eventsB.every(e => e.type !== 'resumed'), `events of the second member: ${JSON.stringify(eventsB)}`)
})

test('mirror lag: edge records not yet in the cloud, per partition; unhealthy when the cloud stalls or falls behind, healthy once it caught up', { timeout: 120_000 }, async t => {
  const { topic, pattern, producers: [toEdge, toCloud] } = await topicOn(t, [edge, cloud])
  // an edge topic the cloud does not have yet (MirrorMaker has not found it): all of it is lag
  const edgeOnly = `${topic}.new`
  await edge.createTopics([{ name: edgeOnly, partitions: 1 }])
  await toEdge!.send(edgeOnly, records(5, 0))
  // MirrorMaker by hand: per partition, `most` of the records the edge has and the cloud not (all by default)
  const copy = async (most = Infinity): Promise<void> => {
    const [e, c] = await Promise.all([logEnds(edge, topic), logEnds(cloud, topic)])
    await Promise.all([...e].map(([p, end]) => {
      const n = Math.min(most, end - (c.get(p) ?? 0))
      return n > 0 ? toCloud!.send(topic, records(n, p)) : undefined
    }))
  }
  const perStep = 10
  const grow = async (): Promise<void> => {
    await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => toEdge!.send(topic, records(perStep, p))))
  }
  await grow()
  await copy(perStep / 2)
  const recorder = new MetricsRecorder()
  const unhealthyAfterMs = 2000
  const monitor = new MirrorLagMonitor({ edge, cloud, topics: new RegExp(`${pattern.source.slice(0, -1)}(\\.new)?$`), recorder, unhealthyAfterMs })
  t.after(() => monitor.stop())
  const first = await waitFor('a mirror reading', () => monitor.poll(), 30_000)
  const [e, c, eNew] = await Promise.all([logEnds(edge, topic), logEnds(cloud, topic), logEnds(edge, edgeOnly)])
  const byPartition = (s: MirrorSnapshot, tp: string): Map<number, number> => new Map(s.partitions.filter(p => p.topic === tp).map(p => [p.partition, p.lag]))
  assert.deepEqual(byPartition(first, topic), new Map([...e].map(([p, end]) => [p, end - c.get(p)!])))
  assert.deepEqual(byPartition(first, edgeOnly), eNew)
  assert.equal(first.totalLag, sum(e) - sum(c) + sum(eNew))
  assert.ok(first.totalLag > 0)
  assert.equal(monitor.mirrorHealthy, true, 'one reading cannot tell')

  // the edge grows, the cloud copies half as much each time: it moves but falls behind
  const behind = await waitFor('falling behind', async () => {
    await grow()
    await copy(perStep / 2)
    const s = await monitor.poll()
    return s?.partitions.some(p => p.topic === topic && p.problem === 'falling-behind') === true ? s : undefined
  }, 30_000)
  assert.equal(behind.healthy, false)
  assert.equal(monitor.mirrorHealthy, false)
  assert.ok(behind.atMs - first.atMs > unhealthyAfterMs)
  assert.ok(behind.partitions.some(p => p.topic === edgeOnly && p.problem === 'stalled'), 'the topic never copied has stalled')

  // everything copied (the edge-only topic too): no lag, healthy again
  await toCloud!.send(edgeOnly, records(sum(eNew) - sum(await logEnds(cloud, edgeOnly)), 0))
  await copy()
  const caughtUp = await waitFor('caught up', async () => {
    const s = await monitor.poll()
    return s?.totalLag === 0 ? s : undefined
  }, 30_000)
  assert.equal(caughtUp.healthy, true)
  const windows = recorder.drain(Infinity)
  assert.ok(gaugeSeen(windows, mirrorMetric.lag, v => v > 0))
  assert.ok(gaugeSeen(windows, mirrorMetric.healthy, v => v === 0))
  assert.ok(gaugeSeen(windows, mirrorMetric.healthy, v => v === 1))
})
