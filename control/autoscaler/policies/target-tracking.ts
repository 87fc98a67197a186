// `target-tracking`: the Kubernetes HPA algorithm (kubernetes.io, horizontal-pod-autoscale, "Algorithm details"):
// desired = ceil(current x currentMetric / target), no change while the ratio is within `tolerance` (0.1), scale
// down only to the highest recommendation of the `stabilization` window (300 s by default), scale up by at most the
// larger of `scaleUpPercent` (100 %) or `scaleUpPods` (4) per `scaleUpPeriod` (15 s). The metric is the lag per
// replica (`metric: 'lag'`, records) or the time lag (`metric: 'lagSeconds'`, seconds: a Value target, not per replica).
import { formatCount } from '../format.ts'
import type { Policy } from '../types.ts'
import { stabilized } from './window.ts'

export const targetTrackingDefaults = {
  metric: 'lag', target: 1000, tolerance: 0.1, stabilization: 300_000, scaleUpPercent: 100, scaleUpPods: 4, scaleUpPeriod: 15_000,
} as const

export const targetTrackingPolicy: Policy = {
  name: 'target-tracking',
  plan: ({ input, knowledge, config }) => {
    const p = { ...targetTrackingDefaults, ...config.params } as { metric: string, target: number, tolerance: number, stabilization: number, scaleUpPercent: number, scaleUpPods: number, scaleUpPeriod: number }
    const current = Math.max(1, knowledge.desired)
    const value = p.metric === 'lagSeconds' ? input.lagSeconds : input.lag / current
    const ratio = value / p.target
    const what = p.metric === 'lagSeconds' ? `time lag ${value.toFixed(1)} s` : `lag per replica ${formatCount(value)}`
    if (Math.abs(ratio - 1) <= p.tolerance) return { desired: knowledge.desired, reason: `${what} within ${p.tolerance} of target ${formatCount(p.target)}` }
    const raw = Math.ceil(current * ratio)
    const words = `${what} / target ${formatCount(p.target)} = ${ratio.toFixed(2)}: ${current} -> ${raw}`
    if (raw > current) {
      // the most replicas allowed at the end of this period: from the lowest count in the last scale-up period
      let base = current
      for (const i of knowledge.inputs) if (input.atMs - i.atMs < p.scaleUpPeriod) base = Math.min(base, Math.max(1, i.replicas))
      const limit = Math.max(Math.ceil(base * (1 + p.scaleUpPercent / 100)), base + p.scaleUpPods)
      return raw > limit ? { desired: limit, reason: `${words}, limited to ${limit} (+${p.scaleUpPercent} % or +${p.scaleUpPods} per ${p.scaleUpPeriod / 1000} s)` } : { desired: raw, reason: words }
    }
    const down = stabilized(knowledge, input.atMs, p.stabilization, raw)
    return { desired: down, recommendation: raw, reason: down > raw ? `${words}; held at ${down} by the ${p.stabilization / 1000} s stabilization window` : words }
  },
}
