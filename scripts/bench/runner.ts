// `npm run bench:runner`: the experiment runner's figures (issue 4 "Figures"), from real runs on this machine.
//   rate accuracy in steady state at 5,000 notifications/s        goal within 1 % of target
//   runner + recorder CPU at 5,000/s (cpu_pct_runner, and this process's own CPU clock)   goal < 5 % of one core
//   burst onset: intended send rate >= 95 % of the burst target   goal within 1 s (and the delivered side, for context)
//   registration storm (a devices burst): onset and storm duration (context)
//   quickstart: `node cli/bin.js run experiments/examples/quickstart.ts`, spawn to exit   goal < 2 min
// Figures on stdout, progress on stderr. Exit 1 when a run failed; a missed goal is marked MISSED, not an error.
// --help lists the options.
import { spawn } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { table } from '../../cli/format.ts'
import { reportError } from '../../cli/exit-codes.ts'
import { version } from '../../cli/version.ts'
import { BurstExperiment, LinearExperiment } from '../../experiments/index.ts'
import type { Experiment } from '../../experiments/index.ts'
import { runExperiment } from '../../experiments/runner.ts'
import { projectRoot } from '../../lib/home.ts'
import type { RuntimeKind } from '../../platform/runtime/index.ts'
import { loadRun } from '../../results/run-folder.ts'
import type { LoadedRun, SummaryRow } from '../../results/run-folder.ts'
import { burstFigures, CpuClock, mean, rateAccuracy, rowStartMs, steadyRows } from '../lib/runner-figures.ts'
import type { BurstFigures } from '../lib/runner-figures.ts'
import { benchCommand, choiceListArg, numberArg, parseBench, resultsDirOption, runtimeOption } from '../lib/bench-options.ts'

const FIGURES = ['linear', 'burst', 'devices', 'quickstart'] as const
type Figure = (typeof FIGURES)[number]
const GOALS = { accuracyPct: 1, runnerCpuPct: 5, onsetMs: 1000, quickstartMs: 120_000 }
const STEADY_SKIP_S = 5
const RATE_PER_DEVICE = 2

const RATE = { full: 5000, quick: 1000 }

const options = parseBench<{ runtime: RuntimeKind, quick?: boolean, rate?: number, only?: Figure[], resultsDir?: string }>(benchCommand('runner',
  'the experiment runner\'s figures from real runs on this machine: rate accuracy in steady state, the runner\'s CPU, burst ' +
  'onset, a registration storm, and the quickstart\'s wall time')
  .addOption(runtimeOption('the platform, gateways and sink of every run').default('process'))
  .option('--quick', 'every phase short and lower rates: a smoke run, not the figures')
  .option('--rate <n>', `the linear run's target, notifications/s (default ${RATE.full}, ${RATE.quick} with --quick)`, numberArg('--rate'))
  .option('--only <figures>', `the figures to measure, comma-separated, in the order given (default: all, ${FIGURES.join(',')})`, choiceListArg('--only', FIGURES))
  .addOption(resultsDirOption())
  .addHelpText('after', `
Figures: rate accuracy in steady state (goal within ${GOALS.accuracyPct} % of the target); the runner's CPU (cpu_pct_runner, and this
process's own CPU clock; goal < ${GOALS.runnerCpuPct} % of one core); burst onset: the intended send rate reaches 95 % of the burst
target (goal within ${GOALS.onsetMs / 1000} s; the delivered side for context); a registration storm (a devices burst: context); the
quickstart, \`node cli/bin.js run experiments/examples/quickstart.ts\`, spawn to exit (goal < ${GOALS.quickstartMs / 60_000} min).
A missed goal is marked MISSED; exit 1 when a run failed.`))
const quick = options.quick === true
const { runtime } = options
const only = options.only ?? [...FIGURES]
const rate = options.rate ?? (quick ? RATE.quick : RATE.full)
const progress = (line: string): void => { process.stderr.write(`${line}\n`) }

/** The runner's progress, with only every 10th per-second row line (they start with "[  12s]"). */
function summarised (label: string): (line: string) => void {
  let rows = 0
  return line => {
    if (line.startsWith('[') && rows++ % 10 !== 0) return
    progress(`  ${label}: ${line}`)
  }
}

const abort = new AbortController()
process.on('SIGINT', () => {
  if (abort.signal.aborted) process.exit(130)
  progress('stopping: the current run drains, writes partial results and stops its platform (Ctrl-C again to leave at once)')
  abort.abort()
})

const failures: string[] = []
const rows: Array<[string, string, string, string]> = []
const verdict = (pass: boolean | undefined): string => pass === undefined ? '' : pass ? 'ok' : 'MISSED'
const ms = (v: number | undefined): string => v === undefined ? 'never' : `${Math.round(v)} ms`
const pct = (v: number | undefined, digits = 2): string => v === undefined ? '-' : `${v.toFixed(digits)} %`

