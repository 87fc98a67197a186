// `npm run bench:dashboard`: what the live terminal dashboard costs the runner (issue 9: under 5 % of one core at
// a 1 s refresh). A DashboardOutput draws into a 200x60 virtual terminal (a stream that says it is a TTY, its bytes
// counted and dropped) while a synthetic run streams one second a second, with an event each second and nine
// services, after its history was filled (600 seconds: every chart full, the worst case). This process's CPU
// clock is read over the window; the bench's own feeding is measured alone first and shown beside it (not
// subtracted). Figures on stdout, progress on stderr; a missed goal is MISSED. --help lists the options.
import { PassThrough, Writable } from 'node:stream'
import { cpus } from 'node:os'
import { version } from '../../cli/version.ts'
import { dashboardNames, thresholdUnitOf } from '../../cli/dashboard-names.ts'
import { DashboardOutput } from '../../dashboards/terminal/output.ts'
import { HISTORY_S } from '../../dashboards/terminal/state.ts'
import { MetricWindow } from '../../lib/metrics/window.ts'
import { sleep } from '../../lib/time.ts'
import type { RunSecond, RunStart } from '../../results/outputs/contract.ts'
import type { RunMeta, TimeseriesRow } from '../../results/run-format.ts'
import { benchCommand, countArg, parseBench } from '../lib/bench-options.ts'

const GOAL_CPU_PCT = 5
const COLS = 200
const ROWS = 60
const SERVICES = ['edge-kafka', 'cloud-kafka', 'mirror', 'lwm2m-server', 'gateway', 'sink', 'influxdb', 'postgres', 'runner']

const { duration: durationS } = parseBench<{ duration: number }>(benchCommand('dashboard',
  `what the live terminal dashboard costs the runner: this process's CPU while a DashboardOutput draws into a ${COLS}x${ROWS} ` +
  `virtual terminal at a 1 s refresh, fed one second a second (an event each, ${SERVICES.length} services) after its history was filled`)
  .option('--duration <s>', 'seconds measured: the feeding alone for this long, then the dashboard for as long', countArg('--duration', 1), 30)
  .addHelpText('after', `
Figures: the feeding alone (the bench's own cost, shown beside, not subtracted), the dashboard with the feeding in %
of one core (goal < ${GOAL_CPU_PCT} %, MISSED when not met), and the bytes written to the terminal per second.`))
const progress = (line: string): void => { process.stderr.write(`${line}\n`) }

/** A terminal that is not there: says it is a TTY of COLS x ROWS and counts what is written to it. */
class VirtualTerminal extends Writable {
  readonly isTTY = true
  readonly columns = COLS
  readonly rows = ROWS
  bytes = 0
  override _write (chunk: Buffer, _enc: BufferEncoding, done: () => void): void { this.bytes += chunk.length; done() }
}

function row (t: number): TimeseriesRow {
  const wave = Math.sin(t / 20)
  return {
    t_s: t, phase: t < 5 ? 'setup' : 'hold', devices_target: 1000, devices_active: 1000, rate_target: 1000,
    sent: 1000 + Math.round(20 * wave), sent_late: 0, lateness_p99_ms: 1.2, edge_in: 1000, udp_drops: 0, cloud_out: 1000,
    delivered: 990 + Math.round(30 * wave), e2e_p50_ms: 20 + 5 * wave, e2e_p95_ms: 60 + 20 * wave, e2e_p99_ms: 120 + 60 * wave,
    e2e_max_ms: 400, consumer_lag: Math.round(500 + 400 * wave), mirror_lag: Math.round(50 + 40 * wave), consumer_replicas: 4,
    errors: 0, consumer_desired: 4, consumer_lag_s: 0.5 + 0.4 * wave,
    services: Object.fromEntries(SERVICES.map((s, i) => [s, { cpuPct: 10 + i + 5 * wave, memMb: 200 + 30 * i }])),
  }
}

function second (t: number): RunSecond {
  return {
    second: 1_700_000_000 + t, row: row(t), window: new MetricWindow(1_700_000_000 + t),
    thresholds: [{ metric: 'e2e.p99', source: 'e2e.p99<500ms', value: 120, passed: true }, { metric: 'loss', source: 'loss==0', value: null, passed: true }],
    totals: { [dashboardNames.sent]: 1000 * t, [dashboardNames.delivered]: 990 * t },
  }
}

const start: RunStart = {
  meta: { runId: 'bench-dashboard', experiment: { name: 'bench-dashboard', kind: 'linear', file: 'bench', config: {} } } as unknown as RunMeta,
  runDir: '/nonexistent', startMs: Date.now(), services: SERVICES, plannedWorkloadMs: 3_600_000,
}

/** Feeds one second (and an event) a second for `seconds`, calling `each` with every second; returns the CPU ms used. */
async function feed (from: number, seconds: number, each: (s: RunSecond) => void): Promise<number> {
  const before = process.cpuUsage()
  for (let i = 0; i < seconds; i++) {
    each(second(from + i))
    await sleep(1000)
  }
  const used = process.cpuUsage(before)
  return (used.user + used.system) / 1000
}

progress(`bench:dashboard: feeding alone for ${durationS} s, then the dashboard (${COLS}x${ROWS}, ${HISTORY_S} s of history) for ${durationS} s`)
const idleMs = await feed(0, durationS, s => { void s.row })

const terminal = new VirtualTerminal()
const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input })
const dashboard = new DashboardOutput({ names: dashboardNames, unitOf: thresholdUnitOf, abort: () => {}, io: { input, output: terminal as unknown as NodeJS.WritableStream }, refreshMs: 1000 })
dashboard.start(start)
for (let t = 0; t < HISTORY_S; t++) dashboard.add(second(t))
const bytesBefore = terminal.bytes
const dashMs = await feed(HISTORY_S, durationS, s => {
  dashboard.add(s)
  dashboard.event({ t_s: s.row.t_s, kind: 'autoscale', source: 'threshold', detail: `hold 4 -> 4: lag ${s.row.consumer_lag ?? 0} / threshold 1,000` })
})
const bytesPerS = (terminal.bytes - bytesBefore) / durationS
dashboard.close()

const pct = (ms: number): number => 100 * ms / (durationS * 1000)
const cpuPct = pct(dashMs)
console.log(`bench:dashboard  fleetlab ${version()}, node ${process.version}, ${cpus().length} cores, ${COLS}x${ROWS} terminal, refresh 1 s, ${durationS} s`)
console.log(`feeding alone                 ${pct(idleMs).toFixed(2)} % of one core`)
console.log(`dashboard (and feeding)       ${cpuPct.toFixed(2)} % of one core   goal < ${GOAL_CPU_PCT} %   ${cpuPct < GOAL_CPU_PCT ? 'met' : 'MISSED'}`)
console.log(`written to the terminal       ${(bytesPerS / 1024).toFixed(1)} KiB/s`)
process.exit(0)
