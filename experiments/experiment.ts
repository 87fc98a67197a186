// The Experiment: a validated config plus lifecycle hooks, like EMU-IoT's IoTExperiment.run() (reset, configure,
// node setup, monitors, workload, clean up). Each hook is an overridable async method that receives the RunSession
// (contracts.ts, implemented by runner.ts); the defaults delegate to the session method of the same name, so a
// subclass adds to a step and calls super:
//
//   class Mine extends LinearExperiment {
//     override async fleetSetup (run: RunSession) { run.event('note', 'mine', 'before'); await super.fleetSetup(run) }
//   }
import type { ExperimentKind, RunSession, Workload } from './contracts.ts'
import type { ExperimentConfigOf } from './schema.ts'
import { createWorkload } from './kinds.ts'

/** The hooks in the order the runner calls them; `cleanup` runs last whatever happened before. */
export const lifecycle = ['configure', 'platformUp', 'fleetSetup', 'monitorsStart', 'workload', 'drain', 'reconcile', 'cleanup'] as const
export type LifecycleHook = (typeof lifecycle)[number]

export abstract class Experiment<K extends ExperimentKind = ExperimentKind> {
  readonly config: ExperimentConfigOf<K>

  protected constructor (config: ExperimentConfigOf<K>) {
    this.config = config
  }

  get kind (): K { return this.config.kind }
  get name (): string { return this.config.name }

  /** A fresh workload for one run (adaptive workloads keep state, so never share one between runs): the kind's (kinds.ts). */
  createWorkload (): Workload { return createWorkload(this.config.kind, this.config.workload) }

  /** Before anything starts: a place to check the machine or log what will run. Default: nothing. */
  async configure (_run: RunSession): Promise<void> {}

  async platformUp (run: RunSession): Promise<void> { await run.platformUp() }

  async fleetSetup (run: RunSession): Promise<void> { await run.fleetSetup() }

  async monitorsStart (run: RunSession): Promise<void> { await run.monitorsStart() }

  async workload (run: RunSession): Promise<void> { await run.runWorkload(this.createWorkload()) }

  async drain (run: RunSession): Promise<void> { await run.drain() }

  async reconcile (run: RunSession): Promise<void> { await run.reconcile() }

  async cleanup (run: RunSession): Promise<void> { await run.cleanup() }

  /**
   * Every hook in order, `cleanup` in a finally. The runner may call this or drive the hooks itself in the same order.
   * An aborted signal (Ctrl-C) skips the remaining steps up to cleanup.
   */
  async run (run: RunSession): Promise<void> {
    try {
      for (const hook of lifecycle) {
        if (hook === 'cleanup') break
        if (run.signal.aborted) break
        await this[hook](run)
      }
    } finally {
      await this.cleanup(run)
    }
  }
}

export function isExperiment (value: unknown): value is Experiment {
  return value instanceof Experiment
}
