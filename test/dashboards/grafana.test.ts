// The Grafana dashboards (dashboards/grafana/*.json), checked without Grafana (AGPL, never run here): a real
// Prometheus (Debian's) scrapes a real short run through `--out prometheus` with the scrape config in
// dashboards/prometheus.yml, and every PromQL expression of the dashboards must return data through Prometheus's
// HTTP API while the run holds; every InfluxQL query must return data from the InfluxDB the run's sink wrote to.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fleetlabHome, projectRoot } from '../../lib/home.ts'
import { readState } from '../../platform/state.ts'
import { datastoreUrl } from '../../platform/datastores/index.ts'
import { freePortPair, runCli, waitFor } from '../helpers.ts'
import { onlyRun, runDir, spawnCli, writeExperiment } from '../experiments/run/fixtures.ts'

const grafanaDir = join(projectRoot, 'dashboards', 'grafana')

interface Panel { title: string, targets?: Array<{ expr?: string, query?: string }> }
interface Dashboard { title: string, panels: Panel[] }

async function dashboards (): Promise<Array<{ file: string, json: Dashboard }>> {
  const files = (await readdir(grafanaDir)).filter(f => f.endsWith('.json')).sort()
  return await Promise.all(files.map(async file => ({ file, json: JSON.parse(await readFile(join(grafanaDir, file), 'utf8')) as Dashboard })))
}

/** Every query of the dashboards with the panel it belongs to. */
async function queries (kind: 'expr' | 'query'): Promise<Array<{ where: string, text: string }>> {
  const out: Array<{ where: string, text: string }> = []
  for (const { file, json } of await dashboards()) {
    for (const p of json.panels) for (const t of p.targets ?? []) if (t[kind] !== undefined) out.push({ where: `${file}: ${p.title}`, text: t[kind]! })
  }
  return out
}

test('the dashboards are importable Grafana JSON: a title, panels with a type, a grid position and targets, a datasource input', async () => {
  const all = await dashboards()
  assert.deepEqual(all.map(d => d.file), ['autoscaler.json', 'influxdb-resources.json', 'pipeline.json', 'run-overview.json', 'services.json'])
  for (const { file, json } of all) {
    const d = json as unknown as { uid: string, schemaVersion: number, __inputs: unknown[], panels: Array<Panel & { type: string, gridPos: { w: number, h: number } }> }
    assert.ok(d.uid.startsWith('fleetlab-') && d.schemaVersion >= 36 && d.__inputs.length === 1, file)
    assert.ok(d.panels.length >= 3, file)
    for (const p of d.panels) assert.ok(p.type !== '' && p.gridPos.w > 0 && (p.targets?.length ?? 0) > 0, `${file}: ${p.title}`)
  }
  assert.ok((await queries('expr')).length >= 20)
  assert.ok((await queries('query')).length >= 3)
})