async function run (label: string, experiment: Experiment, runsDir: string): Promise<LoadedRun | undefined> {
  progress(`\n== ${label}`)
  const outcome = await runExperiment(experiment, {
    file: 'bench:runner', runtime, seed: 1, runsDir, progress: summarised(label), signal: abort.signal, version: version(),
  })
  progress(outcome.summaryText.split('\n').map(l => `    ${l}`).join('\n'))
  if (!outcome.meta.complete) {
    failures.push(`${label}: ${outcome.meta.incompleteReason ?? 'incomplete'} (${outcome.runDir})`)
    return undefined
  }
  // A run that delivered nothing measured nothing downstream (it still counts as complete in run.json)
  const { sent, delivered } = outcome.summary
  if ((sent ?? 0) > 0 && delivered === 0) failures.push(`${label}: sent ${sent}, delivered none (${outcome.runDir}, see events.csv)`)
  return await loadRun(outcome.runDir)
}

/** Whole-run context rows from summary.csv: delivered / sent, loss and duplicates, e2e percentiles. */
function contextRows (s: SummaryRow | null): void {
  if (s === null) { rows.push(['  whole run', 'no summary.csv', '', '']); return }
  const n = (v: number | null): string => v === null ? '-' : String(v)
  const ratio = s.sent !== null && s.delivered !== null && s.sent > 0 ? ` (${(s.delivered / s.sent * 100).toFixed(2)} %)` : ''
  rows.push(['  whole run: delivered / sent', `${n(s.delivered)} / ${n(s.sent)}${ratio}`, '', ''])
  rows.push(['  whole run: lost / duplicates', `${n(s.lost)} / ${n(s.duplicates)}`, '', ''])
  const msOf = (v: number | null): string => v === null ? '-' : String(Math.round(v))
  rows.push(['  whole run: e2e p50 / p99', `${msOf(s.e2e_p50_ms)} / ${msOf(s.e2e_p99_ms)} ms`, '', ''])
}

async function linearFigures (runsDir: string, cpu: CpuClock): Promise<void> {
  const devices = Math.round(rate / RATE_PER_DEVICE)
  const [rampS, holdS] = quick ? [5, 15] : [20, 65]
  const r = await run(`linear ${rate}/s`, new LinearExperiment({
    name: 'bench-runner-rate',
    description: `${devices} devices at ${RATE_PER_DEVICE}/s: ramp ${rampS} s, hold ${holdS} s`,
    workload: { devices: { from: Math.min(100, devices), to: devices }, rate: `${RATE_PER_DEVICE}/s`, rampDuration: `${rampS}s`, hold: `${holdS}s` },
    drain: quick ? '15s' : '30s',
  }), runsDir)
  if (r === undefined) return
  const steady = steadyRows(r, STEADY_SKIP_S)
  const acc = rateAccuracy(steady)
  const at = `@ ${rate}/s, ${steady.length} s steady`
  rows.push([`rate accuracy ${at}`, pct(acc?.pct), `100 +- ${GOALS.accuracyPct} %`, verdict(acc === undefined ? false : Math.abs(acc.pct - 100) <= GOALS.accuracyPct)])
  rows.push(['  worst single second', acc === undefined ? '-' : `${pct(acc.worst.pct)} (t=${acc.worst.tS}s)`, '', ''])
  rows.push(['  sent / target (steady)', acc === undefined ? '-' : `${acc.sent} / ${acc.target}`, '', ''])
  contextRows(r.summary)
  const monitor = mean(steady.map(row => row.services.runner?.cpuPct).filter((v): v is number => v !== null && v !== undefined))
  const first = steady[0]
  const last = steady.at(-1)
  const own = first !== undefined && last !== undefined ? cpu.percentBetween(rowStartMs(r, first.t_s), rowStartMs(r, last.t_s + 1)) : undefined
  rows.push([`runner CPU (cpu_pct_runner mean) ${at}`, pct(monitor, 1), `< ${GOALS.runnerCpuPct} % of a core`, verdict(monitor === undefined ? false : monitor < GOALS.runnerCpuPct)])
  rows.push(['  same window, process.cpuUsage()', own === undefined ? '-' : `${pct(own.pct, 1)} over ${((own.toMs - own.fromMs) / 1000).toFixed(1)} s`, `< ${GOALS.runnerCpuPct} % of a core`, verdict(own === undefined ? undefined : own.pct < GOALS.runnerCpuPct)])
}

