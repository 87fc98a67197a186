// The batching rules with an in-memory producer behind the Kafka port (the real broker path is in kafka-bridge.test.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { KafkaProducer, OutgoingRecord } from '../../../platform/kafka/client.ts'
import { BatchingProducer } from '../../../platform/lwm2m-server/batch-producer.ts'
import { Counters } from '../../../platform/lwm2m-server/metrics.ts'

function memoryProducer (options: { delayMs?: number, fail?: boolean } = {}): KafkaProducer & { sends: Array<{ topic: string, values: string[] }>, inFlightMax: number } {
  let inFlight = 0
  const p = {
    sends: [] as Array<{ topic: string, values: string[] }>,
    inFlightMax: 0,
    async send (topic: string, records: OutgoingRecord[]): Promise<void> {
      inFlight++
      p.inFlightMax = Math.max(p.inFlightMax, inFlight)
      await new Promise(resolve => setTimeout(resolve, options.delayMs ?? 1))
      inFlight--
      if (options.fail === true) throw new Error('broker away')
      p.sends.push({ topic, values: records.map(r => String(r.value)) })
    },
    async close (): Promise<void> {},
  }
  return p
}

test('records wait at most lingerMs, then go in one send per topic, in order', async () => {
  const producer = memoryProducer()
  const metrics = new Counters()
  const batch = new BatchingProducer(producer, metrics, { lingerMs: 20 })
  for (let i = 0; i < 5; i++) batch.add('a', { value: `a${i}` })
  batch.add('b', { value: 'b0' })
  assert.equal(producer.sends.length, 0)
  assert.equal(batch.queued, 6)
  await new Promise(resolve => setTimeout(resolve, 60))
  assert.deepEqual(producer.sends, [{ topic: 'a', values: ['a0', 'a1', 'a2', 'a3', 'a4'] }, { topic: 'b', values: ['b0'] }])
  assert.equal(metrics.get('lwm2m.kafka.acked'), 6)
  assert.equal(metrics.get('lwm2m.kafka.batches'), 2)
})

test('maxBatch records go at once; one send in flight per topic, the rest make the next batch; flush waits for acks', async () => {
  const producer = memoryProducer({ delayMs: 10 })
  const metrics = new Counters()
  const batch = new BatchingProducer(producer, metrics, { lingerMs: 1000, maxBatch: 100 })
  for (let i = 0; i < 350; i++) batch.add('t', { value: String(i) })
  await batch.flush()
  assert.equal(producer.inFlightMax, 1)
  const all = producer.sends.flatMap(s => s.values)
  assert.deepEqual(all, Array.from({ length: 350 }, (_, i) => String(i)))
  assert.ok(producer.sends.every(s => s.values.length <= 100))
  assert.equal(metrics.get('lwm2m.kafka.acked'), 350)
  await batch.close()
})

test('a failed send is counted and reported; past maxQueued records are dropped, not queued', async () => {
  const errors: string[] = []
  const metrics = new Counters()
  const batch = new BatchingProducer(memoryProducer({ fail: true }), metrics, { lingerMs: 1, maxQueued: 10, onError: (err, topic, n) => errors.push(`${topic}:${n}:${err.message}`) })
  for (let i = 0; i < 15; i++) batch.add('t', { value: String(i) })
  await batch.flush()
  assert.equal(metrics.get('lwm2m.kafka.dropped'), 5)
  assert.equal(metrics.get('lwm2m.kafka.failed'), 10)
  assert.equal(metrics.get('lwm2m.kafka.acked'), 0)
  assert.deepEqual(errors, ['t:10:broker away'])
  await batch.close()
  batch.add('t', { value: 'late' })
  assert.equal(metrics.get('lwm2m.kafka.dropped'), 6, 'nothing is queued after close')
})
