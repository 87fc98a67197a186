// A one-broker edge Kafka for benchmarks, started through the platform code on the process runtime (no mirror, no
// cloud broker, no LWM2M server) on a free port pair away from the platform's defaults, and stopped again.
import { fleetlabHome } from '../../lib/home.ts'
import { resolvePlatformConfig } from '../../platform/config.ts'
import { platformDown, platformUp } from '../../platform/platform.ts'
import { findFreePortPair } from '../../platform/ports.ts'
import type { PlatformContext } from '../../platform/platform.ts'
import { openRuntime } from '../../platform/runtime/index.ts'

export interface EdgeKafka {
  readonly bootstrap: string
  readonly name: string
  stop (): Promise<void>
}

export async function startEdgeKafka (o: { name: string, heapMb?: number, progress: (line: string) => void }): Promise<EdgeKafka> {
  const home = fleetlabHome()
  const runtime = await openRuntime(home, 'process')
  const port = await findFreePortPair(31000, 500)
  const bootstrap = `127.0.0.1:${port}`
  const ctx: PlatformContext = { home, runtime, progress: line => o.progress(`  ${line}`) }
  // The cloud side points at the edge broker as an external one: platformUp checks it and starts nothing for it.
  const config = resolvePlatformConfig({
    name: o.name,
    edge: { port, controllerPort: port + 1, heapMb: o.heapMb ?? 512 },
    cloud: { port, controllerPort: port + 1, heapMb: 384, bootstrap: [bootstrap] },
    mirror: { enabled: false, refreshSeconds: 3, heapMb: 256 },
    lwm2m: { enabled: false, port: 5683, gateway: 'gw1' },
  })
  o.progress(`starting a one-broker edge Kafka on ${bootstrap} (process runtime)`)
  try {
    await platformUp(ctx, config)
  } catch (err) {
    await platformDown(ctx, o.name).catch(() => {})
    await runtime.close()
    throw err
  }
  return {
    bootstrap,
    name: o.name,
    async stop () {
      await platformDown(ctx, o.name)
      await runtime.close()
    },
  }
}
