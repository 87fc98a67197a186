import type { Runtime, ServiceInstance, ServiceSpec } from './types.ts'
import { InvalidConfigError } from '../../lib/errors.ts'

/**
 * Scale logic shared by every runtime: start the missing replica numbers below the count (together), stop the
 * highest replica numbers first, so replica ids stay dense and stable across scale steps.
 */
export async function scaleService (runtime: Runtime, spec: ServiceSpec, replicas: number): Promise<ServiceInstance[]> {
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new InvalidConfigError([`replicas: expected a whole number >= 0, got ${replicas}`])
  }
  const running = await runtime.list({ platform: spec.platform, service: spec.service })
  const byReplica = new Map(running.map(i => [i.replica, i]))
  const extra = running.filter(i => i.replica >= replicas).sort((a, b) => b.replica - a.replica)
  await Promise.all(extra.map(i => runtime.stop(i, { timeoutMs: spec.stopTimeoutMs })))
  // all at once: consumers that join a group together join in one rebalance, not one rebalance each
  const missing = Array.from({ length: replicas }, (_, r) => r).filter(r => !byReplica.has(r))
  await Promise.all(missing.map(r => runtime.start(spec, r)))
  return runtime.list({ platform: spec.platform, service: spec.service })
}
