import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parse } from 'csv-parse/sync'
import { compareRuns, formatComparisonCsv, formatComparisonTable } from '../../results/compare.ts'
import type { ComparedMetric } from '../../results/compare.ts'
import { compareHtml } from '../../results/compare-html.ts'
import { loadRun } from '../../results/run-loader.ts'
import { tempDir, writeRun } from './fixtures.ts'

const metric = (metrics: ComparedMetric[], key: string): ComparedMetric => {
  const m = metrics.find(x => x.key === key)
  assert.ok(m !== undefined, `no metric ${key}`)
  return m
}

test('a clearly slower run differs significantly in latency; one from the same distribution does not', async t => {
  const parent = await tempDir(t)
  const base = await loadRun((await writeRun(parent, 'base', { seed: 101, seconds: 40, e2eBaseMs: 20, e2eScaleMs: 5 })).dir)
  const same = await loadRun((await writeRun(parent, 'same', { seed: 202, seconds: 40, e2eBaseMs: 20, e2eScaleMs: 5 })).dir)
  const slow = await loadRun((await writeRun(parent, 'slow', { seed: 303, seconds: 40, e2eBaseMs: 40, e2eScaleMs: 5 })).dir)
  const c = compareRuns([base, same, slow])
  assert.deepEqual(c.runs.map(r => [r.runId, r.workloadSeconds]), [['base', 40], ['same', 40], ['slow', 40]])

  const p99 = metric(c.metrics, 'e2e_p99')
  assert.equal(p99.aggregate, 'whole run (HDR)')
  assert.equal(p99.values[0]!.value, base.histograms['e2e.latency']!.percentile(99), 'percentile from the merged histogram')
  assert.equal(p99.values[0]!.significant, null, 'the baseline is not tested against itself')
  assert.equal(p99.values[1]!.significant, false, `same distribution: p=${p99.values[1]!.test?.p}`)
  assert.equal(p99.values[2]!.significant, true)
  assert.equal(p99.values[2]!.test?.test, 'quantile', 'the whole-run p99 shown is the one tested, on the records')
  assert.ok(p99.values[2]!.test!.p! < 1e-6)
  assert.ok(p99.values[1]!.test!.p! > 0.05 && p99.values[1]!.test?.test === 'quantile')
  assert.ok(p99.values[2]!.delta! > 15 && p99.values[2]!.deltaPct! > 40, `delta ${p99.values[2]!.delta}`)
  for (const key of ['e2e_p50', 'e2e_p95']) assert.equal(metric(c.metrics, key).values[2]!.significant, true, key)
  assert.equal(metric(c.metrics, 'e2e_p50').values[1]!.significant, false)
  // a maximum is one record: shown, not tested
  assert.equal(metric(c.metrics, 'e2e_max').values[2]!.test, undefined)
  assert.equal(metric(c.metrics, 'e2e_max').values[2]!.significant, null)
  assert.notEqual(metric(c.metrics, 'e2e_max').values[2]!.delta, null)

  const rate = metric(c.metrics, 'rate_achieved')
  assert.equal(rate.values[1]!.test?.test, 'welch', 'rates over 40 s are symmetric')
  assert.equal(rate.values[1]!.significant, false)
  for (const key of ['delivered_rate', 'lateness_p99', 'consumer_lag', 'cpu_pct_edge_kafka', 'mem_mb_runner']) {
    assert.ok(metric(c.metrics, key).values[1]!.test !== undefined, key)
  }
  const loss = metric(c.metrics, 'loss_ratio')
  assert.equal(loss.aggregate, 'total')
  assert.equal(loss.values[1]!.test, undefined)
  assert.equal(metric(c.metrics, 'duplicates').values[2]!.delta, 0)
})

test('setup and drain seconds are left out of the samples; too few seconds means no test', async t => {
  const parent = await tempDir(t)
  const a = await loadRun((await writeRun(parent, 'a', { seed: 31, seconds: 3, e2eBaseMs: 10, e2eScaleMs: 1 })).dir)
  const b = await loadRun((await writeRun(parent, 'b', { seed: 32, seconds: 3, e2eBaseMs: 50, e2eScaleMs: 1 })).dir)
  const c = compareRuns([a, b])
  assert.equal(c.runs[0]!.workloadSeconds, 3)
  const p99 = metric(c.metrics, 'e2e_p99')
  assert.equal(p99.values[1]!.test, undefined)
  assert.equal(p99.values[1]!.significant, null)
  assert.ok(p99.values[1]!.delta! > 30)
})

test('table, csv and html formats', async t => {
  const parent = await tempDir(t)
  const a = await loadRun((await writeRun(parent, 'run-a', { seed: 41, seconds: 10, e2eBaseMs: 20, e2eScaleMs: 5 })).dir)
  const b = await loadRun((await writeRun(parent, 'run-b', { seed: 42, seconds: 10, e2eBaseMs: 60, e2eScaleMs: 5 })).dir)
  const c = compareRuns([a, b])
  const text = formatComparisonTable(c)
  assert.match(text, /^runs \(compared with run 1\):\n {2}1 {2}run-a {2}linear-ramp \(linear\) {2}10 s of workload\n {2}2 {2}run-b/)
  assert.match(text, /METRIC +UNIT +RUN 1 +RUN 2 +Δ 2 +SIGNIFICANT 2/)
  assert.match(text, /e2e p50 +ms +\d+\.\d +\d+\.\d +\+\d+\.\d \(\+\d+\.\d %\) +yes Q p<0\.0001/)
  // about 1,000 records a run: too few beyond p99 to read its interval, so no test rather than another one
  assert.match(text, /e2e p99 +ms +\d+\.\d +\d+\.\d +\+\d+\.\d \(\+\d+\.\d %\) +-\n/)
  assert.match(text, /delivered +\/s .* (yes|no) (MWU|Welch) p/)
  assert.match(text, /Mann-Whitney U/)
  assert.match(text, /the value shown is the value tested/)
  assert.ok(text.split('\n').every(l => l.length <= 140), 'no endless lines')

  const rows = parse(formatComparisonCsv(c), { columns: true }) as Array<Record<string, string>>
  const p50 = rows.filter(r => r.metric === 'e2e_p50')
  assert.deepEqual(p50.map(r => [r.run, r.run_id, r.test, r.significant]), [['1', 'run-a', '', ''], ['2', 'run-b', 'quantile', 'true']])
  assert.ok(Number(p50[1]!.p_value) < 0.05)
  assert.equal(Number(p50[1]!.delta), Number(p50[1]!.value) - Number(p50[0]!.value))

  const html = compareHtml(c, [a, b])
  assert.match(html, /^<!DOCTYPE html>/)
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'self-contained')
  assert.equal(html.match(/<svg /g)?.length, 5)
  assert.match(html, /data-series="run 2"/)
  assert.match(html, /class="sig"/)
})
