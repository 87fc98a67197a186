// `npm run quickstart`: platform up, a smoke run (probe records edge -> cloud: latency at 100/s and
// throughput), platform down. Later issues replace the smoke run with the quickstart experiment.
import { formatBytes, table } from '../cli/format.ts'
import { reportError } from '../cli/exit-codes.ts'
import { parseRuntimeKind } from '../platform/runtime/index.ts'
import { measurePlatform } from './lib/platform-figures.ts'

const runtimeArg = process.argv.indexOf('--runtime')
try {
  const started = Date.now()
  const f = await measurePlatform({
    runtime: runtimeArg > 0 ? parseRuntimeKind(process.argv[runtimeArg + 1] ?? '') : undefined,
    name: 'quickstart',
    rate: 100,
    durationS: 10,
    idleSettleS: 3,
    throughputRecords: 20_000,
    progress: line => process.stderr.write(`${line}\n`),
  })
  const l = f.latency
  console.log('\nfleetlab quickstart: smoke run of the embedded platform')
  console.log(table(['FIGURE', 'VALUE'], [
    ['runtime', f.runtime],
    ['platform up -> all healthy', `${(f.healthyMs / 1000).toFixed(1)} s`],
    ['platform memory (RSS, idle)', formatBytes(f.idleMemoryBytes)],
    [`mirror latency p50 @ ${l.rate}/s`, `${l.p50Ms} ms`],
    [`mirror latency p99 @ ${l.rate}/s`, `${l.p99Ms} ms`],
    ['records sent / received / duplicates', `${l.sent} / ${l.received} / ${l.duplicates}`],
    ['mirror throughput (200 B records)', `${Math.round(f.throughput.recordsPerSecond)} records/s`],
    ['quickstart wall time', `${((Date.now() - started) / 1000).toFixed(1)} s`],
  ]))
  process.exitCode = l.received === l.sent && l.duplicates === 0 ? 0 : 6
  if (process.exitCode !== 0) console.error(`error: ${l.sent - l.received} records lost, ${l.duplicates} duplicated`)
} catch (err) {
  process.exitCode = reportError(err, line => console.error(line))
}
process.exit()
