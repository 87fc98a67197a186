// The MAPE-K loop (docs/control.md): each period the caller hands in a fresh Monitor reading (ControlInput);
// Analyze finds symptoms, Plan asks the policy and applies the loop's own guards, Execute scales through the
// executor (Runtime.scale behind it), all over one Knowledge. Every decision, holds included, goes to onDecision
// with its inputs and its reason; the caller logs the changes.
//
// The guards, whatever the policy: between `min` and `max`, never more replicas than partitions (a consumer beyond
// the partition count idles: KEDA issues #1683, #4483); one scale step at a time (holds while one is in flight);
// a replica that is gone (killed from outside) is started again at the next period ('replace').
import { analyze } from './analyze.ts'
import { Knowledge } from './knowledge.ts'
import { policyByName } from './registry.ts'
import type { Action, AutoscalerConfig, ControlInput, Decision, Policy } from './types.ts'

export interface Executor {
  /** Makes exactly `replicas` run; resolves once they do. */
  scale (replicas: number): Promise<void>
}

export interface AutoscalerOptions {
  readonly config: AutoscalerConfig
  readonly executor: Executor
  /** Replicas at the start. */
  readonly initial: number
  readonly onDecision?: (d: Decision) => void
  /** A scale step failed (it is tried again at the next period that decides one). */
  readonly onError?: (err: Error, replicas: number) => void
  readonly now?: () => number
}

export class Autoscaler {
  readonly knowledge: Knowledge
  readonly policy: Policy
  readonly #o: AutoscalerOptions
  #inFlight: number | undefined

  constructor (o: AutoscalerOptions) {
    this.#o = o
    this.policy = policyByName(o.config.policy)
    this.knowledge = new Knowledge(o.initial)
  }

  get config (): AutoscalerConfig { return this.#o.config }

  /**
   * Whether the policy would scale up on this input (a reading between two periods), with the loop's guards: no
   * step in flight, not past max or the partitions. Learns nothing and decides nothing: `step` does, when this says so.
   */
  wantsScaleUp (input: ControlInput): boolean {
    if (this.#inFlight !== undefined) return false
    const k = this.knowledge
    const symptoms = analyze(input, k, this.#o.config)
    const result = this.policy.plan({ input, symptoms, knowledge: k, config: this.#o.config })
    const max = Math.min(this.#o.config.max ?? input.partitions, input.partitions)
    return Math.min(max, Math.round(result.desired)) > k.desired
  }

  /** One period: M (the input) -> A -> P -> E over K. Returns the decision; the scale step it starts runs on. */
  step (input: ControlInput): Decision {
    const k = this.knowledge
    k.learn(input)
    const symptoms = analyze(input, k, this.#o.config)
    let decision: Decision
    if (this.#inFlight !== undefined) {
      decision = { atMs: input.atMs, policy: this.policy.name, current: input.replicas, desired: k.desired, action: 'hold', reason: `scaling to ${this.#inFlight} in progress`, symptoms, input }
    } else {
      const result = this.policy.plan({ input, symptoms, knowledge: k, config: this.#o.config })
      const max = Math.min(this.#o.config.max ?? input.partitions, input.partitions)
      const clamp = (n: number): number => Math.min(max, Math.max(this.#o.config.min, Math.round(n)))
      const desired = clamp(result.desired)
      k.recommend(input.atMs, clamp(result.recommendation ?? result.desired))
      let reason = result.reason
      if (desired !== Math.round(result.desired)) reason += desired === max ? `; capped at ${max} (${max === input.partitions ? 'the partitions' : 'max'})` : `; raised to min ${desired}`
      let action: Action = desired > k.desired ? 'scale-up' : desired < k.desired ? 'scale-down' : input.replicas < desired ? 'replace' : 'hold'
      if (action === 'hold' && input.replicas > desired) action = 'scale-down'
      if (action === 'replace') reason = `${desired - input.replicas} replica${desired - input.replicas === 1 ? '' : 's'} gone (${input.replicas} of ${desired} run): replacing; ${reason}`
      if (action === 'scale-up' || action === 'scale-down') reason += ` (${input.replicas} -> ${desired})`
      decision = { atMs: input.atMs, policy: this.policy.name, current: input.replicas, desired, action, reason, symptoms, input }
    }
    k.observe(input)
    k.decided(decision)
    this.#o.onDecision?.(decision)
    if (decision.action !== 'hold') this.#execute(decision.desired)
    return decision
  }

  /** A count set by hand (fleetlab scale): the knowledge's desired count from now on (the fixed policy keeps it). */
  override (replicas: number): void {
    this.knowledge.desired = replicas
  }

  /** Resolves once no scale step is in flight. */
  async settled (): Promise<void> {
    while (this.#inFlight !== undefined) await new Promise(resolve => setTimeout(resolve, 20))
  }

  stats (): { actions: number, changesOfDirection: number, replicaSeconds: number } {
    const k = this.knowledge
    return { actions: k.actions, changesOfDirection: k.changesOfDirection, replicaSeconds: k.replicaSeconds }
  }

  #execute (replicas: number): void {
    this.#inFlight = replicas
    const now = this.#o.now ?? Date.now
    this.#o.executor.scale(replicas)
      .then(() => { this.knowledge.scaled(now()) })
      .catch((err: unknown) => { this.#o.onError?.(err as Error, replicas) })
      .finally(() => { this.#inFlight = undefined })
  }
}
