import { join } from 'node:path'
import { InvalidConfigError } from '../../lib/errors.ts'
import { createDockerRuntime, dockerAvailable } from './docker.ts'
import { ProcessRuntime } from './process.ts'
import { runtimeKinds } from './types.ts'
import type { Runtime, RuntimeKind } from './types.ts'

export type { Runtime, RuntimeKind, ServiceInstance, ServiceSpec, ServiceStats } from './types.ts'
export type { ServiceStatsSample, StatsWatch } from './types.ts'

export function parseRuntimeKind (value: string): RuntimeKind {
  if ((runtimeKinds as readonly string[]).includes(value)) return value as RuntimeKind
  throw new InvalidConfigError([`--runtime: unknown runtime ${JSON.stringify(value)} (choose one of: ${runtimeKinds.join(', ')})`])
}

/** The runtimes by name (house rule 1): a runtime is added to runtimeKinds (types.ts) and here. */
const runtimes: { readonly [K in RuntimeKind]: (home: string, env: NodeJS.ProcessEnv) => Runtime | Promise<Runtime> } = {
  docker: (_home, env) => createDockerRuntime({}, env),
  process: home => new ProcessRuntime(join(home, 'pids')),
}

/**
 * The runtime asked for, or the default: docker when DOCKER_HOST is set or /var/run/docker.sock answers,
 * else child processes. Asking for docker when no engine answers is an error, never a silent fallback.
 */
export async function openRuntime (home: string, kind?: RuntimeKind, env: NodeJS.ProcessEnv = process.env): Promise<Runtime> {
  const chosen = kind ?? (await dockerAvailable(env) ? 'docker' : 'process')
  return await runtimes[chosen](home, env)
}
