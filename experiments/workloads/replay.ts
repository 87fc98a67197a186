// Replay: the total send rate of a CSV trace over a fixed fleet, rate per device = rate / devices. Time starts at the
// first row and ends at the last; `speed` compresses time (rates as in the file). Phase: replay.
import type { Workload, WorkloadPoint } from '../contracts.ts'
import type { ReplayWorkloadConfig } from '../schema/replay.ts'

export function replayWorkload (w: ReplayWorkloadConfig): Workload {
  const points = w.points
  const first = points[0]!.tMs
  const last = points[points.length - 1]!.tMs
  const rateAt = (fileMs: number): number => {
    if (fileMs <= first) return points[0]!.rate
    if (fileMs >= last) return points[points.length - 1]!.rate
    // the last row with tMs <= fileMs
    let lo = 0
    let hi = points.length - 1
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1
      if (points[mid]!.tMs <= fileMs) lo = mid
      else hi = mid
    }
    const a = points[lo]!
    const b = points[hi]!
    if (w.interpolate === 'step') return a.rate
    return a.rate + (b.rate - a.rate) * (fileMs - a.tMs) / (b.tMs - a.tMs)
  }
  return {
    durationMs: (last - first) / w.speed,
    at (tMs: number): WorkloadPoint {
      return { phase: 'replay', devices: w.devices, ratePerDevice: rateAt(first + Math.max(0, tMs) * w.speed) / w.devices }
    },
  }
}
