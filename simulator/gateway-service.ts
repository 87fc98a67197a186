// A virtual gateway as a runtime unit: `fleetlab gateway` in its own process or container, started through the
// Runtime (platform/runtime/types.ts) like the platform's services, so the monitors see each gateway's CPU and
// memory. It finds the runner through the channel environment (ChannelServer.envFor).
import { join } from 'node:path'
import { projectRoot } from '../lib/home.ts'
import { unitCommand } from '../lib/unit-command.ts'
import type { ServiceSpec } from '../platform/runtime/types.ts'

export interface GatewayServiceOptions {
  readonly platform: string
  /** The gateway number: its replica, and its folder <dir>/gateway/<index>/. */
  readonly index: number
  /** The platform's own folder. */
  readonly dir: string
  /** The control channel's environment for this unit (ChannelServer.envFor(name)). */
  readonly env: Record<string, string>
  /** Default `gateway`. */
  readonly service?: string
  /** Node executable (absolute). Default: this process's. */
  readonly node?: string
}

export function gatewayServiceSpec (o: GatewayServiceOptions): ServiceSpec {
  const service = o.service ?? 'gateway'
  const home = join(o.dir, service, String(o.index))
  return {
    platform: o.platform,
    service,
    command: unitCommand(['gateway'], o.node),
    env: { ...o.env },
    cwd: home,
    writablePaths: [home],
    readonlyPaths: [projectRoot],
    ports: {},
    logFile: join(home, 'gateway.log'),
    // SIGTERM deregisters every device (paced, up to the fleet's 15 s stop deadline)
    stopTimeoutMs: 20_000,
  }
}
