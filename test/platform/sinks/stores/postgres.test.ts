// The postgres store against a real PostgreSQL (the datastore, started through the process runtime; one server for
// the file, a database of its own per test so their rows never meet): registration records encoded and decoded with
// the real registrationCodec, observation records with the bridge's encoding, as the sink consumer hands them over.
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { Lwm2mNode } from '../../../../lib/lwm2m/model.ts'
import { postgres, postgresUrl } from '../../../../platform/datastores/postgres.ts'
import { registrationCodec } from '../../../../platform/lwm2m-server/avro/codec.ts'
import { AvroNames } from '../../../../platform/lwm2m-server/avro/types.ts'
import type { AvroLink, AvroRegistrationResponse } from '../../../../platform/lwm2m-server/avro/types.ts'
import { ProcessRuntime } from '../../../../platform/runtime/process.ts'
import type { ServiceInstance } from '../../../../platform/runtime/types.ts'
import { decodeObservation } from '../../../../platform/sinks/observation.ts'
import { createStore } from '../../../../platform/sinks/stores/index.ts'
import { createPostgresObservationStore, createPostgresRegistryStore, createPostgresStore } from '../../../../platform/sinks/stores/postgres.ts'
import type { SinkStore, StoreContext, StoreItem } from '../../../../platform/sinks/store.ts'
import { freePortPair, uniqueName } from '../../../helpers.ts'
import { observationRecord } from '../helpers.ts'

await postgres.ensureInstalled(() => {})
const labDir = await mkdtemp(join(tmpdir(), 'fleetlab-pgstore-'))
await chmod(labDir, 0o711) // the postgres user passes through to its folder
const runtime = new ProcessRuntime(join(labDir, 'pids'))
const platform = uniqueName('t-pgstore')
const port = await freePortPair()
const spec = await postgres.prepare({ platform, dir: labDir, host: '127.0.0.1', port })
const server: ServiceInstance = await runtime.start(spec)
await postgres.waitHealthy({ host: '127.0.0.1', port, timeoutMs: 30_000, logFile: spec.logFile, alive: async () => (await runtime.stats(server)).running })

test.after(async () => {
  await runtime.sweep(platform)
  await runtime.close()
  await rm(labDir, { recursive: true, force: true })
})

async function query (url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(sql)).rows
  } finally {
    await client.end()
  }
}

async function freshDatabase (): Promise<string> {
  const db = uniqueName('t').replace('-', '_')
  await query(postgresUrl('127.0.0.1', port), `CREATE DATABASE ${db}`)
  return postgresUrl('127.0.0.1', port, db)
}

interface Told { kind: string, detail: string }

function context (told: Told[] = []): StoreContext {
  return { event: (kind, detail) => told.push({ kind, detail }), now: Date.now }
}

async function opened (t: Pick<TestContext, 'after'>, store: Promise<SinkStore>): Promise<SinkStore> {
  const s = await store
  t.after(async () => { await s.close().catch(() => {}) })
  return s
}

let offset = 0

/** A record through the real codec, as sink-consumer.ts hands it to the store. */
function item (record: AvroRegistrationResponse): StoreItem {
  return { kind: 'registration', record: registrationCodec.decode(registrationCodec.encode(record)), topic: 'iot.gw1.registrations', partition: 0, offset: String(offset++), receivedAtMs: Date.now() }
}

const links: AvroLink[] = [{ url: '/3/0', at: {} }, { url: '/3303/0', at: { ver: '1.1' } }]

function registered (ep: string, at: number, lt = 300): StoreItem {
  return item({
    kind: 'NEW',
    body: {
      [AvroNames.AvroRegistrationNew]: {
        ep, serverId: 'lwm2m-gw1', regDate: at, address: '10.0.0.7', port: 40000, regAddr: '127.0.0.1', regPort: 5683, lt, sms: null,
        ver: '1.1', bnd: 'U', regId: `r-${ep}`, links, attributes: null, root: '/', lastUp: at,
      },
    },
  })
}

function updated (ep: string, at: number, lt: number | null, bnd: 'U' | 'UQ' | null = null): StoreItem {
  return item({
    kind: 'UPDATE',
    body: { [AvroNames.AvroRegistrationUpdate]: { ep, serverId: 'lwm2m-gw1', regId: `r-${ep}`, address: '10.0.0.7', port: 40000, lt, sms: null, bnd, links: null, attributes: null, lastUp: at } },
  })
}

