// `npm run bench:soak`: an hour at 1,000 notifications/s (1,000 devices at 1/s, file sink, process runtime by
// default) and the runner's memory over it: its RSS every 5 minutes, and whether it stayed within RSS_TOLERANCE of
// its highest reading in the second minute, and its slope over the second half (scripts/lib/memory-figures.ts,
// shared with the 10-minute test).
// Figures on stdout, progress on stderr; MISSED when the memory grew past the tolerance; exit 1 when the run failed.
// --help lists the options.
import { mkdtemp } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { version } from '../../cli/version.ts'
import { LinearExperiment } from '../../experiments/index.ts'
import { runExperiment } from '../../experiments/runner.ts'
import type { RuntimeKind } from '../../platform/runtime/index.ts'
import { loadRun } from '../../results/run-folder.ts'
import { benchCommand, countArg, parseBench, resultsDirOption, runtimeOption } from '../lib/bench-options.ts'
import { MAX_SLOPE_MB_PER_MIN, memoryFigures, RSS_TOLERANCE } from '../lib/memory-figures.ts'

const DEVICES = 1000
/** The shortest --duration: the reference is read after 60 s. */
const MIN_DURATION_S = 120
const options = parseBench<{ duration: number, runtime: RuntimeKind, resultsDir?: string }>(benchCommand('soak',
  `the runner's memory over a long run at ${DEVICES.toLocaleString('en-US')} notifications/s (${DEVICES.toLocaleString('en-US')} devices at 1/s, file sink): its RSS every 5 minutes, ` +
  'whether it stayed within the tolerance of its level in the second minute, and its slope over the second half')
  .option('--duration <s>', 'seconds of the workload', countArg('--duration', MIN_DURATION_S, Number.MAX_SAFE_INTEGER,
    `whole seconds >= ${MIN_DURATION_S} (the reference is read after 60 s)`), 3600)
  .addOption(runtimeOption('the platform, gateways and sink of the run').default('process'))
  .addOption(resultsDirOption())
  .addHelpText('after', `
Goals (met or MISSED): the runner's RSS within ${RSS_TOLERANCE * 100} % of its highest reading in the second minute; its slope over
the second half at most ${MAX_SLOPE_MB_PER_MIN} MB/min (scripts/lib/memory-figures.ts, shared with the 10-minute test).`))
const durationS = options.duration
const { runtime } = options
const runsDir = resolve(options.resultsDir ?? await mkdtemp(join(tmpdir(), 'fleetlab-bench-soak-')))
const abort = new AbortController()
process.once('SIGINT', () => abort.abort('SIGINT'))

const experiment = new LinearExperiment({
  name: 'soak', seed: 12,
  workload: { devices: { from: 0, to: DEVICES }, rate: '1/s', rampDuration: '10s', hold: `${durationS - 10}s` },
  drain: '60s',
})
const outcome = await runExperiment(experiment, {
  file: 'bench:soak', runtime, seed: 12, runsDir, signal: abort.signal, version: version(),
  progress: line => { if (!/^\[ *\d+s\]/.test(line) || / (\d*00)s\]/.test(line)) process.stderr.write(`${line}\n`) },
})
const run = await loadRun(outcome.runDir)
const m = memoryFigures(run, 300)
console.log(`bench:soak  fleetlab ${version()}, node ${process.version}, ${cpus().length} cores, ${runtime} runtime, ${DEVICES} devices at 1/s for ${durationS} s; run in ${outcome.runDir}`)
console.log(`sent ${run.summary?.sent ?? '-'}, delivered ${run.summary?.delivered ?? '-'}, lost ${run.summary?.lost ?? '-'}; complete ${String(outcome.meta.complete)}`)
console.log('\nrunner RSS (MB) by minute of the workload')
for (const [s, mb] of m.curve) console.log(`  ${String(Math.round(s / 60)).padStart(3)} min  ${mb.toFixed(1).padStart(7)}`)
console.log(`\n  ${m.held ? 'met   ' : 'MISSED'}  runner RSS within ${RSS_TOLERANCE * 100} % of its level in the second minute: ${m.referenceMb} -> at most ${m.maxMb} MB (${(m.growth * 100).toFixed(1)} %, at ${m.maxAtS} s)`)
console.log(`          from the single reading at 60 s (${m.firstMinuteMb} MB): ${(m.growthFromFirstMinute * 100).toFixed(1)} %`)
console.log(`  ${m.flat ? 'met   ' : 'MISSED'}  no growth that keeps going: slope over the second half ${m.slopeMbPerMin.toFixed(3)} MB/min (at most ${MAX_SLOPE_MB_PER_MIN})`)
process.exitCode = outcome.meta.complete ? 0 : 1
