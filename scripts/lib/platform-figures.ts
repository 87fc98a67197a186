// The foundation's figures, measured by `npm run bench:platform`:
// time from `platform up` to all healthy, idle memory of the whole platform, mirror latency at a fixed
// rate (open model) and mirror throughput.
import { fleetlabHome } from '../../lib/home.ts'
import { sleep } from '../../lib/time.ts'
import { bootstrapOf, resolvePlatformConfig } from '../../platform/config.ts'
import type { PlatformConfig } from '../../platform/config.ts'
import { createKafkaClient } from '../../platform/kafka/index.ts'
import { measureMirrorLatency, measureMirrorThroughput } from '../../platform/mirror/measure.ts'
import type { LatencyResult, ThroughputResult } from '../../platform/mirror/measure.ts'
import { platformDown, platformUp } from '../../platform/platform.ts'
import type { PlatformContext } from '../../platform/platform.ts'
import { openRuntime } from '../../platform/runtime/index.ts'
import type { RuntimeKind } from '../../platform/runtime/index.ts'

export interface PlatformFigures {
  runtime: RuntimeKind
  healthyMs: number
  idleMemoryBytes: number
  idleCpuPercent: number
  perService: Array<{ service: string, memoryBytes: number, cpuPercent: number }>
  latency: LatencyResult
  throughput: ThroughputResult
}

export interface FigureOptions {
  runtime?: RuntimeKind
  name: string
  rate: number
  durationS: number
  idleSettleS: number
  throughputRecords: number
  progress: (line: string) => void
  /** Ports away from the defaults, so a bench can run beside a platform someone left up. */
  edgePort?: number
  cloudPort?: number
}

export async function measurePlatform (o: FigureOptions): Promise<PlatformFigures> {
  const home = fleetlabHome()
  const runtime = await openRuntime(home, o.runtime)
  const config: PlatformConfig = resolvePlatformConfig({}, { name: o.name, edgePort: o.edgePort, cloudPort: o.cloudPort })
  const abort = new AbortController()
  const ctx: PlatformContext = { home, runtime, progress: line => o.progress(`  ${line}`), signal: abort.signal }
  let upDone = false
  const stop = (): void => {
    abort.abort() // during `up`, platformUp stops what it started and throws InterruptedError
    if (upDone) void platformDown(ctx, config.name).finally(() => process.exit(130))
  }
  process.once('SIGINT', stop)
  try {
    o.progress(`platform up (${runtime.kind} runtime)`)
    const up = await platformUp(ctx, config)
    upDone = true
    o.progress(`idle for ${o.idleSettleS}s, then sampling memory and CPU of every service`)
    await sleep(o.idleSettleS * 1000)
    const instances = await runtime.list({ platform: config.name })
    const perService = await Promise.all(instances.map(async i => {
      const s = await runtime.stats(i)
      return { service: i.service, memoryBytes: s.memoryBytes, cpuPercent: s.cpuPercent }
    }))
    const edge = createKafkaClient({ bootstrap: bootstrapOf(config, 'edge'), clientId: 'fleetlab-bench' })
    const cloud = createKafkaClient({ bootstrap: bootstrapOf(config, 'cloud'), clientId: 'fleetlab-bench' })
    try {
      o.progress(`mirror latency: single records at ${o.rate}/s for ${o.durationS}s, edge -> cloud`)
      const latency = await measureMirrorLatency(edge, cloud, { rate: o.rate, durationS: o.durationS })
      o.progress(`mirror throughput: ${o.throughputRecords} records of 200 bytes`)
      const throughput = await measureMirrorThroughput(edge, cloud, { records: o.throughputRecords, recordBytes: 200 })
      return {
        runtime: runtime.kind,
        healthyMs: up.healthyMs,
        idleMemoryBytes: perService.reduce((s, p) => s + p.memoryBytes, 0),
        idleCpuPercent: perService.reduce((s, p) => s + p.cpuPercent, 0),
        perService,
        latency,
        throughput,
      }
    } finally {
      await Promise.all([edge.close(), cloud.close()])
    }
  } finally {
    process.off('SIGINT', stop)
    o.progress('platform down')
    await platformDown(ctx, config.name)
    await runtime.close()
  }
}
