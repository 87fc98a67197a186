// The MAPE-K autoscaler's contracts (docs/control.md): what the loop sees each period, the symptoms it finds,
// what a policy answers, and the decision it logs. One small contract per policy: plan(state) -> desired + reason.
import type { PartitionStatus } from '../lag.ts'

/** What Monitor hands Analyze, once per control period. Rates are per second over the last period. */
export interface ControlInput {
  readonly atMs: number
  /** Replicas whose process or container runs now. */
  readonly replicas: number
  /** The partitions of the consumed topics: never more consumers than this (KEDA's allowIdleConsumers false). */
  readonly partitions: number
  /** Total committed-offset lag, records. */
  readonly lag: number
  /** Largest partition time lag, seconds. */
  readonly lagSeconds: number
  readonly partitionsWithLag: number
  readonly groupStatus: PartitionStatus
  /** Records produced into the consumed topics. */
  readonly arrivalRate: number
  /** Records the group's committed offsets advanced. */
  readonly consumedRate: number
  /**
   * The group was Stable, with as many members as replicas run, at this reading and the one before: no rebalance
   * cut the period. Absent: assumed (simulations, tests).
   */
  readonly groupStable?: boolean
}

export const symptomNames = ['lag-high', 'lag-growing', 'time-lag-over-slo', 'replicas-idle', 'consumer-stopped', 'replica-missing'] as const
export type SymptomName = (typeof symptomNames)[number]

export interface Symptom {
  readonly name: SymptomName
  /** In words, with the numbers that raised it: "lag 48,200 > 10,000". */
  readonly detail: string
}

export interface AutoscalerConfig {
  readonly policy: string
  readonly min: number
  /** Default: the partition count. */
  readonly max?: number
  readonly periodMs: number
  /**
   * Between two periods the loop looks this often whether the policy would scale up now, and if so plans at once
   * (a burst need not wait for the next period); scale-in waits for the period. Absent: only every period.
   */
  readonly reactMs?: number
  /** The lag SLO: seconds over it are counted, and Analyze raises time-lag-over-slo. */
  readonly sloLagSeconds: number
  /** The policy's own parameters, parsed (ms for durations). */
  readonly params: Readonly<Record<string, number | string | boolean>>
}

/** What Knowledge offers the policies (read-only). */
export interface KnowledgeView {
  /** Oldest first, the current period's input last. */
  readonly inputs: readonly ControlInput[]
  /**
   * Records/s one replica consumes when saturated, learned from observed throughput (saturated periods, or before
   * one is seen the replicas' useful time), with the replicas running now; undefined until seen.
   */
  readonly capacityPerReplica: number | undefined
  readonly capacitySource: 'saturated' | 'useful-time' | undefined
  /** The same for a group of `replicas`: replicas share the machine, so a larger group does less per replica. */
  capacityAt (replicas: number): number | undefined
  capacitySourceAt (replicas: number): 'saturated' | 'useful-time' | undefined
  /** Typical pause of consumption after a scale step (the rebalance), ms; undefined until seen. */
  readonly rebalanceMs: number | undefined
  /** The replicas last decided. */
  readonly desired: number
  /** Past recommendations of the policy (for stabilization windows), oldest first. */
  readonly recommendations: ReadonlyArray<{ readonly atMs: number, readonly replicas: number }>
  /** The last change of the replica count: when, and which way. */
  readonly lastChange: { readonly atMs: number, readonly direction: 1 | -1 } | undefined
}

export interface PlanState {
  readonly input: ControlInput
  readonly symptoms: readonly Symptom[]
  readonly knowledge: KnowledgeView
  readonly config: AutoscalerConfig
}

export interface PolicyResult {
  /** Replicas the policy wants before the loop's own guards (min, max, partitions). */
  readonly desired: number
  /** Why, in words a person reads, with the numbers. */
  readonly reason: string
  /**
   * What this period alone recommends, before the policy's stabilization window (kept for later windows: keeping
   * the stabilized value instead would hold the highest count forever). Default: desired.
   */
  readonly recommendation?: number
}

export interface Policy {
  readonly name: string
  plan (state: PlanState): PolicyResult
}

export type Action = 'scale-up' | 'scale-down' | 'hold' | 'replace'

export interface Decision {
  readonly atMs: number
  readonly policy: string
  /** Replicas running when it was taken. */
  readonly current: number
  readonly desired: number
  readonly action: Action
  readonly reason: string
  readonly symptoms: readonly Symptom[]
  readonly input: ControlInput
}