test('every PromQL expression of the dashboards returns data from a real Prometheus scraping a real run; every InfluxQL query returns the sink\'s points', { timeout: 420_000 }, async t => {
  const rd = await runDir(t, 'process')
  const port = await freePortPair()
  const promPort = port + 1
  // the repository's scrape config, pointed at this test's port
  const config = (await readFile(join(projectRoot, 'dashboards', 'prometheus.yml'), 'utf8')).replace('127.0.0.1:9464', `127.0.0.1:${port}`)
  assert.notEqual(config, await readFile(join(projectRoot, 'dashboards', 'prometheus.yml'), 'utf8'), 'the target was found in prometheus.yml')
  const promDir = join(rd.dir, 'prometheus')
  await mkdir(promDir, { recursive: true })
  await writeFile(join(promDir, 'prometheus.yml'), config)
  const prometheus = spawn('prometheus', [`--config.file=${join(promDir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(promDir, 'data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`], { stdio: ['ignore', 'ignore', 'pipe'] })
  let promLog = ''
  prometheus.stderr.on('data', d => { promLog = (promLog + String(d)).slice(-4000) })
  t.after(() => { prometheus.kill('SIGKILL') })
  const api = `http://127.0.0.1:${promPort}/api/v1`
  await waitFor('Prometheus to be ready', async () => (await fetch(`http://127.0.0.1:${promPort}/-/ready`).catch(() => undefined))?.ok === true ? true : undefined, 60_000)
    .catch(err => { throw new Error(`${(err as Error).message}\n${promLog}`) })

  const file = await writeExperiment(rd.dir, 'grafana', {
    kind: 'linear', name: 'grafana', seed: 9,
    platform: { partitions: 2 },
    workload: { devices: { from: 0, to: 10 }, rate: '2/s', rampDuration: '2s', hold: '60s' },
    sink: { kind: 'influxdb', replicas: 1 },
    drain: '20s',
    thresholds: { 'e2e.p99': '<5s', loss: '==0' },
  })
  const cli = spawnCli(rd, ['run', file, '--runtime', 'process', '--results-dir', rd.runs, '--keep-platform', '--out', `prometheus=:${port}`])
  const instant = async (expr: string): Promise<Array<{ metric: Record<string, string>, value: [number, string] }>> => {
    const res = await fetch(`${api}/query?query=${encodeURIComponent(expr)}`)
    const body = await res.json() as { status: string, error?: string, data?: { result: Array<{ metric: Record<string, string>, value: [number, string] }> } }
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error ?? res.status}`)
    return body.data?.result ?? []
  }
  // the run holds and Prometheus has scraped deliveries for longer than the rate window
  await waitFor('Prometheus to have 20 s of the run in hold', async () => {
    const r = await instant('fleetlab_run_phase{phase="hold"} == 1 and on() (fleetlab_run_elapsed_seconds > 0)').catch(() => [])
    return r.length > 0 ? true : undefined
  }, 180_000).catch(err => { throw new Error(`${(err as Error).message}\nstderr:\n${cli.out.stderr}`) })
  await new Promise(resolve => setTimeout(resolve, 20_000))
  const empty: string[] = []
  const exprs = await queries('expr')
  for (const q of exprs) {
    const expr = q.text.replaceAll('$run_id', '.+').replaceAll('$__rate_interval', '15s')
    const result = await instant(expr)
    if (result.length === 0 || result.every(r => r.value[1] === 'NaN')) empty.push(`${q.where}: ${expr}`)
  }
  assert.deepEqual(empty, [], 'PromQL expressions without data')
  t.diagnostic(`${exprs.length} PromQL expressions returned data`)

  assert.equal(await cli.exited, 0, `stderr:\n${cli.out.stderr}`)
  const run = await onlyRun(rd.runs)
  const state = await readState(fleetlabHome(), run.meta.platform.name)
  assert.ok(state !== undefined && state.config.datastores.influxdb.enabled, 'the platform with InfluxDB was kept')
  const influx = datastoreUrl('influxdb', state.config.host, state.config.datastores.influxdb.port)
  const noPoints: string[] = []
  const influxQueries = await queries('query')
  for (const q of influxQueries) {
    const text = q.text.replaceAll('$timeFilter', 'time > now() - 1h').replaceAll('$__interval', '10s').replaceAll('$ep', '.+')
    const res = await fetch(`${influx.replace(/\/$/, '')}/query?db=fleetlab&q=${encodeURIComponent(text)}`)
    const body = await res.json() as { results?: Array<{ error?: string, series?: Array<{ values: unknown[][] }> }> }
    const r = body.results?.[0]
    assert.equal(r?.error, undefined, `${q.where}: ${text}: ${r?.error ?? ''}`)
    if ((r?.series ?? []).every(s => s.values.length === 0)) noPoints.push(`${q.where}: ${text}`)
  }
  assert.deepEqual(noPoints, [], 'InfluxQL queries without data')
  const down = await runCli(['platform', 'down', '--runtime', 'process', '--name', run.meta.platform.name])
  assert.equal(down.code, 0, down.stderr)
})
