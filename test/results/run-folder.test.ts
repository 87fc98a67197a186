import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { FleetlabError } from '../../lib/errors.ts'
import { RunWriter, listRuns, loadRun, newRunId, serviceColumns, timeseriesFixedColumns } from '../../results/run-folder.ts'
import { makeMeta, makeRows, services, tempDir, writeRun } from './fixtures.ts'

const resultsError = (pattern: RegExp, hint?: RegExp) => (err: unknown): boolean => {
  assert.ok(err instanceof FleetlabError, String(err))
  assert.equal(err.code, 'FLEETLAB_RESULTS')
  assert.match(err.message, pattern)
  if (hint !== undefined) assert.match(err.hint ?? '', hint)
  return true
}

test('a run written with RunWriter loads back equal: meta, rows, events, summary, histograms', async t => {
  const parent = await tempDir(t)
  const w = await writeRun(parent, '2026-11-22T02-40-05-linear-3f9a', { seed: 1, seconds: 8, e2eBaseMs: 20, e2eScaleMs: 5 })
  const run = await loadRun(w.dir)
  assert.deepEqual(run.meta, w.meta)
  assert.deepEqual(run.rows, w.rows)
  assert.deepEqual(run.services, services)
  assert.deepEqual(run.summary, w.summary)
  assert.deepEqual(run.events, [
    { t_s: 0, kind: 'phase', source: 'runner', detail: 'setup' },
    { t_s: 2, kind: 'phase', source: 'runner', detail: 'baseline, "quoted", with comma' },
  ])
  assert.deepEqual(Object.keys(run.histograms).sort(), ['e2e.latency', 'lwm2m.notify.lateness'], 'empty histograms are left out')
  assert.ok(run.histograms['e2e.latency']!.equals(w.e2e))
  // by run id under a runs dir too
  assert.equal((await loadRun('2026-11-22T02-40-05-linear-3f9a', parent)).dir, w.dir)
})

test('timeseries.csv has the fixed columns in order, then cpu/mem per service; unknowns are empty cells', async t => {
  const parent = await tempDir(t)
  const dir = join(parent, 'r1')
  const w = await RunWriter.create(dir, makeMeta('r1'), ['edge-kafka', 'runner'])
  const { rows } = makeRows({ seed: 2, seconds: 1, e2eBaseMs: 1, e2eScaleMs: 1 })
  w.second({ ...rows[2]!, services: { 'edge-kafka': { cpuPct: 12.5, memMb: 300 } } })
  const text = await readFile(join(dir, 'timeseries.csv'), 'utf8')
  const [header, row] = parse(text) as string[][]
  assert.deepEqual(header, [...timeseriesFixedColumns, 'cpu_pct_edge_kafka', 'mem_mb_edge_kafka', 'cpu_pct_runner', 'mem_mb_runner'])
  assert.deepEqual(header!.slice(0, 3), ['t_s', 'phase', 'devices_target'])
  assert.deepEqual(row!.slice(-4), ['12.5', '300', '', ''])
  assert.deepEqual(serviceColumns(['lwm2m-server']), ['cpu_pct_lwm2m_server', 'mem_mb_lwm2m_server'])
  // written through at once: readable before finish, as a killed run leaves it
  assert.equal(text.split('\n').length, 3)
})

test('an interrupted run (never finished) still loads: run.json incomplete, the seconds it had, no summary', async t => {
  const parent = await tempDir(t)
  const dir = join(parent, 'cut')
  const w = await RunWriter.create(dir, makeMeta('cut'), services)
  const { rows } = makeRows({ seed: 3, seconds: 3, e2eBaseMs: 10, e2eScaleMs: 2 })
  for (const r of rows.slice(0, 4)) w.second(r)
  w.event({ t_s: 1, kind: 'phase', source: 'runner', detail: 'setup' })
  // a kill in the middle of a write leaves half a line
  await appendFile(join(dir, 'timeseries.csv'), '4,baseline,100,10')
  const run = await loadRun(dir)
  assert.equal(run.meta.complete, false)
  assert.equal(run.meta.endedAt, null)
  assert.equal(run.summary, null)
  assert.deepEqual(run.histograms, {})
  assert.deepEqual(run.rows, rows.slice(0, 4))
  assert.equal(run.events.length, 1)
})

test('finish works for an incomplete run and records why', async t => {
  const parent = await tempDir(t)
  const dir = join(parent, 'stopped')
  const meta = makeMeta('stopped')
  const w = await RunWriter.create(dir, meta, services)
  const { rows, e2e } = makeRows({ seed: 4, seconds: 2, e2eBaseMs: 10, e2eScaleMs: 2 })
  for (const r of rows) w.second(r)
  const { makeSummary } = await import('./fixtures.ts')
  await w.finish({ ...meta, endedAt: '2026-11-22T02:41:00.000Z', incompleteReason: 'interrupted (SIGINT)' }, makeSummary('stopped', rows, e2e, false), { 'e2e.latency': e2e.toJSON() })
  const run = await loadRun(dir)
  assert.equal(run.meta.complete, false)
  assert.equal(run.meta.incompleteReason, 'interrupted (SIGINT)')
  assert.equal(run.summary?.complete, false)
  assert.equal(run.rows.length, rows.length)
})