function deregistered (ep: string, at: number, expired: boolean): StoreItem {
  return item({ kind: 'DELETE', body: { [AvroNames.AvroRegistrationDelete]: { ep, serverId: 'lwm2m-gw1', expired, lastUp: at } } })
}

const deviceColumns = 'endpoint, online, lifetime, binding, offline_reason, last_event'

async function devices (url: string, columns = deviceColumns): Promise<Array<Record<string, unknown>>> {
  return await query(url, `SELECT ${columns} FROM devices ORDER BY endpoint`)
}

test('NEW, UPDATE and DELETE sequences leave one row per device', async t => {
  const url = await freshDatabase()
  const store = await opened(t, createStore('postgres', { url }, context()))
  assert.equal(store.input, 'registrations')
  const t0 = Date.UTC(2026, 0, 1)
  const sequence = [
    registered('dev-a', t0), registered('dev-b', t0), updated('dev-a', t0 + 1000, 600), updated('dev-a', t0 + 2000, null, 'UQ'),
    registered('dev-c', t0), deregistered('dev-b', t0 + 3000, true), deregistered('dev-c', t0 + 3000, false), registered('dev-c', t0 + 4000),
    updated('dev-d', t0 + 5000, 90), // its NEW came before the earliest offset the sink read
  ]
  for (const it of sequence) await store.add(it)
  await store.flush()
  assert.deepEqual(await devices(url), [
    { endpoint: 'dev-a', online: true, lifetime: 600, binding: 'UQ', offline_reason: null, last_event: 'UPDATE' }, // the second UPDATE carried no lifetime
    { endpoint: 'dev-b', online: false, lifetime: 300, binding: 'U', offline_reason: 'expired', last_event: 'DELETE' },
    { endpoint: 'dev-c', online: true, lifetime: 300, binding: 'U', offline_reason: null, last_event: 'NEW' }, // registered again
    { endpoint: 'dev-d', online: true, lifetime: 90, binding: null, offline_reason: null, last_event: 'UPDATE' },
  ])
  const [a] = await devices(url, 'objects, server_id, registered_at, last_update, last_offset')
  assert.deepEqual(a, {
    objects: links, server_id: 'lwm2m-gw1', registered_at: new Date(t0), last_update: new Date(t0 + 2000),
    last_offset: sequence[3]!.offset, // bigint comes back as text
  })
  assert.equal(store.rejected, 0)
})

test('a replayed batch changes nothing, and an older record is ignored', async t => {
  const url = await freshDatabase()
  const store = await opened(t, createStore('postgres', { url }, context()))
  const t0 = Date.UTC(2026, 0, 2)
  const batch = [registered('dev-r', t0), updated('dev-r', t0 + 1000, 120), deregistered('dev-r', t0 + 2000, false), registered('dev-s', t0)]
  for (const it of batch) await store.add(it)
  await store.flush()
  const before = await devices(url, '*')
  // at-least-once: the consumer was killed before committing, the next owner of the partition writes the batch again
  for (const it of batch) await store.add(it)
  await store.flush()
  assert.deepEqual(await devices(url, '*'), before)
  // out of order: an UPDATE and a NEW older than the row's last change (late duplicates from before the DELETE)
  await store.add(updated('dev-r', t0 + 1500, 999))
  await store.add(registered('dev-r', t0 + 1999, 5))
  await store.flush()
  assert.deepEqual(await devices(url, '*'), before)
  assert.deepEqual(before.map(r => [r.endpoint, r.online, r.lifetime, r.offline_reason]), [['dev-r', false, 120, 'deregistered'], ['dev-s', true, 300, null]])
})

