// The run's sinks: which datastores they need, the options each store gets, a further sink's metrics renamed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { neededDatastores, renameWindow, sinkFile, storeOptions } from '../../../experiments/run/sinks.ts'
import type { SinkChoice } from '../../../experiments/contracts.ts'

const choice = (kind: SinkChoice['kind'], options: Record<string, unknown> = {}): SinkChoice => ({ kind, replicas: 1, sessionTimeoutMs: 10_000, options })

test('datastores: those a sink names without a url of its own, once each', () => {
  assert.deepEqual(neededDatastores({ sink: choice('file'), sinks: [] }), [])
  assert.deepEqual(neededDatastores({ sink: choice('postgres'), sinks: [{ ...choice('influxdb'), name: 'a', input: 'observations' }, { ...choice('postgres'), name: 'b', input: 'registrations' }] }), ['influxdb', 'postgres'])
  assert.deepEqual(neededDatastores({ sink: choice('influxdb', { url: 'http://db:8086' }), sinks: [] }), [])
})

test('store options: the run folder for a file, the platform\'s url for a database, a clear error without one', () => {
  assert.deepEqual(storeOptions(choice('file'), 'sink', '/run/sink.ndjson', {}), { outFile: '/run/sink.ndjson' })
  assert.deepEqual(storeOptions(choice('file', { outFile: '/x' }), 'sink', '/run/sink.ndjson', {}), { outFile: '/x' })
  assert.deepEqual(storeOptions(choice('influxdb', { batchSize: 10 }), 'sink', '', { influxdb: 'http://127.0.0.1:1' }), { url: 'http://127.0.0.1:1', batchSize: 10 })
  assert.deepEqual(storeOptions(choice('postgres', { url: 'postgres://h:1/d' }), 'sink', '', { postgres: 'postgres://other' }), { url: 'postgres://h:1/d' })
  assert.throws(() => storeOptions(choice('postgres'), 'sinks[1]', '', {}), (err: Error & { problems?: string[] }) => /sinks\[1\]\.options\.url: required/.test(err.message))
  assert.equal(sinkFile('/run'), '/run/sink.ndjson')
  assert.equal(sinkFile('/run', 'tsdb'), '/run/sink-tsdb.ndjson')
})

test('a further sink\'s window: sink.*, errors.sink.* and e2e.latency under its name', () => {
  const w = renameWindow({ second: 5, counters: { 'sink.records': 3, 'errors.sink.rejected': 1 }, gauges: { 'sink.partitions': { value: 2, mode: 'sum' } as never }, histograms: { 'e2e.latency': {} as never } }, 'tsdb')
  assert.equal(w.second, 5)
  assert.deepEqual(w.counters, { 'sink.tsdb.records': 3, 'errors.sink.tsdb.rejected': 1 })
  assert.deepEqual(Object.keys(w.gauges), ['sink.tsdb.partitions'])
  assert.deepEqual(Object.keys(w.histograms), ['sink.tsdb.e2e.latency'])
})
