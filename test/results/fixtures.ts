// Synthetic runs for the results tests: seeded per-second rows written with the real RunWriter into a temp dir.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { LatencyHistogram } from '../../lib/metrics/histogram.ts'
import { Prng } from '../../lib/random.ts'
import { RunWriter } from '../../results/run-writer.ts'
import type { RunMeta, SummaryRow, TimeseriesRow } from '../../results/run-format.ts'

export const services = ['edge_kafka', 'cloud_kafka', 'mirror', 'lwm2m_server', 'gateways', 'sink', 'runner']

export async function tempDir (t: TestContext, prefix = 'fleetlab-results-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

export function makeMeta (runId: string, over: Partial<RunMeta> = {}): RunMeta {
  return {
    formatVersion: 1,
    runId,
    experiment: { file: 'experiments/examples/linear.ts', kind: 'linear', name: 'linear-ramp', description: 'ramp <to> 100 & hold',
      config: { kind: 'linear', fleet: { devices: 100 }, workload: { rampMs: 5000 } } },
    seed: 42,
    versions: { fleetlab: '0.1.0', node: process.version, kafka: '3.9.1' },
    git: { commit: 'abc123', dirty: false },
    machine: { hostname: 'lab', os: 'linux 6.1', cpus: 2, cpuModel: 'Test CPU', memoryBytes: 8 * 2 ** 30 },
    runtime: 'process',
    platform: { name: 'exp-1', external: false },
    startedAt: '2026-11-22T02:40:05.000Z',
    endedAt: null,
    complete: false,
    thresholds: [],
    ...over,
  }
}

export interface RowShape {
  seed: number
  seconds: number
  /** per-second e2e latency: base + exponential(scale) samples */
  e2eBaseMs: number
  e2eScaleMs: number
  rate?: number
}

/** Rows with 2 setup seconds, the workload, 2 drain seconds; and the e2e histogram of the samples behind them. */
export function makeRows (shape: RowShape): { rows: TimeseriesRow[], e2e: LatencyHistogram, lateness: LatencyHistogram } {
  const prng = new Prng(shape.seed)
  const rate = shape.rate ?? 100
  const e2e = new LatencyHistogram()
  const lateness = new LatencyHistogram()
  const rows: TimeseriesRow[] = []
  const total = shape.seconds + 4
  for (let t = 0; t < total; t++) {
    const phase = t < 2 ? 'setup' : t >= total - 2 ? 'drain' : 'baseline'
    const active = phase === 'baseline'
    const sec = new LatencyHistogram()
    const late = new LatencyHistogram()
    const sent = active ? Math.round(rate * (0.97 + 0.06 * prng.next())) : 0
    for (let i = 0; i < sent; i++) {
      sec.record(shape.e2eBaseMs - shape.e2eScaleMs * Math.log(1 - prng.next()))
      late.record(2 * prng.next())
    }
    e2e.merge(sec)
    lateness.merge(late)
    const v = (x: number): number | null => sent === 0 ? null : Number(x.toFixed(3))
    rows.push({
      t_s: t, phase, devices_target: active ? 100 : 0, devices_active: active ? 100 : 0, rate_target: active ? rate : 0,
      sent, sent_late: 0, lateness_p99_ms: v(late.percentile(99)), edge_in: sent, cloud_out: sent, delivered: sent,
      e2e_p50_ms: v(sec.percentile(50)), e2e_p95_ms: v(sec.percentile(95)), e2e_p99_ms: v(sec.percentile(99)), e2e_max_ms: v(sec.max),
      consumer_lag: t === 3 ? null : Math.round(10 * prng.next()), mirror_lag: 0, udp_drops: 0, consumer_replicas: 1, errors: 0, consumer_desired: 1, consumer_lag_s: 0,
      services: Object.fromEntries(services.map((s, i) => [s, { cpuPct: Number((10 + i + 5 * prng.next()).toFixed(2)), memMb: Number((100 + 10 * i + prng.next()).toFixed(1)) }])),
    })
  }
  // a second without any service sample: empty cells, loaded back as nulls
  rows[1]!.services = Object.fromEntries(services.map(s => [s, { cpuPct: null, memMb: null }]))
  return { rows, e2e, lateness }
}

export function makeSummary (runId: string, rows: TimeseriesRow[], e2e: LatencyHistogram, complete = true): SummaryRow {
  const sent = rows.reduce((s, r) => s + (r.sent ?? 0), 0)
  return {
    run_id: runId, experiment: 'linear-ramp', kind: 'linear', complete, duration_s: rows.length, devices_peak: 100,
    sent, delivered: sent - 3, lost: 3, lost_not_in_edge: 1, lost_not_mirrored: 0, lost_not_consumed: 2, duplicates: 1, late: 0,
    loss_ratio: 3 / sent, rate_target_mean: 100, rate_achieved_mean: 99.5, rate_accuracy_pct: 99.5,
    e2e_p50_ms: e2e.percentile(50), e2e_p95_ms: e2e.percentile(95), e2e_p99_ms: e2e.percentile(99), e2e_p999_ms: e2e.percentile(99.9),
    e2e_max_ms: e2e.max, e2e_mean_ms: e2e.mean, lateness_p99_ms: 1.98, consumer_lag_max: 9, errors: 0,
    thresholds_passed: 1, thresholds_failed: 1, e2e_clamped: 0,
  }
}

/** A complete run folder `<parent>/<runId>` written through RunWriter. */
export async function writeRun (parent: string, runId: string, shape: RowShape): Promise<{ dir: string, meta: RunMeta, rows: TimeseriesRow[], summary: SummaryRow, e2e: LatencyHistogram }> {
  const dir = join(parent, runId)
  const meta = makeMeta(runId)
  const { rows, e2e, lateness } = makeRows(shape)
  const w = await RunWriter.create(dir, meta, services)
  w.event({ t_s: 0, kind: 'phase', source: 'runner', detail: 'setup' })
  for (const r of rows) w.second(r)
  w.event({ t_s: 2, kind: 'phase', source: 'runner', detail: 'baseline, "quoted", with comma' })
  const final: RunMeta = { ...meta, complete: true, endedAt: '2026-11-22T02:41:05.000Z',
    thresholds: [{ metric: 'e2e.p99', source: '<500ms', value: e2e.percentile(99), passed: true }, { metric: 'loss.ratio', source: '<0.0001', value: 0.001, passed: false }] }
  const summary = makeSummary(runId, rows, e2e)
  await w.finish(final, summary, { 'e2e.latency': e2e.toJSON(), 'lwm2m.notify.lateness': lateness.toJSON(), 'empty.one': new LatencyHistogram().toJSON() })
  return { dir, meta: final, rows, summary, e2e }
}
