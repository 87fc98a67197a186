// `threshold`: KEDA's Apache Kafka scaler (pkg/scalers/kafka_scaler.go) as the HPA applies it. The metric is the
// total lag with target type AverageValue = lagThreshold, so desired = ceil(totalLag / lagThreshold) whatever the
// current count; lag is clamped to partitions x lagThreshold (allowIdleConsumers false), so desired never passes
// the partition count. At or below activationLagThreshold the scaler is inactive: desired = min. Up at once; down
// only to the highest recommendation of the last `cooldown` (the HPA's scale-down stabilization, 300 s by default;
// KEDA's own cooldownPeriod only applies to scaling to zero, which the lab does not do). The HPA's 0.1 tolerance
// holds the count when the ratio desired/current is within it (KEDA issue #2908: stuck just below the cap).
//
// KEDA's defaults: lagThreshold 10, activationLagThreshold 0, pollingInterval 30 s, HPA stabilization 300 s.
import { formatCount } from '../format.ts'
import type { Policy } from '../types.ts'
import { stabilized } from './window.ts'

export const thresholdDefaults = { lagThreshold: 10, activationLagThreshold: 0, cooldown: 300_000, tolerance: 0.1 } as const

export const thresholdPolicy: Policy = {
  name: 'threshold',
  plan: ({ input, knowledge, config }) => {
    const p = { ...thresholdDefaults, ...config.params } as typeof thresholdDefaults
    const current = Math.max(1, knowledge.desired)
    if (input.lag <= p.activationLagThreshold) {
      const down = stabilized(knowledge, input.atMs, p.cooldown, config.min)
      return { desired: down, recommendation: config.min, reason: `lag ${formatCount(input.lag)} <= activation ${formatCount(p.activationLagThreshold)}: inactive${down > config.min ? `; held at ${down} by the ${p.cooldown / 1000} s cooldown` : ''}` }
    }
    const sized = Math.min(input.lag, input.partitions * p.lagThreshold)
    const raw = Math.ceil(sized / p.lagThreshold)
    if (Math.abs(raw / current - 1) <= p.tolerance) return { desired: knowledge.desired, reason: `lag ${formatCount(input.lag)} / ${formatCount(p.lagThreshold)} = ${raw}, within the ${p.tolerance} tolerance of ${current}` }
    const words = `lag ${formatCount(input.lag)} / threshold ${formatCount(p.lagThreshold)} -> ${raw}${sized < input.lag ? ` (capped at ${input.partitions} partitions)` : ''}`
    if (raw >= current) return { desired: raw, reason: words }
    const down = stabilized(knowledge, input.atMs, p.cooldown, raw)
    return { desired: down, recommendation: raw, reason: down > raw ? `${words}; held at ${down} by the ${p.cooldown / 1000} s cooldown` : words }
  },
}
