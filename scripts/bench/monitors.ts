// `npm run bench:monitors`: what the monitors cost the runner.
// ServiceMonitor, per runtime:
//   the monitor's CPU with 20 idle units watched for 30 s, in % of one core   goal < 2 % of one core
//   readings per second (all units), and per unit, over the same window        (each unit: about 1/s)
//   the docker engine's extra CPU for the streams (dockerd, when it runs on this host: context, not the goal)
// ConsumerLagMonitor (--lag, on by default; --no-lag skips it), against a one-broker Kafka on the process runtime
// with one topic of 8 partitions that 100 records/s arrive on and one group's committed offsets:
//   this process's CPU with the monitor reading every 1000 ms and every 250 ms (the autoscaler's `react` look),
//   beside the same window with the producer alone                           goal < 2 % of one core each
// The units are started first and left to settle; then this process's CPU clock (process.cpuUsage) is read over a
// window with nothing but the monitor running, after an equal window without it (the bench's own idle cost, shown
// beside it, not subtracted). Figures on stdout, progress on stderr; a missed goal is marked NO. --help lists the options.
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { table } from '../../cli/format.ts'
import { reportError } from '../../cli/exit-codes.ts'
import { ConsumerLagMonitor } from '../../control/lag-monitor.ts'
import { ServiceMonitor } from '../../control/monitors.ts'
import { MetricsRecorder } from '../../lib/metrics/recorder.ts'
import { sleep } from '../../lib/time.ts'
import { dockerAvailable } from '../../platform/runtime/docker.ts'
import { openRuntime } from '../../platform/runtime/index.ts'
import type { Runtime, RuntimeKind } from '../../platform/runtime/index.ts'
import { processCpuMs } from '../../platform/runtime/proc-stats.ts'
import type { ServiceSpec } from '../../platform/runtime/types.ts'
import { createKafkaClient } from '../../platform/kafka/index.ts'
import { benchCommand, countArg, numberArg, parseBench, runtimeOption } from '../lib/bench-options.ts'
import { startEdgeKafka } from '../lib/edge-kafka.ts'

const GOAL_CPU_PCT = 2
const SETTLE_MS = 5_000
const LAG_PARTITIONS = 8
const LAG_RATE_PER_S = 100
/** The lag monitor's read periods measured: the control period's default, and `react`'s default. */
const LAG_PERIODS_MS = [1000, 250] as const

const options = parseBench<{ runtime?: RuntimeKind, units: number, duration: number, lag?: boolean }>(benchCommand('monitors',
  'what the monitors cost the runner: ServiceMonitor watching idle units, per runtime, and ConsumerLagMonitor against a ' +
  'one-broker Kafka; this process\'s CPU clock over a window with nothing but the monitor running, after an equal window without it')
  .addOption(runtimeOption('the runtime of the units, one only (default: process, then docker when an engine answers)'))
  .option('--units <n>', 'idle units ServiceMonitor watches', countArg('--units', 1), 20)
  .option('--duration <s>', 'seconds of each measured window', numberArg('--duration'), 30)
  .option('--lag', 'measure ConsumerLagMonitor too (the default)')
  .option('--no-lag', 'skip ConsumerLagMonitor (no Kafka started)')
  .addHelpText('after', `
ServiceMonitor, per runtime: the monitor's CPU (this process, % of one core; goal < ${GOAL_CPU_PCT} %) beside the same process
without it, readings per second of all units and of the slowest (each about 1/s), and the docker engine's extra CPU for
the stats streams (dockerd, when it runs on this host: context, not the goal).
ConsumerLagMonitor, on one topic of ${LAG_PARTITIONS} partitions that ${LAG_RATE_PER_S} records/s arrive on, one group's committed offsets: this
process's CPU with the monitor reading every ${LAG_PERIODS_MS.join(' and every ')} ms, beside the producer alone (goal: the monitor
< ${GOAL_CPU_PCT} % of one core each). A missed goal is marked NO.`))

const progress = (line: string): void => { process.stderr.write(`${line}\n`) }

interface Figures {
  runtime: RuntimeKind
  units: number
  /** This process with the units running and no monitor, % of one core. */
  idleCpuPct: number
  monitorCpuPct: number
  readingsPerS: number
  /** Fewest readings per second of any one unit. */
  slowestUnitPerS: number
  /** dockerd's CPU with the streams open minus without, % of one core; undefined when no local dockerd. */
  engineExtraCpuPct: number | undefined
}

