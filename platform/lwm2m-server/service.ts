// The LWM2M server as a platform service: `fleetlab lwm2m serve` in its own process or container, started through
// the Runtime (platform/runtime/types.ts) like the brokers, so the monitors see its CPU and memory.
import { open, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { projectRoot } from '../../lib/home.ts'
import { unitCommand } from '../../lib/unit-command.ts'
import type { ServiceSpec } from '../runtime/types.ts'

export interface Lwm2mServiceOptions {
  platform: string
  /** Default `lwm2m-server`. */
  service?: string
  /** The platform's own folder; <dir>/<service>/ is the working directory and holds the log. */
  dir: string
  host: string
  port: number
  gateway: string
  /** Edge Kafka bootstrap servers; none: registrations only. */
  kafka?: readonly string[]
  /** Auto-observe paths; [] turns auto-observe off; absent: the server's default. */
  observe?: readonly string[]
  serverId?: string
  /** TCP port of the Prometheus endpoint (`--metrics-port`, GET /metrics on `host`); absent or 0: none. */
  metricsPort?: number
  /** Node executable (absolute). Default: this process's. */
  node?: string
}

export function lwm2mServiceSpec (o: Lwm2mServiceOptions): ServiceSpec {
  const service = o.service ?? 'lwm2m-server'
  const home = join(o.dir, service)
  const args = ['lwm2m', 'serve', '--host', o.host, '--port', String(o.port), '--gateway', o.gateway]
  if (o.kafka !== undefined && o.kafka.length > 0) args.push('--kafka', o.kafka.join(','))
  if (o.observe !== undefined) args.push('--observe', o.observe.length > 0 ? o.observe.join(',') : 'none')
  if (o.serverId !== undefined) args.push('--server-id', o.serverId)
  const metrics = o.metricsPort !== undefined && o.metricsPort > 0
  if (metrics) args.push('--metrics-port', String(o.metricsPort))
  return {
    platform: o.platform,
    service,
    command: unitCommand(args, o.node),
    cwd: home,
    writablePaths: [home],
    readonlyPaths: [projectRoot],
    ports: metrics ? { coap: o.port, metrics: o.metricsPort! } : { coap: o.port },
    logFile: join(home, 'service.log'),
    // The bridge flushes its queue to Kafka on SIGTERM.
    stopTimeoutMs: 10_000,
  }
}

/**
 * The line `fleetlab lwm2m serve` logs once it serves CoAP and, with --kafka, its bridge has started (cli/lwm2m.ts).
 * A CoAP ping alone does not tell whose server answered: when another platform's server holds the port, ours exits
 * with "already in use" while the other one answers the ping (and the devices, whose records then never reach this
 * platform's edge Kafka).
 */
export function readyLine (kafka: boolean): string {
  return kafka ? 'kafka bridge on ' : 'no --kafka: '
}

/**
 * Call before the service starts: the returned probe resolves true once the ready line is in the part of the log
 * written since (the process runtime appends to a log a previous start may have left).
 */
export async function readyProbe (spec: ServiceSpec): Promise<() => Promise<boolean>> {
  const line = readyLine(spec.command.includes('--kafka'))
  const from = await fileSize(spec.logFile)
  return async () => {
    const size = await fileSize(spec.logFile)
    if (size <= from) return false
    const file = await open(spec.logFile, 'r')
    try {
      const buf = Buffer.alloc(size - from)
      await file.read(buf, 0, buf.length, from)
      return buf.toString('utf8').includes(line)
    } finally {
      await file.close()
    }
  }
}

async function fileSize (path: string): Promise<number> {
  return (await stat(path).catch(() => undefined))?.size ?? 0
}
