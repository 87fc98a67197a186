import { join } from 'node:path'
import { platformDir } from '../lib/home.ts'
import { bootstrapOf, enabledDatastores } from './config.ts'
import { datastoreUrl, datastores, isDatastoreName } from './datastores/index.ts'
import { waitForBroker, waitForCoap, waitForMirror } from './health.ts'
import { createKafkaClient } from './kafka/index.ts'
import { services } from './platform.ts'
import type { PlatformContext } from './platform.ts'
import type { PlatformState } from './state.ts'

/** One row of `platform status`; the JSON form is read by scripts and CI, so its names are stable. */
export interface ServiceStatus {
  name: string
  runtime: string
  id: string | null
  ports: Record<string, number>
  bootstrap?: string[]
  /** A datastore's URL, as its sink store takes it (http://host:port, postgres://user@host:port/db). */
  url?: string
  cpuPercent: number | null
  memoryBytes: number | null
  healthy: boolean
}

/** Each service's runtime stats and a live health check (metadata for brokers, a probe crossing for the mirror). */
export async function platformStatus (ctx: PlatformContext, state: PlatformState): Promise<ServiceStatus[]> {
  const { runtime } = ctx
  const config = state.config
  const instances = await runtime.list({ platform: state.name })
  const expected: string[] = [services.edge, services.cloud, ...(config.mirror.enabled ? [services.mirror] : []),
    ...(config.lwm2m?.enabled === true ? [services.lwm2m] : []), ...enabledDatastores(config)]
  const names = [...new Set([...expected, ...instances.map(i => i.service)])]

  const brokerHealthy = async (side: 'edge' | 'cloud'): Promise<boolean> =>
    waitForBroker(services[side], bootstrapOf(config, side), { timeoutMs: 3000 }).then(() => true, () => false)
  const edgeOk = brokerHealthy('edge')
  const cloudOk = brokerHealthy('cloud')
  const mirrorOk = (async () => {
    if (!await edgeOk || !await cloudOk) return false
    const edge = createKafkaClient({ bootstrap: bootstrapOf(config, 'edge'), clientId: 'fleetlab-status', retries: 1 })
    const cloud = createKafkaClient({ bootstrap: bootstrapOf(config, 'cloud'), clientId: 'fleetlab-status', retries: 1 })
    try {
      await waitForMirror(edge, cloud, { timeoutMs: 10_000 })
      return true
    } catch {
      return false
    } finally {
      await Promise.all([edge.close(), cloud.close()])
    }
  })()

  const lwm2mOk = config.lwm2m?.enabled === true
    ? waitForCoap(services.lwm2m, config.host, config.lwm2m.port, { timeoutMs: 3000 }).then(() => true, () => false)
    : Promise.resolve(false)

  // a datastore answers its own protocol (InfluxDB GET /ping, PostgreSQL SELECT 1)
  const storeOk = new Map(enabledDatastores(config).map(name => [name, datastores[name].waitHealthy({
    host: config.host, port: config.datastores[name].port, timeoutMs: 3000,
    logFile: join(platformDir(ctx.home, state.name), name, 'service.log'), alive: async () => true,
  }).then(() => true, () => false)]))

  return Promise.all(names.map(async (name): Promise<ServiceStatus> => {
    const side = name === services.edge ? 'edge' : name === services.cloud ? 'cloud' : undefined
    const external = side !== undefined && config[side].bootstrap !== undefined
    const instance = instances.find(i => i.service === name)
    const stats = instance !== undefined ? await runtime.stats(instance) : undefined
    const running = external || stats?.running === true
    const healthy = running && await (side === 'edge' ? edgeOk : side === 'cloud' ? cloudOk : name === services.mirror ? mirrorOk : name === services.lwm2m ? lwm2mOk : isDatastoreName(name) ? (storeOk.get(name) ?? Promise.resolve(false)) : Promise.resolve(true))
    const row: ServiceStatus = {
      name,
      runtime: external ? 'external' : instance?.runtime ?? runtime.kind,
      id: instance?.id ?? null,
      ports: instance?.ports ?? {},
      cpuPercent: stats?.running === true ? round1(stats.cpuPercent) : null,
      memoryBytes: stats?.running === true ? stats.memoryBytes : null,
      healthy,
    }
    if (side !== undefined) row.bootstrap = bootstrapOf(config, side)
    if (isDatastoreName(name) && config.datastores?.[name] !== undefined) row.url = datastoreUrl(name, config.host, config.datastores[name].port)
    return row
  }))
}

function round1 (n: number): number {
  return Math.round(n * 10) / 10
}
