// Step: a list of plateaus, each with its devices, rate and duration. Phases: step-1, step-2, ...
import type { Workload, WorkloadPoint } from '../contracts.ts'
import type { StepWorkloadConfig } from '../schema/workloads.ts'

export function stepWorkload (w: StepWorkloadConfig): Workload {
  const ends: number[] = []
  let end = 0
  for (const s of w.steps) ends.push(end += s.durationMs)
  return {
    durationMs: end,
    at (tMs: number): WorkloadPoint {
      let i = ends.findIndex(e => tMs < e)
      if (i < 0) i = w.steps.length - 1
      const s = w.steps[i]!
      return { phase: `step-${i + 1}`, devices: s.devices, ratePerDevice: s.ratePerDevice }
    },
  }
}
