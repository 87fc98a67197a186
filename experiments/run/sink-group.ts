// A sink's consumer group as a scaled service of the run: its replicas are Runtime units started from one spec
// (platform/sinks/service.ts) by Runtime.scale, each connecting back as sink-<replica> and getting the same config
// (units.ts serveGroup). This is the autoscaler's Execute step: `scale(n)` makes exactly n replicas run, telling the
// replicas it stops that their leaving is wanted, and waits until the new ones have connected.
import { logTail } from '../../platform/health.ts'
import { logFileFor } from '../../platform/runtime/types.ts'
import type { Runtime, ServiceSpec } from '../../platform/runtime/types.ts'
import type { SinkConfig } from '../contracts.ts'
import type { Units } from './units.ts'

const CONNECT_TIMEOUT_MS = 60_000

export interface SinkGroupOptions {
  readonly runtime: Runtime
  readonly units: Units
  /** The replicas' spec; its channel environment names the unit `<prefix>-{replica}`. */
  readonly spec: ServiceSpec
  /** Unit name prefix: replicas are <prefix>-0, <prefix>-1, ... */
  readonly prefix: string
  readonly config: SinkConfig
}

export class SinkGroup {
  readonly #o: SinkGroupOptions
  #scaling: Promise<void> = Promise.resolve()
  #target = 0

  constructor (o: SinkGroupOptions) {
    this.#o = o
    o.units.serveGroup(o.prefix, o.config)
  }

  get prefix (): string { return this.#o.prefix }
  get service (): string { return this.#o.spec.service }
  get spec (): ServiceSpec { return this.#o.spec }
  /** The replica count last asked for. */
  get target (): number { return this.#target }

  /** Replica numbers whose process or container runs now (the Runtime's view, not the channel's). */
  async running (): Promise<number[]> {
    const list = await this.#o.runtime.list({ platform: this.#o.spec.platform, service: this.#o.spec.service })
    return list.map(i => i.replica).sort((a, b) => a - b)
  }

  /**
   * Exactly `replicas` run afterwards (missing replica numbers below it started again: a killed one is replaced).
   * Calls queue: one scale at a time. Resolves once the new replicas have connected; throws when one did not.
   */
  scale (replicas: number): Promise<void> {
    const run = this.#scaling.then(async () => {
      this.#target = replicas
      const before = await this.running()
      this.#o.units.leaving(this.#o.prefix, before.filter(r => r >= replicas))
      await this.#o.runtime.scale(this.#o.spec, replicas)
      const wanted = Array.from({ length: replicas }, (_, i) => i)
      const missing = await this.#o.units.waitForReplicas(this.#o.prefix, wanted, CONNECT_TIMEOUT_MS)
      if (missing.length > 0) {
        const first = logFileFor(this.#o.spec, missing[0]!)
        const tail = await logTail(first)
        throw new Error(`${missing.map(r => `${this.#o.prefix}-${r}`).join(', ')} did not connect within ${CONNECT_TIMEOUT_MS / 1000} s; see ${first}` +
          (tail !== '' ? `; its last lines:\n${tail}` : ' (empty)'))
      }
    })
    this.#scaling = run.catch(() => {})
    return run
  }

  /** Stops every replica (cleanup). */
  async stopAll (): Promise<void> {
    await this.#scaling
    const running = await this.running()
    this.#o.units.leaving(this.#o.prefix, running)
    await this.#o.runtime.scale(this.#o.spec, 0).catch(() => {})
  }
}
