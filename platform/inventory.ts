// Every platform and run on this machine (`fleetlab platform ls`, `platform down --all`, the leftover warning of a
// new run): the names under <home>/platforms and every name the runtimes have services for, each with what runs
// under it, its `platform up` state and, for a run's platform, the run's runner and whether it still lives.
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Runtime, RuntimeKind, ServiceInstance } from './runtime/types.ts'
import { readState } from './state.ts'
import type { PlatformState } from './state.ts'
import { readRunnerRecord, runnerAlive } from './watchdog.ts'
import type { RunnerRecord } from './watchdog.ts'

export interface PlatformEntry {
  readonly name: string
  /** Running services and units, on every runtime asked. */
  readonly instances: readonly ServiceInstance[]
  readonly runtimes: readonly RuntimeKind[]
  /** Written by `platform up` (or a run's embedded platform); absent for a run against an external platform. */
  readonly state: PlatformState | undefined
  /** The run that owns the name, while it runs (or if it died without cleaning up). */
  readonly runner: RunnerRecord | undefined
  readonly runnerAlive: boolean
  /**
   * Nothing owns it any more: a run's runner is gone and left its record (the watchdog was killed too), or services
   * run under a name with neither a state nor a run.
   */
  readonly leftover: boolean
}

/** In name order. `runtimes`: those to ask for running services (the docker one only when an engine answers). */
export async function listPlatforms (home: string, runtimes: readonly Runtime[]): Promise<PlatformEntry[]> {
  const byName = new Map<string, ServiceInstance[]>()
  for (const name of await readdir(join(home, 'platforms')).catch(() => [] as string[])) byName.set(name, [])
  for (const runtime of runtimes) {
    for (const instance of await runtime.list()) {
      const list = byName.get(instance.platform) ?? []
      list.push(instance)
      byName.set(instance.platform, list)
    }
  }
  const entries: PlatformEntry[] = []
  for (const [name, instances] of [...byName].sort(([a], [b]) => a.localeCompare(b))) {
    const [state, runner] = await Promise.all([readState(home, name), readRunnerRecord(home, name)])
    const alive = runner !== undefined && await runnerAlive(runner)
    // a folder with nothing running and nothing recorded (logs of a platform taken down with keepLogs) is no platform
    if (instances.length === 0 && state === undefined && runner === undefined) continue
    entries.push({
      name, instances, runtimes: [...new Set(instances.map(i => i.runtime))], state, runner, runnerAlive: alive,
      leftover: runner !== undefined ? !alive : state === undefined && instances.length > 0,
    })
  }
  return entries
}

/** One line for a person: what the name is and what runs under it. */
export function describeEntry (e: PlatformEntry): string {
  const what = e.runner !== undefined
    ? `run ${e.runner.runId} (runner pid ${e.runner.pid}${e.runnerAlive ? '' : ', gone'})`
    : e.state !== undefined ? `platform up ${new Date(e.state.startedAt).toISOString()}` : 'no platform state'
  const running = e.instances.length === 0 ? 'nothing running' : `${e.instances.length} running on ${e.runtimes.join(', ')}`
  return `${e.name}: ${what}, ${running}`
}