test('a summary.csv from before e2e_clamped loads with it empty', async t => {
  const parent = await tempDir(t)
  const { dir } = await writeRun(parent, 'older', { seed: 9, seconds: 3, e2eBaseMs: 10, e2eScaleMs: 1 })
  const path = join(dir, 'summary.csv')
  const [header, row] = (await readFile(path, 'utf8')).trim().split('\n')
  const at = header!.split(',').indexOf('e2e_clamped')
  assert.ok(at >= 0)
  const drop = (line: string): string => line.split(',').filter((_, i) => i !== at).join(',')
  await writeFile(path, `${drop(header!)}\n${drop(row!)}\n`)
  const run = await loadRun(dir)
  assert.equal(run.summary?.e2e_clamped, null)
  assert.equal(run.summary?.sent !== null, true)
})

test('loadRun errors name the problem with FLEETLAB_RESULTS and a hint', async t => {
  const parent = await tempDir(t)
  await assert.rejects(loadRun(join(parent, 'nope'), parent), resultsError(/no run folder at .*nope/, /no runs under/))
  await writeRun(parent, '2026-11-20T10-00-00-linear-aaaa', { seed: 5, seconds: 2, e2eBaseMs: 1, e2eScaleMs: 1 })
  await writeRun(parent, '2026-11-21T10-00-00-burst-bbbb', { seed: 6, seconds: 2, e2eBaseMs: 1, e2eScaleMs: 1 })
  assert.deepEqual(await listRuns(parent), ['2026-11-21T10-00-00-burst-bbbb', '2026-11-20T10-00-00-linear-aaaa'])
  await assert.rejects(loadRun('2026-11-19-missing', parent),
    resultsError(/no run folder at 2026-11-19-missing/, /newest run ids: 2026-11-21T10-00-00-burst-bbbb, 2026-11-20T10-00-00-linear-aaaa/))

  const empty = join(parent, 'empty')
  await mkdir(empty)
  await assert.rejects(loadRun(empty), resultsError(/is not a run folder: it has no run\.json/))

  const old = join(parent, 'old')
  await mkdir(old)
  await writeFile(join(old, 'run.json'), JSON.stringify({ ...makeMeta('old'), formatVersion: 0 }))
  await assert.rejects(loadRun(old), resultsError(/results format 0, this fleetlab reads format 1: made by an older fleetlab/, /repeat the run/))
  await writeFile(join(old, 'run.json'), JSON.stringify({ runId: 'older' }))
  await assert.rejects(loadRun(old), resultsError(/results format \(none\).*older fleetlab/))
  await writeFile(join(old, 'run.json'), '{"formatVersion": 1, "runId": ')
  await assert.rejects(loadRun(old), resultsError(/run\.json is not valid JSON/))

  const garbled = (await writeRun(parent, 'garbled', { seed: 7, seconds: 3, e2eBaseMs: 1, e2eScaleMs: 1 })).dir
  const ts = join(garbled, 'timeseries.csv')
  const lines = (await readFile(ts, 'utf8')).split('\n')
  lines[3] = '1,2,3'
  await writeFile(ts, lines.join('\n'))
  await assert.rejects(loadRun(garbled), resultsError(/timeseries\.csv line 4: /, /garbled/))
  lines[3] = lines[4]!.replace(/^(\d+),baseline,100/, '$1,baseline,lots')
  await writeFile(ts, lines.join('\n'))
  await assert.rejects(loadRun(garbled), resultsError(/timeseries\.csv line 4, column devices_target: expected a number, got "lots"/))
  await writeFile(ts, lines.slice(0, 1).join('') + '\n')
  await writeFile(join(garbled, 'summary.csv'), 'run_id,experiment\nx,y\n')
  await assert.rejects(loadRun(garbled), resultsError(/summary\.csv line 1: missing columns kind, complete/))
})

test('newRunId sorts by time, is unique and folder-safe', () => {
  const a = newRunId('Linear Ramp!', new Date('2026-11-22T02:40:05.123Z'))
  assert.match(a, /^2026-11-22T02-40-05-linear-ramp-[0-9a-f]{4}$/)
  assert.notEqual(newRunId('x', new Date(0)), newRunId('x', new Date(0)))
  const ids = [newRunId('b', new Date('2026-01-02T00:00:00Z')), newRunId('a', new Date('2026-01-01T00:00:00Z'))]
  assert.deepEqual([...ids].sort(), [ids[1], ids[0]])
  assert.match(newRunId('///', new Date(0)), /-run-[0-9a-f]{4}$/)
})