/** CPU of this process over `ms` of doing nothing else, % of one core. */
async function ownCpuOver (ms: number): Promise<number> {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await sleep(ms)
  const cpu = process.cpuUsage(cpu0)
  return (cpu.user + cpu.system) / 1000 / (performance.now() - t0) * 100
}

/** The pid of a dockerd on this host, if one runs (its CPU is where the stats streams cost the engine). */
async function dockerdPid (): Promise<number | undefined> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const comm = await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '')
    if (comm.trim() === 'dockerd') return Number(entry)
  }
  return undefined
}

/** A runtime whose watchStats readings are counted per instance id. */
function counting (runtime: Runtime, counts: Map<string, number>): Runtime {
  return new Proxy(runtime, {
    get (target, key, receiver) {
      if (key !== 'watchStats') {
        const value: unknown = Reflect.get(target, key, receiver)
        return typeof value === 'function' ? value.bind(target) : value
      }
      const watchStats: Runtime['watchStats'] = (instance, onSample) => target.watchStats(instance, s => {
        if (s.running) counts.set(instance.id, (counts.get(instance.id) ?? 0) + 1)
        onSample(s)
      })
      return watchStats
    },
  })
}

async function measure (kind: RuntimeKind, units: number, durationMs: number): Promise<Figures> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetlab-bench-monitors-'))
  const runtime = await openRuntime(dir, kind)
  const platform = `bench-mon-${randomBytes(3).toString('hex')}`
  try {
    progress(`== ${kind}: starting ${units} idle units`)
    const specs = Array.from({ length: units }, (_, i): ServiceSpec => ({
      platform,
      service: `unit-${String(i).padStart(2, '0')}`,
      command: ['/usr/bin/node', '-e', 'setInterval(() => {}, 1000)'],
      cwd: dir,
      writablePaths: [dir],
      readonlyPaths: [],
      ports: {},
      logFile: join(dir, 'logs', `unit-${i}.log`),
      stopTimeoutMs: 2_000,
    }))
    await Promise.all(specs.map(s => runtime.start(s)))
    await sleep(SETTLE_MS)

    const engine = kind === 'docker' ? await dockerdPid() : undefined
    const engine0 = engine === undefined ? Number.NaN : await processCpuMs(engine)
    progress(`   ${durationMs / 1000} s without the monitor`)
    const idleCpuPct = await ownCpuOver(durationMs)
    const engineIdleMs = engine === undefined ? Number.NaN : await processCpuMs(engine) - engine0

    const counts = new Map<string, number>()
    const monitor = new ServiceMonitor(counting(runtime, counts), platform, new MetricsRecorder())
    monitor.start()
    // the first list and the streams' first frames, so the window holds the steady state only
    await sleep(3_000)
    const before = new Map(counts)
    const engine1 = engine === undefined ? Number.NaN : await processCpuMs(engine)
    progress(`   ${durationMs / 1000} s with the monitor`)
    const monitorCpuPct = await ownCpuOver(durationMs)
    const engineMonitorMs = engine === undefined ? Number.NaN : await processCpuMs(engine) - engine1
    await monitor.stop()

    const perUnit = [...counts].map(([id, n]) => (n - (before.get(id) ?? 0)) / (durationMs / 1000))
    while (perUnit.length < units) perUnit.push(0)
    return {
      runtime: kind,
      units,
      idleCpuPct,
      monitorCpuPct,
      readingsPerS: perUnit.reduce((a, b) => a + b, 0),
      slowestUnitPerS: Math.min(...perUnit),
      engineExtraCpuPct: engine === undefined || Number.isNaN(engineIdleMs + engineMonitorMs)
        ? undefined
        : (engineMonitorMs - engineIdleMs) / durationMs * 100,
    }
  } finally {
    await runtime.sweep(platform)
    await runtime.close()
    await rm(dir, { recursive: true, force: true })
  }
}

interface LagFigures {
  /** This process with the producer alone, % of one core. */
  producerCpuPct: number
  /** With the monitor reading every `periodMs` as well. */
  rows: Array<{ periodMs: number, cpuPct: number, readingsPerS: number }>
}

