// Burst: a baseline, then `repeat` times a burst to a multiple of the rate or of the devices (a registration storm),
// each cycle `every` long with the burst at its end, then a baseline to watch the recovery.
// Phases: baseline, burst-1, baseline, burst-2, ..., baseline.
import type { Workload, WorkloadPoint } from '../contracts.ts'
import type { BurstWorkloadConfig } from '../schema/workloads.ts'

export function burstWorkload (w: BurstWorkloadConfig): Workload {
  const { baseline, burst } = w
  const quietMs = burst.everyMs - burst.durationMs
  const cyclesMs = burst.repeat * burst.everyMs
  const base = (first: boolean): WorkloadPoint => ({
    phase: 'baseline', devices: baseline.devices, ratePerDevice: baseline.ratePerDevice, ...(first && w.surge ? { surge: true } : {}),
  })
  const high: Omit<WorkloadPoint, 'phase'> = burst.of === 'rate'
    ? { devices: baseline.devices, ratePerDevice: baseline.ratePerDevice * burst.multiplier }
    : { devices: Math.round(baseline.devices * burst.multiplier), ratePerDevice: baseline.ratePerDevice, ...(w.surge ? { surge: true } : {}) }
  return {
    durationMs: cyclesMs + w.recoveryMs,
    at (tMs: number): WorkloadPoint {
      const t = Math.max(0, tMs)
      if (t >= cyclesMs) return base(false)
      const i = Math.floor(t / burst.everyMs)
      if (t - i * burst.everyMs < quietMs) return base(i === 0)
      return { phase: `burst-${i + 1}`, ...high }
    },
  }
}
