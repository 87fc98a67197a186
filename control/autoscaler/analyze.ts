// Analyze: symptoms from this period's input and the recent ones. Policies size from the numbers; the symptoms say
// in words what the loop saw, for the decision log, and trigger the replacement of a missing replica.
import { formatCount } from './format.ts'
import type { AutoscalerConfig, ControlInput, KnowledgeView, Symptom } from './types.ts'

/** Periods the lag must have grown through to be "growing". */
const GROWING_PERIODS = 3

export function analyze (input: ControlInput, knowledge: KnowledgeView, config: AutoscalerConfig): Symptom[] {
  const out: Symptom[] = []
  const threshold = typeof config.params.lagThreshold === 'number' ? config.params.lagThreshold : undefined
  if (threshold !== undefined && input.lag > threshold) out.push({ name: 'lag-high', detail: `lag ${formatCount(input.lag)} > ${formatCount(threshold)}` })
  const recent = [...knowledge.inputs.slice(-GROWING_PERIODS), input]
  const growing = recent.length > GROWING_PERIODS && recent.every((x, i) => i === 0 || x.lag > recent[i - 1]!.lag)
  if (growing) {
    const perS = (input.lag - recent[0]!.lag) / Math.max(1e-3, (input.atMs - recent[0]!.atMs) / 1000)
    out.push({ name: 'lag-growing', detail: `lag growing ${formatCount(perS)}/s` })
  }
  if (input.lagSeconds > config.sloLagSeconds) out.push({ name: 'time-lag-over-slo', detail: `time lag ${input.lagSeconds.toFixed(1)} s > SLO ${config.sloLagSeconds} s` })
  if (input.groupStatus === 'STALL' || input.groupStatus === 'STOP') out.push({ name: 'consumer-stopped', detail: `group status ${input.groupStatus}` })
  if (input.replicas < knowledge.desired) out.push({ name: 'replica-missing', detail: `${input.replicas} of ${knowledge.desired} replicas run` })
  const fewer = input.replicas > config.min ? knowledge.capacityAt(input.replicas - 1) : undefined
  if (fewer !== undefined && input.lag <= input.partitions && input.arrivalRate < fewer * (input.replicas - 1)) {
    out.push({ name: 'replicas-idle', detail: `arrival ${formatCount(input.arrivalRate)}/s fits ${input.replicas - 1} replica${input.replicas === 2 ? '' : 's'} of ${formatCount(fewer)}/s` })
  }
  return out
}