/** ConsumerLagMonitor's CPU against a real broker, at each read period, beside the producer that feeds the topic. */
async function measureLag (durationMs: number): Promise<LagFigures> {
  const name = `bench-lag-${randomBytes(3).toString('hex')}`
  const kafka = await startEdgeKafka({ name, progress })
  const client = createKafkaClient({ bootstrap: [kafka.bootstrap], clientId: 'bench-monitors' })
  let producing: NodeJS.Timeout | undefined
  try {
    const topic = 'bench.lag.observations'
    const groupId = 'bench-lag-group'
    await client.createTopics([{ name: topic, partitions: LAG_PARTITIONS }])
    const producer = await client.producer({ acks: 1 })
    let seq = 0
    const send = (): void => {
      const records = Array.from({ length: LAG_RATE_PER_S / 10 }, () => ({ key: `dev-${seq % 100}`, value: Buffer.from(String(seq++)) }))
      void producer.send(topic, records).catch(() => {})
    }
    producing = setInterval(send, 100)
    // the group's committed offsets: a consumer reads what is there, commits, and leaves
    let consumed = 0
    const consumer = await client.consume({ groupId, topics: [topic], fromBeginning: true, onRecord: () => { consumed++ } })
    while (consumed < LAG_RATE_PER_S) await sleep(200)
    await consumer.close()
    await sleep(SETTLE_MS)
    progress(`== lag monitor: ${durationMs / 1000} s with the producer alone`)
    const producerCpuPct = await ownCpuOver(durationMs)
    const rows: LagFigures['rows'] = []
    for (const periodMs of LAG_PERIODS_MS) {
      let readings = 0
      const monitor = new ConsumerLagMonitor({ kafka: client, topics: new RegExp(`^${topic.replaceAll('.', '\\.')}$`), groupId, periodMs, onSnapshot: () => { readings++ } })
      monitor.start()
      await sleep(3_000)
      const before = readings
      progress(`   ${durationMs / 1000} s with the lag monitor every ${periodMs} ms`)
      const cpuPct = await ownCpuOver(durationMs)
      rows.push({ periodMs, cpuPct, readingsPerS: (readings - before) / (durationMs / 1000) })
      await monitor.stop()
    }
    clearInterval(producing)
    await producer.close()
    return { producerCpuPct, rows }
  } finally {
    clearInterval(producing)
    await client.close()
    await kafka.stop()
  }
}

try {
  const only = options.runtime
  const runtimes: RuntimeKind[] = only !== undefined ? [only] : (await dockerAvailable() ? ['process', 'docker'] : ['process'])
  const units = options.units
  const durationMs = options.duration * 1000
  const results: Figures[] = []
  for (const kind of runtimes) results.push(await measure(kind, units, durationMs))
  const cell = (f: (r: Figures) => string): string[] => results.map(f)
  const pct = (v: number | undefined): string => v === undefined ? '-' : `${v.toFixed(2)} %`
  console.log(`\nbench:monitors  ${new Date().toISOString()}  ${cpus().length} cores, Node ${process.versions.node}, ${units} units, ${durationMs / 1000} s`)
  console.log(table(['FIGURE', ...runtimes, 'GOAL'], [
    ['monitor CPU (this process, % of one core)', ...cell(r => pct(r.monitorCpuPct)), `< ${GOAL_CPU_PCT} %`],
    ['  same process without the monitor', ...cell(r => pct(r.idleCpuPct)), ''],
    ['readings per second, all units', ...cell(r => r.readingsPerS.toFixed(1)), `~${units}`],
    ['readings per second, slowest unit', ...cell(r => r.slowestUnitPerS.toFixed(2)), '~1'],
    ['engine (dockerd) extra CPU for the streams', ...cell(r => pct(r.engineExtraCpuPct)), ''],
    [`goal < ${GOAL_CPU_PCT} % of one core met`, ...cell(r => r.monitorCpuPct < GOAL_CPU_PCT ? 'yes' : 'NO'), ''],
  ]))
  if (options.lag !== false) {
    const lag = await measureLag(durationMs)
    console.log(`\nconsumer lag monitor: one topic of ${LAG_PARTITIONS} partitions, ${LAG_RATE_PER_S} records/s produced by this process, one group, ${durationMs / 1000} s each`)
    console.log(table(['READ PERIOD', 'CPU (this process, % of one core)', 'monitor alone (minus the producer)', 'readings/s', 'GOAL', 'MET'], [
      ['producer alone', pct(lag.producerCpuPct), '', '', '', ''],
      ...lag.rows.map(r => [`${r.periodMs} ms`, pct(r.cpuPct), pct(r.cpuPct - lag.producerCpuPct), r.readingsPerS.toFixed(2), `< ${GOAL_CPU_PCT} %`, r.cpuPct - lag.producerCpuPct < GOAL_CPU_PCT ? 'yes' : 'NO']),
    ]))
  }
} catch (err) {
  process.exitCode = reportError(err, line => console.error(line))
}
process.exit()
