import type { KnowledgeView } from '../types.ts'

/**
 * The HPA's scale-down stabilization: the highest recommendation within the last `windowMs` (this period's
 * included), so replicas go down only once every recommendation in the window agrees
 * (kubernetes.io, horizontal-pod-autoscale, "Stabilization window").
 */
export function stabilized (knowledge: KnowledgeView, atMs: number, windowMs: number, now: number): number {
  let highest = now
  for (const r of knowledge.recommendations) if (atMs - r.atMs < windowMs) highest = Math.max(highest, r.replicas)
  return highest
}
