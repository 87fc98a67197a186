// `fleetlab compare` and `fleetlab report` through the real binary: exit codes, output, and the files written.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { runCli } from '../helpers.ts'
import { makeMeta, tempDir, writeRun } from './fixtures.ts'

test('compare: table by default, csv and html to a file; deltas and significance against the first run', async t => {
  const parent = await tempDir(t)
  await writeRun(parent, '2026-11-22T01-00-00-linear-aaaa', { seed: 61, seconds: 12, e2eBaseMs: 20, e2eScaleMs: 5 })
  const slow = await writeRun(parent, '2026-11-22T02-00-00-linear-bbbb', { seed: 62, seconds: 12, e2eBaseMs: 45, e2eScaleMs: 5 })
  const r = await runCli(['compare', '2026-11-22T01-00-00-linear-aaaa', slow.dir, '--runs-dir', parent])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /1 {2}2026-11-22T01-00-00-linear-aaaa {2}linear-ramp \(linear\) {2}12 s of workload/)
  assert.match(r.stdout, /e2e p99 +ms .* yes Q p[<=]0\.\d+/)
  assert.match(r.stdout, /\nloss +% +0\.\d{3} +0\.\d{3} +[-+±]/)

  const csv = await runCli(['compare', join(parent, '2026-11-22T01-00-00-linear-aaaa'), slow.dir, '--format', 'csv'])
  assert.equal(csv.code, 0, csv.stderr)
  const rows = parse(csv.stdout, { columns: true }) as Array<Record<string, string>>
  assert.equal(rows.find(x => x.metric === 'e2e_p99' && x.run === '2')?.significant, 'true')

  const out = join(parent, 'cmp.html')
  const html = await runCli(['compare', join(parent, '2026-11-22T01-00-00-linear-aaaa'), slow.dir, '--format', 'html', '--out', out])
  assert.equal(html.code, 0, html.stderr)
  assert.equal(html.stdout, '')
  assert.match(html.stderr, /wrote .*cmp\.html/)
  assert.match(await readFile(out, 'utf8'), /^<!DOCTYPE html>[\s\S]*<svg [\s\S]*data-series="run 2"/)
})

test('compare: usage errors exit 2, missing and older runs exit 13 with a hint', async t => {
  const parent = await tempDir(t)
  const a = await writeRun(parent, '2026-11-22T01-00-00-linear-aaaa', { seed: 71, seconds: 3, e2eBaseMs: 20, e2eScaleMs: 5 })
  const one = await runCli(['compare', a.dir])
  assert.equal(one.code, 2)
  assert.match(one.stderr, /error: compare needs at least two runs, got 1/)
  const none = await runCli(['compare'])
  assert.equal(none.code, 2)
  assert.match(none.stderr, /missing required argument 'runs'/)
  const fmt = await runCli(['compare', a.dir, a.dir, '--format', 'xml'])
  assert.equal(fmt.code, 2)
  assert.match(fmt.stderr, /--format: expected one of table, csv, html, got "xml"/)

  const missing = await runCli(['compare', a.dir, 'nope-run', '--runs-dir', parent])
  assert.equal(missing.code, 13)
  assert.match(missing.stderr, /error: no run folder at nope-run\nhint: .*2026-11-22T01-00-00-linear-aaaa/)
  const old = join(parent, 'old')
  await mkdir(old)
  await writeFile(join(old, 'run.json'), JSON.stringify({ ...makeMeta('old'), formatVersion: 0 }))
  const older = await runCli(['compare', a.dir, old])
  assert.equal(older.code, 13)
  assert.match(older.stderr, /made by an older fleetlab/)
})

test('report: writes report.html and the chart PNGs into the run folder; --out and --no-png; no Chromium warns', async t => {
  const parent = await tempDir(t)
  const run = await writeRun(parent, '2026-11-22T01-00-00-linear-cccc', { seed: 81, seconds: 5, e2eBaseMs: 20, e2eScaleMs: 5 })
  const r = await runCli(['report', '2026-11-22T01-00-00-linear-cccc', '--runs-dir', parent])
  assert.equal(r.code, 0, r.stderr)
  const [htmlPath, ...pngs] = r.stdout.trim().split('\n')
  assert.equal(htmlPath, join(run.dir, 'report.html'))
  assert.equal(pngs.length, 6)
  assert.match(r.stderr, /rendering .*charts\/memory\.png \(6\/6\)/)
  assert.match(await readFile(htmlPath, 'utf8'), /<svg [^>]*id="chart-rate"/)
  for (const p of pngs) assert.ok((await stat(p)).size > 1000, p)

  const out = join(parent, 'elsewhere', 'linear.html')
  const noPng = await runCli(['report', run.dir, '--out', out, '--no-png'])
  assert.equal(noPng.code, 0, noPng.stderr)
  assert.equal(noPng.stderr, '')
  assert.equal(noPng.stdout.trim(), out)
  assert.deepEqual(await readdir(dirname(out)), ['linear.html'])

  const bare = await runCli(['report', run.dir, '--out', join(parent, 'bare', 'r.html')], { PATH: parent })
  assert.equal(bare.code, 0, bare.stderr)
  assert.match(bare.stderr, /warning: no Chromium found on PATH, so no PNG charts were made .*install chromium-headless-shell/)

  const missing = await runCli(['report', join(parent, 'gone')])
  assert.equal(missing.code, 13)
  assert.match(missing.stderr, /error: no run folder at .*gone/)
  const help = await runCli(['report', '--help'])
  assert.equal(help.code, 0)
  for (const s of ['--out <file>', '--no-png', 'Examples:', 'chromium-headless-shell']) assert.ok(help.stdout.includes(s), s)
  const chelp = await runCli(['compare', '--help'])
  for (const s of ['--format <format>', '--out <file>', 'Mann-Whitney U', "Welch's t", 'Examples:']) assert.ok(chelp.stdout.includes(s), s)
})
