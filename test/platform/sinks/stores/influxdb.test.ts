// The InfluxDB store against a real influxd (one per file, through the process runtime): exact counts, re-delivery
// adding nothing, line protocol escaping read back through the query API, bad values counted without stopping the
// store, and a flush that fails with the store's name once influxd is gone.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fleetlabHome } from '../../../../lib/home.ts'
import { ServiceFailedError } from '../../../../lib/errors.ts'
import { influxdb, influxUrl } from '../../../../platform/datastores/influxdb.ts'
import { openRuntime } from '../../../../platform/runtime/index.ts'
import type { ServiceInstance } from '../../../../platform/runtime/types.ts'
import type { Observation } from '../../../../platform/sinks/observation.ts'
import type { ObservationItem, StoreContext } from '../../../../platform/sinks/store.ts'
import { createInfluxStore, escapeTag, influxCount, influxQuery, pointLine, quoteString } from '../../../../platform/sinks/stores/influxdb.ts'
import { createStore } from '../../../../platform/sinks/stores/index.ts'
import { freePortPair, uniqueName } from '../../../helpers.ts'

await influxdb.ensureInstalled(line => console.log(line))
const runtime = await openRuntime(fleetlabHome(), 'process')
const platform = uniqueName('t-influx-store')
const dir = await mkdtemp(join(tmpdir(), 'fleetlab-influx-store-'))
const port = await freePortPair()
const spec = await influxdb.prepare({ platform, dir, host: '127.0.0.1', port })
const instance: ServiceInstance = await runtime.start(spec)
const url = influxUrl('127.0.0.1', port)
await influxdb.waitHealthy({ host: '127.0.0.1', port, timeoutMs: 30_000, logFile: spec.logFile, alive: async () => (await runtime.stats(instance)).running })

test.after(async () => {
  await runtime.stop(instance)
  await runtime.sweep(platform)
  await runtime.close()
  await rm(dir, { recursive: true, force: true })
})

interface Told { kind: string, detail: string }
function context (): { ctx: StoreContext, told: Told[] } {
  const told: Told[] = []
  return { ctx: { event: (kind, detail) => told.push({ kind, detail }), now: () => Date.now() }, told }
}

function item (o: Partial<Observation> & { values: Observation['values'] }, offset = 0): ObservationItem {
  const observation: Observation = { endpoint: 'dev-1', path: '/3303/0', timestamp: 1_700_000_000_000 + offset, trace: undefined, ...o }
  return { kind: 'observation', observation, topic: 'iot.gw.observations', partition: 0, offset: String(offset), receivedAtMs: Date.now() }
}

/** n items of one traced numeric value each, one per endpoint and ms. */
function batch (n: number): ObservationItem[] {
  return Array.from({ length: n }, (_, i) => item({
    endpoint: `dev-${i % 50}`, values: { '/3303/0/5700': 20 + i / 10 }, trace: { seq: i, sentAtMs: 1_700_000_000_000 + i, deviceId: `dev-${i % 50}` },
  }, i))
}

test('options are validated all at once, naming each field', async () => {
  const { ctx } = context()
  await assert.rejects(createInfluxStore({ url: 'localhost:8086', database: 'a b', batchSize: 0, measurement: 'x\ny', colour: 1 }, ctx), (err: Error & { problems?: string[] }) => {
    assert.deepEqual(err.problems?.map(p => p.split(':')[0]), ['sink.options.colour', 'sink.options.url', 'sink.options.database', 'sink.options.batchSize', 'sink.options.measurement'])
    return true
  })
  await assert.rejects(createInfluxStore({}, ctx), /sink\.options\.url: expected http\(s\):\/\/host:port, got undefined/)
})

test('line protocol escaping of tags and string fields', () => {
  assert.equal(escapeTag('a b,c=d'), 'a\\ b\\,c\\=d')
  assert.equal(quoteString('say "hi" \\o/'), '"say \\"hi\\" \\\\o/"')
  const line = pointLine('resources', item({ values: {}, serverId: 's1', observationId: 'o1' }), '/3/0/0', 1.5)
  assert.deepEqual(line, { line: 'resources,ep=dev-1,kind=observe,observationId=o1,path=/3/0/0,serverId=s1 value=1.5 1700000000000' })
})

test('N points are written exactly, and the same batch again adds nothing', { timeout: 60_000 }, async () => {
  const database = uniqueName('exact').replace(/-/g, '_')
  const { ctx } = context()
  const store = await createStore('influxdb', { url, database, batchSize: 1000 }, ctx)
  const n = 2500
  const items = batch(n)
  for (const i of items) await store.add(i)
  await store.flush()
  assert.equal(await influxCount(url, database), n)
  // At-least-once: the same records again (a replica killed before its commit) overwrite their own points.
  for (const i of items) await store.add(i)
  await store.close()
  assert.equal(await influxCount(url, database), n)
  assert.equal(store.rejected, 0)
  const seq = await influxQuery(url, database, 'SELECT max("seq") FROM resources') as { results: Array<{ series: Array<{ values: Array<[number, number]> }> }> }
  assert.equal(seq.results[0]!.series[0]!.values[0]![1], n - 1)
})