function burstRows (kind: string, figures: BurstFigures[], withGoal: boolean): void {
  if (figures.length === 0) { rows.push([`${kind}: no burst phase found`, '-', '', 'MISSED']); return }
  for (const b of figures) {
    const what = `${kind} ${b.phase} (${b.targetPerS}/s)`
    const pass = b.sendOnsetMs !== undefined && b.sendOnsetMs <= GOALS.onsetMs
    rows.push([`${what}: send onset (sink sentAtMs, 100 ms bins)`, ms(b.sendOnsetMs), withGoal ? `<= ${GOALS.onsetMs / 1000} s` : '', withGoal ? verdict(pass) : ''])
    rows.push(['  delivered rate reaches 95 % (receivedAtMs)', ms(b.deliveredOnsetMs), '', ''])
    if (b.stormMs !== undefined || kind.includes('devices')) rows.push(['  registration storm', ms(b.stormMs), '', ''])
  }
}

async function burstRun (of: 'rate' | 'devices', runsDir: string): Promise<void> {
  const base = quick ? 300 : 1000
  const [durationS, everyS, repeat, recoveryS] = quick ? [6, 14, 1, 5] : [20, 50, of === 'rate' ? 2 : 1, 20]
  const label = of === 'rate' ? 'rate burst' : 'devices burst'
  const r = await run(label, new BurstExperiment({
    name: `bench-runner-${of}-burst`,
    description: `${base} devices at 1/s, x3 ${of} for ${durationS} s every ${everyS} s, ${repeat}x`,
    workload: { baseline: { devices: base, rate: '1/s' }, burst: { multiplier: 3, of, duration: `${durationS}s`, every: `${everyS}s`, repeat }, recovery: `${recoveryS}s` },
    drain: quick ? '15s' : '30s',
  }), runsDir)
  if (r === undefined) return
  burstRows(of === 'rate' ? 'rate burst x3' : 'devices burst x3', await burstFigures(r), of === 'rate')
  contextRows(r.summary)
}

/** `fleetlab run experiments/examples/quickstart.ts` as a user runs it, timed from spawn to exit. */
async function quickstart (runsDir: string): Promise<void> {
  progress('\n== quickstart')
  const t0 = performance.now()
  const child = spawn(process.execPath, [join(projectRoot, 'cli', 'bin.js'), 'run', 'experiments/examples/quickstart.ts', '--runtime', runtime, '--results-dir', runsDir],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] })
  const out = summarised('quickstart')
  let tail = ''
  const lines = (chunk: Buffer): void => {
    tail += chunk.toString('utf8')
    const parts = tail.split('\n')
    tail = parts.pop()!
    for (const l of parts) out(l)
  }
  child.stdout.on('data', lines)
  child.stderr.on('data', lines)
  const stop = (): void => { child.kill('SIGINT') }
  abort.signal.addEventListener('abort', stop, { once: true })
  const code = await new Promise<number | null>(resolve => child.once('exit', (c, signal) => resolve(c ?? (signal !== null ? 128 : null))))
  abort.signal.removeEventListener('abort', stop)
  const wallMs = performance.now() - t0
  if (code !== 0) failures.push(`quickstart exited with ${code}`)
  rows.push(['quickstart wall time (spawn -> exit)', `${(wallMs / 1000).toFixed(1)} s`, `< ${GOALS.quickstartMs / 1000} s`, verdict(wallMs < GOALS.quickstartMs)])
  rows.push(['  exit code', String(code), '0', verdict(code === 0)])
}

try {
  const runsDir = options.resultsDir !== undefined ? resolve(options.resultsDir) : await mkdtemp(join(tmpdir(), 'fleetlab-bench-runner-'))
  const load0 = loadavg()
  const started = new Date()
  progress(`bench:runner${quick ? ' --quick' : ''}: ${runtime} runtime, run folders in ${runsDir}`)
  const cpu = new CpuClock()
  for (const figure of only) {
    if (abort.signal.aborted) break
    try {
      if (figure === 'linear') await linearFigures(runsDir, cpu)
      else if (figure === 'burst') await burstRun('rate', runsDir)
      else if (figure === 'devices') await burstRun('devices', runsDir)
      else await quickstart(runsDir)
    } catch (err) {
      failures.push(`${figure}: ${(err as Error).message}`)
      progress(`${figure} failed: ${(err as Error).stack ?? String(err)}`)
    }
  }
  cpu.stop()
  const load1 = loadavg()
  const la = (l: number[]): string => l.map(v => v.toFixed(2)).join(' ')
  console.log(`\nbench:runner${quick ? ' --quick (short phases, lower rates: not the figures)' : ''}  ${started.toISOString()}  ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.versions.node}, ${runtime} runtime`)
  console.log(`load average before ${la(load0)}, after ${la(load1)}; run folders in ${runsDir}`)
  console.log(table(['FIGURE', 'MEASURED', 'GOAL', ''], rows))
  for (const f of failures) console.log(`FAILED: ${f}`)
  if (failures.length > 0) process.exitCode = 1
  if (abort.signal.aborted) process.exitCode = 130
} catch (err) {
  process.exitCode = reportError(err, line => console.error(line))
}
process.exit()
