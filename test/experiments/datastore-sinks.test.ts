// Real databases behind a run, through the real binary (process runtime): the run's sink writes the observations to
// InfluxDB, a second sink (its own consumer group) keeps the device registry in PostgreSQL from the registrations;
// the embedded platform starts both datastores because the sinks name them. Afterwards (--keep-platform) InfluxDB
// holds exactly the delivered points, counted through its HTTP query API, and PostgreSQL one row per device.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { stat } from 'node:fs/promises'
import pg from 'pg'
import { fleetlabHome } from '../../lib/home.ts'
import { readState } from '../../platform/state.ts'
import { datastoreUrl } from '../../platform/datastores/index.ts'
import { fallbackFolder } from '../../platform/datastores/postgres.ts'
import { influxCount } from '../../platform/sinks/stores/influxdb.ts'
import { runCli } from '../helpers.ts'
import { onlyRun, runDir, writeExperiment } from './run/fixtures.ts'

const DEVICES = 12

test('influxdb holds exactly the delivered points; postgres one registry row per device', { timeout: 300_000 }, async t => {
  const rd = await runDir(t, 'process')
  const file = await writeExperiment(rd.dir, 'datastores', {
    kind: 'linear',
    name: 'datastores',
    seed: 11,
    platform: { partitions: 2 },
    workload: { devices: DEVICES, rate: '2/s', hold: '8s' },
    sink: { kind: 'influxdb', replicas: 2 },
    sinks: [{ name: 'registry', kind: 'postgres' }],
    drain: '30s',
    thresholds: { loss: '==0' },
  })
  const r = await runCli(['run', file, '--runtime', 'process', '--results-dir', rd.runs, '--keep-platform'], {}, 240_000)
  assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
  const run = await onlyRun(rd.runs)
  const state = await readState(fleetlabHome(), run.meta.platform.name)
  assert.ok(state !== undefined, 'the platform was kept')
  const c = state.config
  assert.equal(c.datastores.influxdb.enabled && c.datastores.postgres.enabled, true, 'both datastores started')

  const delivered = run.summary?.delivered ?? 0
  assert.ok(delivered > DEVICES * 10, `delivered ${delivered}`)
  assert.equal(run.summary?.lost, 0)
  assert.ok(run.rows.some(r => typeof r.mirror_lag === 'number'), 'mirror lag recorded')
  // the LWM2M server's own counters came through its /metrics into the run
  const server = run.meta.lwm2mServer ?? {}
  assert.ok((server['lwm2m.notify.traced'] ?? 0) >= delivered && (server['lwm2m.register'] ?? 0) >= DEVICES, JSON.stringify(server))
  assert.ok(run.events.some(e => e.kind === 'reconcile' && /the LWM2M server received \d+ notifications/.test(e.detail)))
  assert.equal(await influxCount(datastoreUrl('influxdb', c.host, c.datastores.influxdb.port), 'fleetlab'), delivered, 'one point per delivered notification')

  const client = new pg.Client({ connectionString: datastoreUrl('postgres', c.host, c.datastores.postgres.port) })
  await client.connect()
  try {
    const rows = (await client.query<{ endpoint: string, online: boolean }>('SELECT endpoint, online FROM devices ORDER BY endpoint')).rows
    assert.equal(rows.length, DEVICES, JSON.stringify(rows))
    assert.equal(new Set(rows.map(x => x.endpoint)).size, DEVICES)
  } finally {
    await client.end()
  }
  // platform status lists the datastores, health-checked, with the URL a store takes
  const status = await runCli(['platform', 'status', '--runtime', 'process', '--name', run.meta.platform.name, '--json'])
  assert.equal(status.code, 0, status.stderr)
  const rows = JSON.parse(status.stdout) as Array<{ name: string, healthy: boolean, url?: string }>
  for (const name of ['influxdb', 'postgres'] as const) {
    const row = rows.find(x => x.name === name)
    assert.ok(row?.healthy === true && row.url === datastoreUrl(name, c.host, c.datastores[name].port), JSON.stringify(rows))
  }
  // platform down stops the datastores too and removes what PostgreSQL kept outside the platform folder
  const down = await runCli(['platform', 'down', '--runtime', 'process', '--name', run.meta.platform.name])
  assert.equal(down.code, 0, down.stderr)
  assert.match(down.stderr, /influxdb: stopped/)
  assert.match(down.stderr, /postgres: stopped/)
  await assert.rejects(stat(fallbackFolder(run.meta.platform.name)), { code: 'ENOENT' })
  const registry = run.meta.sinks?.find(s => s.name === 'registry')
  assert.ok(registry !== undefined && registry.input === 'registrations' && registry.records >= DEVICES && registry.rejected === 0, JSON.stringify(run.meta.sinks))
  assert.ok(run.events.some(e => e.kind === 'sink' && e.detail.startsWith('sink-registry (postgres, registrations)')))
})
