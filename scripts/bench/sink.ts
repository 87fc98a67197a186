// `npm run bench:sink [-- records]`: throughput of the file sink (default 200,000 records).
// Starts one Kafka broker (no mirror, no LWM2M server), produces traced observation records like the bridge's,
// then times the sink consumer with the file store reading them all from the beginning into an NDJSON file.
import { rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fleetlabHome, platformDir } from '../../lib/home.ts'
import { MetricsRecorder } from '../../lib/metrics/recorder.ts'
import { bootstrapOf, defaultPlatformConfig } from '../../platform/config.ts'
import { createKafkaClient } from '../../platform/kafka/index.ts'
import { platformDown, platformUp } from '../../platform/platform.ts'
import { openRuntime } from '../../platform/runtime/index.ts'
import { SinkConsumer } from '../../platform/sinks/sink-consumer.ts'
import { createFileStore } from '../../platform/sinks/stores/file.ts'
import { freePortPair, uniqueName } from '../../test/helpers.ts'
import { observationRecord } from '../../test/platform/sinks/helpers.ts'

const total = Number(process.argv[2] ?? 200_000)
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
try {
  await platformUp(ctx, config)
  const kafka = createKafkaClient({ bootstrap: bootstrapOf(config, 'cloud') })
  const topic = 'iot.bench.observations'
  await kafka.createTopics([{ name: topic, partitions: 3 }])
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
  const store = await createFileStore({ outFile }, { event: () => {}, now: Date.now })
  const sink = new SinkConsumer({ topicPattern: '^iot\\.bench\\.observations$', groupId: 'bench' }, { kafka, store, metrics })
  const cpu0 = process.cpuUsage()
  const t1 = Date.now()
  await sink.start()
  let first = 0
  while (sink.records < total) {
    await new Promise(resolve => setTimeout(resolve, 50))
    if (first === 0 && sink.records > 0) first = Date.now()
  }
  const t2 = Date.now()
  await sink.stop()
  await store.close()
  const cpu = process.cpuUsage(cpu0)
  const report = sink.report()
  const delivered = Object.values(report.devices).reduce((s, d) => s + d.delivered, 0)
  console.log(JSON.stringify({
    records: total,
    delivered,
    msFromStart: t2 - t1,
    msFromFirstRecord: t2 - first,
    recordsPerS: Math.round(total * 1000 / (t2 - first)),
    cpuS: (cpu.user + cpu.system) / 1e6,
    fileBytes: (await stat(outFile)).size,
    rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
  }, null, 2))
  await rm(outFile, { force: true })
  await kafka.close()
} finally {
  await platformDown(ctx, name)
  await runtime.sweep(name)
  await runtime.close()
}