test('tags and strings with spaces, commas, equals, quotes and backslashes round-trip through the query API', { timeout: 30_000 }, async () => {
  const database = uniqueName('escape').replace(/-/g, '_')
  const { ctx } = context()
  const store = await createInfluxStore({ url, database, measurement: 'res ources,x' }, ctx)
  const endpoint = 'my dev,1=a'
  const text = 'say "hi" \\o/ a,b=c'
  await store.add(item({ endpoint, values: { '/3/0/0': text, '/3/0/1': true, '/3/0/2': 7 } }))
  await store.close()
  assert.equal(await influxCount(url, database, 'res ources,x'), 3)
  const tags = await influxQuery(url, database, 'SHOW TAG VALUES FROM "res ources,x" WITH KEY = "ep"') as { results: Array<{ series: Array<{ values: string[][] }> }> }
  assert.deepEqual(tags.results[0]!.series[0]!.values, [['ep', endpoint]])
  const rows = await influxQuery(url, database, `SELECT "svalue", "ep" FROM "res ources,x" WHERE "ep" = 'my dev,1=a' AND "path" = '/3/0/0'`) as
    { results: Array<{ series: Array<{ values: unknown[][] }> }> }
  assert.deepEqual(rows.results[0]!.series[0]!.values, [[1_700_000_000_000, text, endpoint]])
})

test('a NaN, an Infinity and a string over 64 KiB are rejected and counted, once told per reason; the rest is written', { timeout: 30_000 }, async () => {
  const database = uniqueName('reject').replace(/-/g, '_')
  const { ctx, told } = context()
  const store = await createInfluxStore({ url, database, batchSize: 10 }, ctx)
  await store.add(item({ values: { '/3/0/0': Number.NaN, '/3/0/1': 1 } }, 1))
  await store.add(item({ values: { '/3/0/0': Number.NaN, '/3/0/1': Number.POSITIVE_INFINITY } }, 2))
  await store.add(item({ values: { '/3/0/0': 'x'.repeat(64 * 1024 + 1), '/3/0/1': 'ok' } }, 3))
  await store.add(item({ endpoint: 'line\nbreak', values: { '/3/0/0': 2 } }, 4))
  await store.close()
  assert.equal(store.rejected, 5)
  assert.equal(await influxCount(url, database), 2)
  assert.deepEqual(told, [
    { kind: 'sink.influxdb.rejected', detail: 'number not finite (NaN or Infinity)' },
    { kind: 'sink.influxdb.rejected', detail: 'string over 64 KiB' },
    { kind: 'sink.influxdb.rejected', detail: 'newline in the ep tag' },
  ])
})

test('points influxd drops (a field type conflict) are counted from its 400 answer, not thrown; the rest is written', { timeout: 30_000 }, async () => {
  const database = uniqueName('partial').replace(/-/g, '_')
  const { ctx, told } = context()
  const store = await createInfluxStore({ url, database }, ctx)
  // `seq` becomes a float field of the shard: the store's integer seq (2i) then conflicts.
  const res = await fetch(`${url}/write?db=${database}&precision=ms`, { method: 'POST', body: 'resources,ep=x,kind=observe,path=/p seq=1.5 1700000000000' })
  assert.equal(res.status, 204)
  await store.add(item({ values: { '/3/0/2': 3 }, trace: { seq: 2, sentAtMs: 0, deviceId: 'd' } }, 6))
  await store.add(item({ values: { '/3/0/3': 4 } }, 7))
  await store.close()
  assert.equal(store.rejected, 1)
  assert.equal(await influxCount(url, database), 1)
  assert.equal(told.length, 1)
  assert.match(told[0]!.detail, /^influxdb refused points: partial write: field type conflict/)
})

test('influxd stopped mid-way: flush retries for about 5 s, then throws ServiceFailedError naming influxdb', { timeout: 60_000 }, async () => {
  const database = uniqueName('gone').replace(/-/g, '_')
  const { ctx } = context()
  const store = await createInfluxStore({ url, database }, ctx)
  await store.add(item({ values: { '/3/0/0': 1 } }, 1))
  await store.flush()
  await runtime.stop(instance)
  await store.add(item({ values: { '/3/0/0': 2 } }, 2))
  const started = Date.now()
  await assert.rejects(store.flush(), (err: Error) => {
    assert.ok(err instanceof ServiceFailedError, String(err))
    assert.equal(err.service, 'influxdb')
    assert.match(err.message, /writing 1 points to .* failed: ECONNREFUSED/)
    return true
  })
  const took = Date.now() - started
  assert.ok(took > 3500 && took < 10_000, `gave up after ${took} ms`)
})
