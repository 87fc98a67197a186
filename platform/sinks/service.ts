// The sink consumer as a service of a run: `fleetlab sink` in its own process or container, started through the
// Runtime (platform/runtime/types.ts) so the monitors see its CPU and memory and the autoscaler can scale it.
// It finds its runner through the channel environment (lib/channel.ts CHANNEL_ENV, ChannelServer.envFor).
import { join } from 'node:path'
import { projectRoot } from '../../lib/home.ts'
import { unitCommand } from '../../lib/unit-command.ts'
import type { ServiceSpec } from '../runtime/types.ts'

export const SINK_SERVICE = 'sink'

export interface SinkServiceOptions {
  platform: string
  /** The service name (default `sink`): a run's further sinks are sink-<name>. */
  service?: string
  /** The run's (or platform's) folder; <dir>/sink/ is the working directory and holds the logs. */
  dir: string
  /** The channel environment of the unit (ChannelServer.envFor(unit)). */
  env: Record<string, string>
  /** Replica number: only names the log file; Runtime.start(spec, replica) decides which replica starts. */
  replica?: number
  /** Folders the sink writes besides <dir>/sink (the NDJSON output's folder), read-write in containers. */
  writablePaths?: readonly string[]
  /** Node executable (absolute). Default: this process's. */
  node?: string
}

export function sinkServiceSpec (o: SinkServiceOptions): ServiceSpec {
  const service = o.service ?? SINK_SERVICE
  const home = join(o.dir, service)
  return {
    platform: o.platform,
    service,
    command: unitCommand(['sink'], o.node),
    env: o.env,
    cwd: home,
    writablePaths: [home, ...(o.writablePaths ?? [])],
    readonlyPaths: [projectRoot],
    ports: {},
    logFile: join(home, o.replica === undefined ? `${service}-{replica}.log` : `${service}-${o.replica}.log`),
    // Stopping commits the group's offsets and flushes the file.
    stopTimeoutMs: 15_000,
  }
}
