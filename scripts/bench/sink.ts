// `npm run bench:sink [-- --records <n>]`: throughput of the file sink (default 200,000 records).
// Starts one Kafka broker (no mirror, no LWM2M server), produces traced observation records like the bridge's,
// then times the sink consumer with the file store reading them all from the beginning into an NDJSON file.
// Figures as a table on stdout, progress on stderr. When no record arrives for STALL_MS the bench stops with an error
// (exit 7) saying how many of the records arrived and after how long, instead of waiting for ever. --help lists the options.
import { rm, stat } from 'node:fs/promises'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { table } from '../../cli/format.ts'
import { reportError } from '../../cli/exit-codes.ts'
import { TimeoutError } from '../../lib/errors.ts'
import { fleetlabHome, platformDir } from '../../lib/home.ts'
import { MetricsRecorder } from '../../lib/metrics/recorder.ts'
import { bootstrapOf, defaultPlatformConfig } from '../../platform/config.ts'
import { createKafkaClient } from '../../platform/kafka/index.ts'
import type { KafkaClient } from '../../platform/kafka/index.ts'
import { platformDown, platformUp } from '../../platform/platform.ts'
import { openRuntime } from '../../platform/runtime/index.ts'
import { SinkConsumer } from '../../platform/sinks/sink-consumer.ts'
import { createFileStore } from '../../platform/sinks/stores/file.ts'
import { freePortPair, uniqueName } from '../../test/helpers.ts'
import { observationRecord } from '../../test/platform/sinks/helpers.ts'
import { benchCommand, countArg, parseBench, usageError } from '../lib/bench-options.ts'

const DEFAULT_RECORDS = 200_000
/** No new record for this long and the bench stops with an error (joining the group takes a few seconds). */
const STALL_MS = 60_000
const PARTITIONS = 3

const command = benchCommand('sink',
  'throughput of the file sink: one Kafka broker (no mirror, no LWM2M server) is started, traced observation records like ' +
  'the bridge\'s are produced, then the sink consumer with the file store reads them all from the beginning into an NDJSON file')
  .option('--records <n>', `records produced and read (default: ${DEFAULT_RECORDS})`, countArg('--records', 1))
  .argument('[records]', 'the same as --records (the older form: npm run bench:sink -- 500000)', countArg('records', 1))
  .addHelpText('after', `
Figures: records produced; delivered (accounted for, per device); ms from the sink's start and from its first record
until the last; records/s from the first record; this process's CPU seconds over the read; the NDJSON file's size; RSS.
When no record arrives for ${STALL_MS / 1000} s the bench stops: exit 7, with how many of the records arrived and after how long.`)
const options = parseBench<{ records?: number }>(command)
const positional = command.processedArgs[0] as number | undefined
if (options.records !== undefined && positional !== undefined && options.records !== positional) {
  usageError(`--records ${options.records} and records ${positional}: give one`)
}
const total = options.records ?? positional ?? DEFAULT_RECORDS
const devices = 1000
const home = fleetlabHome()
const name = uniqueName('bench-sink')
const [edgePort, cloudPort] = [await freePortPair(), await freePortPair()]
const config = {
  ...defaultPlatformConfig,
  name,
  edge: { ...defaultPlatformConfig.edge, port: edgePort, controllerPort: edgePort + 1 },
  cloud: { ...defaultPlatformConfig.cloud, port: cloudPort, controllerPort: cloudPort + 1 },
  mirror: { ...defaultPlatformConfig.mirror, enabled: false },
  lwm2m: { ...defaultPlatformConfig.lwm2m, enabled: false },
}
const runtime = await openRuntime(home, 'process')
const ctx = { home, runtime, progress: (l: string) => console.error(l) }
let kafka: KafkaClient | undefined
let sink: SinkConsumer | undefined
let store: Awaited<ReturnType<typeof createFileStore>> | undefined
try {
  await platformUp(ctx, config)
  kafka = createKafkaClient({ bootstrap: bootstrapOf(config, 'cloud') })
  const topic = 'iot.bench.observations'
  await kafka.createTopics([{ name: topic, partitions: PARTITIONS }])
  const producer = await kafka.producer({ acks: 1 })
  const t0 = Date.now()
  for (let i = 0; i < total; i += 5000) {
    const batch = []
    for (let j = i; j < Math.min(total, i + 5000); j++) {
      const ep = `dev-${j % devices}`
      batch.push({ key: ep, value: observationRecord(ep, '/3303/0/5700', { kind: 'single', id: 5700, type: 'float', value: j / 10 }, { seq: Math.floor(j / devices), sentAtMs: Date.now() }) })
    }
    await producer.send(topic, batch)
  }
  await producer.close()
  console.error(`produced ${total} records in ${Date.now() - t0} ms`)

  const outFile = join(platformDir(home, name), 'bench.ndjson')
  const metrics = new MetricsRecorder()
  store = await createFileStore({ outFile }, { event: () => {}, now: Date.now })
  sink = new SinkConsumer({ topicPattern: '^iot\\.bench\\.observations$', groupId: 'bench' }, { kafka, store, metrics })
  const cpu0 = process.cpuUsage()
  const t1 = Date.now()
  await sink.start()
  let first = 0
  let seen = 0
  let lastArrival = t1
  while (sink.records < total) {
    await new Promise(resolve => setTimeout(resolve, 50))
    if (first === 0 && sink.records > 0) first = Date.now()
    if (sink.records > seen) {
      seen = sink.records
      lastArrival = Date.now()
    } else if (Date.now() - lastArrival >= STALL_MS) {
      throw new TimeoutError(`${sink.records} of ${total} records arrived after ${((Date.now() - t1) / 1000).toFixed(1)} s of reading, ` +
        `none in the last ${STALL_MS / 1000} s: the sink stopped receiving`)
    }
  }
  const t2 = Date.now()
  await sink.stop()
  await store.close()
  store = undefined
  const cpu = process.cpuUsage(cpu0)
  const report = sink.report()
  const delivered = Object.values(report.devices).reduce((s, d) => s + d.delivered, 0)
  const fileBytes = (await stat(outFile)).size
  const n = (v: number): string => v.toLocaleString('en-US')
  console.log(`bench:sink  ${new Date().toISOString()}  ${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}, Node ${process.versions.node}, ` +
    `${n(total)} records from ${n(devices)} devices on ${PARTITIONS} partitions, file store`)
  console.log(table(['FIGURE', 'VALUE'], [
    ['records produced', n(total)],
    ['delivered (accounted for)', n(delivered)],
    ['ms from the sink\'s start', n(t2 - t1)],
    ['ms from the first record', n(t2 - first)],
    ['records/s from the first record', n(Math.round(total * 1000 / (t2 - first)))],
    ['CPU (this process)', `${((cpu.user + cpu.system) / 1e6).toFixed(2)} s`],
    ['NDJSON file', `${n(fileBytes)} bytes`],
    ['RSS', `${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`],
  ]))
  await rm(outFile, { force: true })
} catch (err) {
  process.exitCode = reportError(err, line => { console.error(line) })
} finally {
  await sink?.stop().catch(() => {})
  await store?.close().catch(() => {})
  await kafka?.close().catch(() => {})
  await platformDown(ctx, name)
  await runtime.sweep(name)
  await runtime.close()
}
// Kafka clients may keep sockets open for a moment; the bench is done.
process.exit()