test('a record it cannot use is counted, told once per reason, and the store goes on', async t => {
  const url = await freshDatabase()
  // A rule of the database's own the store cannot know about: the server refuses that row, and only that row.
  await query(url, `CREATE TABLE devices (endpoint text PRIMARY KEY CHECK (endpoint <> 'dev-refused'), objects jsonb, online boolean NOT NULL,
    registered_at timestamptz, last_update timestamptz NOT NULL, lifetime integer, binding text, server_id text, offline_reason text,
    last_event text NOT NULL, last_offset bigint)`)
  const told: Told[] = []
  const store = await opened(t, createStore('postgres', { url }, context(told)))
  const t0 = Date.UTC(2026, 0, 3)
  await store.add(registered('', t0)) // an empty endpoint, through the codec
  await store.add(registered('', t0 + 1))
  await store.add({ kind: 'registration', record: { kind: 'REBOOT', body: {} }, topic: 'iot.gw1.registrations', partition: 0, offset: '7', receivedAtMs: 0 })
  await store.add({ kind: 'registration', record: null, topic: 'iot.gw1.registrations', partition: 0, offset: '8', receivedAtMs: 0 })
  await store.add(registered('dev-ok', t0))
  await store.add(registered('dev-refused', t0))
  await store.add(registered('dev-ok-too', t0))
  await store.flush()
  assert.equal(store.rejected, 5)
  const rejected = told.filter(e => e.kind === 'sink.postgres.rejected').map(e => e.detail)
  assert.equal(rejected.length, 4, rejected.join('\n'))
  assert.match(rejected[0]!, /offset \d+: no endpoint \(ep\)/)
  assert.match(rejected[1]!, /offset 7: unknown kind "REBOOT"/)
  assert.match(rejected[2]!, /offset 8: not a registration record/)
  assert.match(rejected[3]!, /refused by the server \(SQLSTATE 23514/)
  assert.deepEqual((await devices(url)).map(r => r.endpoint), ['dev-ok', 'dev-ok-too'])
  // and the next batch is written as usual
  await store.add(updated('dev-ok', t0 + 10, 77))
  await store.flush()
  assert.equal((await devices(url))[0]!.lifetime, 77)
})

function traced (ep: string, seq: number, value: number): StoreItem {
  const node: Lwm2mNode = { kind: 'single', id: 5700, type: 'float', value }
  const observation = decodeObservation(observationRecord(ep, '/3303/0/5700', node, { seq, sentAtMs: Date.UTC(2026, 0, 4) + seq }))
  return { kind: 'observation', observation, topic: 'iot.gw1.observations', partition: 1, offset: String(offset++), receivedAtMs: Date.now() }
}

test('observations: one row per value, duplicates add no rows, untraced records are rejected', async t => {
  const url = await freshDatabase()
  const told: Told[] = []
  const store = await opened(t, createStore('postgres', { url, observations: true }, context(told)))
  assert.equal(store.input, 'observations')
  const instance: Lwm2mNode = { kind: 'instance', id: 0, resources: new Map([
    [5700, { kind: 'single', id: 5700, type: 'float', value: 20.25 }],
    [5701, { kind: 'single', id: 5701, type: 'string', value: 'Cel' }],
  ]) }
  const two = decodeObservation(observationRecord('dev-o', '/3303/0', instance, { seq: 9, sentAtMs: Date.UTC(2026, 0, 4) }))
  const batch = [traced('dev-o', 0, 21.5), traced('dev-o', 1, 21.75), traced('dev-p', 0, 19),
    { kind: 'observation' as const, observation: two, topic: 'iot.gw1.observations', partition: 1, offset: '99', receivedAtMs: Date.now() }]
  for (const it of batch) await store.add(it)
  await store.add(traced('dev-o', 1, 21.75)) // a CON retransmission published twice, in the same batch
  await store.flush()
  const count = async (): Promise<unknown> => (await query(url, 'SELECT count(*)::int AS n FROM observations'))[0]!.n
  assert.equal(await count(), 5)
  for (const it of batch) await store.add(it) // the batch replayed
  await store.flush()
  assert.equal(await count(), 5)
  assert.deepEqual(await query(url, "SELECT endpoint, seq::int, path, value, sent_at FROM observations WHERE endpoint = 'dev-o' ORDER BY seq, path"), [
    { endpoint: 'dev-o', seq: 0, path: '/3303/0/5700', value: 21.5, sent_at: new Date(Date.UTC(2026, 0, 4)) },
    { endpoint: 'dev-o', seq: 1, path: '/3303/0/5700', value: 21.75, sent_at: new Date(Date.UTC(2026, 0, 4) + 1) },
    { endpoint: 'dev-o', seq: 9, path: '/3303/0/5700', value: 20.25, sent_at: new Date(Date.UTC(2026, 0, 4)) },
    { endpoint: 'dev-o', seq: 9, path: '/3303/0/5701', value: 'Cel', sent_at: new Date(Date.UTC(2026, 0, 4)) },
  ])
  const untraced = decodeObservation(observationRecord('dev-u', '/3303/0/5700', { kind: 'single', id: 5700, type: 'float', value: 1 }))
  await store.add({ kind: 'observation', observation: untraced, topic: 'iot.gw1.observations', partition: 1, offset: '100', receivedAtMs: Date.now() })
  await store.add({ kind: 'observation', observation: { ...untraced, trace: { seq: 3, sentAtMs: 1, deviceId: 'dev-u' }, values: { '/3303/0/5700': Number.NaN } }, topic: 'iot.gw1.observations', partition: 1, offset: '101', receivedAtMs: Date.now() })
  await store.add(registered('dev-x', 1))
  await store.flush()
  assert.equal(store.rejected, 3)
  assert.deepEqual(told.filter(e => e.kind === 'sink.postgres.rejected').map(e => e.detail.replace(/^.*?: /, '')), [
    'untraced (no sequence number to key it by) (told once per reason)',
    'a value that is not a finite number (told once per reason)',
    'a registration record (this store reads observations) (told once per reason)',
  ])
  assert.equal(await count(), 5)
})

test('batchSize: add waits for the write of a full buffer; bad options are refused all at once', async t => {
  const url = await freshDatabase()
  const store = await opened(t, createPostgresRegistryStore({ url, batchSize: 2 }, context()))
  await store.add(registered('dev-1', 1))
  assert.deepEqual(await devices(url), [])
  await store.add(registered('dev-2', 1))
  assert.equal((await devices(url)).length, 2)
  const observationStore = await opened(t, createPostgresObservationStore({ url }, context()))
  assert.equal(observationStore.input, 'observations')
  for (const options of [{ url: 'http://x/db', batchSize: 0, observations: 'yes', extra: true }, { batchSize: 1.5 }]) {
    await assert.rejects(createPostgresStore(options, context()), (err: Error & { code?: string, problems?: string[] }) => {
      assert.equal(err.code, 'FLEETLAB_INVALID_CONFIG')
      const fields = 'extra' in options ? ['sink.options.extra', 'sink.options.url', 'sink.options.observations', 'sink.options.batchSize'] : ['sink.options.url', 'sink.options.batchSize']
      assert.deepEqual(err.problems?.map(p => p.split(':')[0]), fields)
      return true
    })
  }
})

// The last test of the file: the server stays stopped.
test('the server stopped mid-way: flush throws ServiceFailedError after its retries', { timeout: 60_000 }, async t => {
  const url = await freshDatabase()
  const told: Told[] = []
  // A shorter policy than the default (about 3 s of waiting): the same retry loop, a faster suite.
  const retry = { attempts: 3, backoffMs: 50, capMs: 100 }
  const store = await opened(t, createPostgresRegistryStore({ url }, context(told), { retry }))
  await store.add(registered('dev-x', 1))
  await store.flush()
  const stopping = Date.now()
  await runtime.stop(server, { timeoutMs: 15_000 })
  t.diagnostic(`the server stopped in ${Date.now() - stopping} ms`)
  await store.add(registered('dev-y', 2))
  const started = Date.now()
  await assert.rejects(store.flush(), (err: Error & { code?: string, hint?: string }) => {
    assert.equal(err.code, 'FLEETLAB_SERVICE_FAILED')
    assert.match(err.message, new RegExp(`^postgres: cannot write 1 registration records to 127\\.0\\.0\\.1:${port}/t_`))
    assert.match(err.hint ?? '', /datastore running/)
    return true
  })
  const retries = told.filter(e => e.kind === 'sink.postgres.retry')
  assert.equal(retries.length, retry.attempts - 1, JSON.stringify(retries))
  assert.match(retries[0]!.detail, /ECONNREFUSED/)
  t.diagnostic(`flush gave up after ${Date.now() - started} ms and ${retries.length} retries`)
})
