// `npm run bench:platform`: the foundation's figures on each runtime this machine has, side by side.
//   time from `platform up` to all healthy   goal < 40 s
//   idle memory (RSS) of the whole platform (brokers, mirror, LWM2M server)  goal < 1.5 GB
//   mirror latency edge -> cloud, single records at 100 records/s: p50, p99   goal p99 < 500 ms
// --help lists the options.
import { cpus, totalmem } from 'node:os'
import { formatBytes, table } from '../../cli/format.ts'
import { reportError } from '../../cli/exit-codes.ts'
import { dockerAvailable } from '../../platform/runtime/docker.ts'
import type { RuntimeKind } from '../../platform/runtime/index.ts'
import { benchCommand, numberArg, parseBench, runtimeOption } from '../lib/bench-options.ts'
import { measurePlatform } from '../lib/platform-figures.ts'
import type { PlatformFigures } from '../lib/platform-figures.ts'

/** The goals; "met" is decided from these and nothing else. */
const GOALS = { healthyMs: 40_000, idleMemoryBytes: 1.5e9, p99Ms: 500 }
const goal = { healthy: `< ${GOALS.healthyMs / 1000} s`, idleMemory: `< ${GOALS.idleMemoryBytes / 1e9} GB (${formatBytes(GOALS.idleMemoryBytes)})`, p99: `< ${GOALS.p99Ms} ms` }

const options = parseBench<{ runtime?: RuntimeKind, duration: number, rate: number }>(benchCommand('platform',
  'the foundation\'s figures on each runtime this machine has, side by side: time from platform up to all healthy, idle ' +
  'memory of the whole platform, mirror latency edge -> cloud for single records (open model: from each record\'s due time), ' +
  'mirror throughput')
  .addOption(runtimeOption('one runtime only (default: process, then docker when an engine answers)'))
  .option('--duration <s>', 'seconds of the mirror latency measurement', numberArg('--duration'), 60)
  .option('--rate <n>', 'single records per second of the mirror latency measurement', numberArg('--rate'), 100)
  .addHelpText('after', `
Goals: platform up -> all healthy ${goal.healthy}, idle memory of the whole platform (RSS: brokers, mirror, LWM2M server)
${goal.idleMemory}, mirror latency p99 ${goal.p99}, every record received and none twice; "all goals met" says yes or NO.`))

try {
  const only = options.runtime
  const runtimes: RuntimeKind[] = only !== undefined ? [only] : (await dockerAvailable() ? ['process', 'docker'] : ['process'])
  const durationS = options.duration
  const rate = options.rate
  const results: PlatformFigures[] = []
  for (const runtime of runtimes) {
    process.stderr.write(`\n== ${runtime} runtime\n`)
    results.push(await measurePlatform({
      runtime, name: 'bench', rate, durationS, idleSettleS: 10, throughputRecords: 50_000,
      progress: line => process.stderr.write(`${line}\n`),
    }))
  }
  const cell = (f: (r: PlatformFigures) => string): string[] => results.map(f)
  const ok = (pass: boolean): string => pass ? 'yes' : 'NO'
  console.log(`\nbench:platform  ${new Date().toISOString()}  ${cpus().length} cores, ${formatBytes(totalmem())}, Node ${process.versions.node}`)
  console.log(table(['FIGURE', ...runtimes, 'GOAL'], [
    ['platform up -> all healthy', ...cell(r => `${(r.healthyMs / 1000).toFixed(1)} s`), goal.healthy],
    ['idle memory, whole platform (RSS)', ...cell(r => formatBytes(r.idleMemoryBytes)), goal.idleMemory],
    ...['edge-kafka', 'cloud-kafka', 'mirror', 'lwm2m-server'].map(s => [`  ${s}`, ...cell(r => formatBytes(r.perService.find(p => p.service === s)?.memoryBytes ?? null)), '']),
    ['idle CPU, whole platform', ...cell(r => `${r.idleCpuPercent.toFixed(1)} %`), ''],
    [`mirror latency p50 @ ${rate}/s`, ...cell(r => `${r.latency.p50Ms} ms`), ''],
    [`mirror latency p99 @ ${rate}/s`, ...cell(r => `${r.latency.p99Ms} ms`), goal.p99],
    [`mirror latency max @ ${rate}/s`, ...cell(r => `${r.latency.maxMs} ms`), ''],
    ['records sent / received / dup', ...cell(r => `${r.latency.sent} / ${r.latency.received} / ${r.latency.duplicates}`), 'all, no dup'],
    ['sends late by > 10 ms', ...cell(r => String(r.latency.late)), ''],
    ['mirror throughput, 200 B records', ...cell(r => `${Math.round(r.throughput.recordsPerSecond)} rec/s`), ''],
    ['all goals met', ...cell(r => ok(r.healthyMs < GOALS.healthyMs && r.idleMemoryBytes < GOALS.idleMemoryBytes &&
      r.latency.p99Ms < GOALS.p99Ms && r.latency.received === r.latency.sent && r.latency.duplicates === 0)), ''],
  ]))
} catch (err) {
  process.exitCode = reportError(err, line => console.error(line))
}
process.exit()
