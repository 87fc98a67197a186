import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LatencyHistogram } from '../../lib/metrics/histogram.ts'
import { formatRunSummary } from '../../results/summary-print.ts'
import { makeMeta, makeSummary } from './fixtures.ts'

test('the end-of-run summary: aligned measures, thresholds with ✓/✗ and their values, where the results are', () => {
  const e2e = new LatencyHistogram()
  for (let i = 1; i <= 1000; i++) e2e.record(i / 10)
  const meta = makeMeta('2026-11-22T02-40-05-linear-3f9a', {
    complete: true,
    thresholds: [{ metric: 'e2e.p99', source: '<500ms', value: 99.1, passed: true }, { metric: 'loss.ratio', source: '<0.0001', value: 0.001, passed: false }],
    overhead: { runnerCpuPct: 12.34, runnerMemMb: 210 },
  })
  const summary = { ...makeSummary(meta.runId, [{ sent: 10000 } as never], e2e), sent: 10000, delivered: 9997, lost: 3, loss_ratio: 0.0003 }
  const text = formatRunSummary(meta, summary, { runDir: '/x/results/runs/2026-11-22T02-40-05-linear-3f9a' })
  const lines = text.split('\n')
  assert.equal(lines[0], 'linear-ramp (linear)  run 2026-11-22T02-40-05-linear-3f9a  seed 42')
  assert.ok(lines.includes('  sent.......... 10,000  (0 late, > 10 ms after the intended send time)'), text)
  assert.ok(lines.includes('  lost.......... 3  0.030 %  (not in edge 1, not consumed 2)'), text)
  assert.match(text, /e2e latency\.+ p50 50\.0 ms {2}p95 95\.0 ms {2}p99 99\.0 ms {2}p99\.9 99\.9 ms {2}max 100\.0 ms/)
  assert.match(text, /lab overhead\.+ runner 12\.3 % CPU, 210 MB/)
  assert.match(text, /\n {2}✓ e2e\.p99 <500ms +99\.1 ms\n {2}✗ loss\.ratio <0\.0001 +0\.100 %/)
  assert.match(text, /results {2}\/x\/results\/runs\/2026-11-22T02-40-05-linear-3f9a\nreport {3}fleetlab report 2026-11-22T02-40-05-linear-3f9a$/)
  assert.doesNotMatch(text, /\x1b\[/, 'no colour codes')
  assert.doesNotMatch(text, /e2e clamped/, 'said only when there are any')
  assert.match(formatRunSummary(meta, { ...summary, e2e_clamped: 12 }), /e2e clamped\.+ 12 latencies outside the histogram \(below 0 ms: a gateway's clock ahead of the sink's/)
  const cut = formatRunSummary({ ...meta, complete: false, incompleteReason: 'interrupted (SIGINT)' }, summary)
  assert.match(cut.split('\n')[1]!, /^INCOMPLETE: interrupted \(SIGINT\)$/)
})
