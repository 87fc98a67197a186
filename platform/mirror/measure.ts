import { randomUUID } from 'node:crypto'
import { TimeoutError } from '../../lib/errors.ts'
import { percentiles } from '../../lib/percentiles.ts'
import { sleep } from '../../lib/time.ts'
import type { KafkaClient } from '../kafka/index.ts'

export interface LatencyResult {
  topic: string
  rate: number
  sent: number
  received: number
  duplicates: number
  /** Sends that left more than 10 ms after their scheduled time (open model: latency still counts from the schedule). */
  late: number
  p50Ms: number
  p99Ms: number
  maxMs: number
}

export interface ThroughputResult {
  records: number
  recordBytes: number
  seconds: number
  recordsPerSecond: number
}

interface Probe { seq: number, intended: number }

/**
 * Mirror latency edge -> cloud for single records at a fixed rate. Open model: record i is due at
 * t0 + i/rate and its latency runs from that due time to its arrival in the cloud, so a stalled producer
 * cannot hide a stall. A warm-up (until the first record crosses) keeps MirrorMaker's topic discovery out.
 */
export async function measureMirrorLatency (edge: KafkaClient, cloud: KafkaClient, options: { rate: number, durationS: number, timeoutMs?: number }): Promise<LatencyResult> {
  const run = randomUUID().slice(0, 8)
  const topic = `iot.fleetlab-bench-${run}.observations`
  // Created on both sides: a consumer cannot subscribe to a topic MirrorMaker has not created yet.
  await Promise.all([edge.createTopics([{ name: topic }]), cloud.createTopics([{ name: topic }])])
  const latencies = new Map<number, number>()
  let duplicates = 0
  let warm = false
  const consumer = await cloud.consume({
    groupId: `fleetlab-bench-${run}`,
    topics: [topic],
    fromBeginning: true,
    onRecord: record => {
      const now = Date.now()
      const probe = JSON.parse(record.value?.toString() ?? '{}') as Probe
      if (probe.seq < 0) { warm = true; return }
      if (latencies.has(probe.seq)) duplicates++
      else latencies.set(probe.seq, now - probe.intended)
    },
  })
  const producer = await edge.producer()
  try {
    const warmDeadline = Date.now() + (options.timeoutMs ?? 60_000)
    while (!warm) {
      if (Date.now() > warmDeadline) throw new TimeoutError(`no record crossed the mirror on ${topic}`)
      await producer.send(topic, [{ value: JSON.stringify({ seq: -1, intended: Date.now() }) }])
      await sleep(250)
    }
    const total = Math.round(options.rate * options.durationS)
    const intervalMs = 1000 / options.rate
    const t0 = Date.now() + 50
    let late = 0
    const inflight: Array<Promise<void>> = []
    for (let seq = 0; seq < total; seq++) {
      const intended = t0 + seq * intervalMs
      const wait = intended - Date.now()
      if (wait > 0) await sleep(wait)
      if (Date.now() - intended > 10) late++
      inflight.push(producer.send(topic, [{ key: `dev-${seq % 100}`, value: JSON.stringify({ seq, intended }) }]))
    }
    await Promise.all(inflight)
    const deadline = Date.now() + 30_000
    while (latencies.size < total && Date.now() < deadline) await sleep(100)
    await sleep(500) // a last look for duplicates
    const [p50, p99, max] = percentiles([...latencies.values()], [50, 99, 100])
    return { topic, rate: options.rate, sent: total, received: latencies.size, duplicates, late, p50Ms: p50!, p99Ms: p99!, maxMs: max! }
  } finally {
    await producer.close()
    await consumer.close()
  }
}

/** Produces `records` records in batches as fast as the edge takes them; counts until all arrived in the cloud. */
export async function measureMirrorThroughput (edge: KafkaClient, cloud: KafkaClient, options: { records: number, recordBytes: number, batch?: number, timeoutMs?: number }): Promise<ThroughputResult> {
  const topic = `iot.fleetlab-bench-${randomUUID().slice(0, 8)}.observations`
  await edge.createTopics([{ name: topic }])
  const batch = options.batch ?? 500
  const payload = Buffer.alloc(options.recordBytes, 'x')
  const producer = await edge.producer({ acks: 1 })
  const t0 = Date.now()
  try {
    for (let i = 0; i < options.records; i += batch) {
      const n = Math.min(batch, options.records - i)
      await producer.send(topic, Array.from({ length: n }, (_, k) => ({ key: `dev-${(i + k) % 1000}`, value: payload })))
    }
  } finally {
    await producer.close()
  }
  const deadline = Date.now() + (options.timeoutMs ?? 120_000)
  for (;;) {
    const arrived = (await cloud.topicOffsets(topic)).reduce((s, o) => s + o.high, 0)
    if (arrived >= options.records) break
    if (Date.now() > deadline) throw new TimeoutError(`only ${arrived} of ${options.records} records reached the cloud on ${topic}`)
    await sleep(50)
  }
  const seconds = (Date.now() - t0) / 1000
  return { records: options.records, recordBytes: options.recordBytes, seconds, recordsPerSecond: options.records / seconds }
}
