// Linear: devices and/or rate ramp from A to B over a duration, then hold; or EMU-IoT's batches, one every interval.
import type { Workload, WorkloadPoint } from '../contracts.ts'
import type { LinearWorkloadConfig } from '../schema/workloads.ts'

export function linearWorkload (w: LinearWorkloadConfig): Workload {
  if (w.mode === 'batch') {
    const batches = Math.ceil(w.to / w.batchSize)
    // Every batch, the last one too, runs for `everyMs` before the next joins (EMU-IoT waits for a batch to be up).
    const rampMs = batches * w.everyMs
    return {
      durationMs: rampMs + w.holdMs,
      at (tMs: number): WorkloadPoint {
        const k = Math.max(0, Math.floor(tMs / w.everyMs))
        return { phase: tMs < rampMs ? 'ramp' : 'hold', devices: Math.min(w.to, w.batchSize * (k + 1)), ratePerDevice: w.ratePerDevice }
      },
    }
  }
  const { devices, ratePerDevice, rampMs } = w
  return {
    durationMs: rampMs + w.holdMs,
    at (tMs: number): WorkloadPoint {
      if (tMs >= rampMs) return { phase: 'hold', devices: devices.to, ratePerDevice: ratePerDevice.to }
      const f = Math.max(0, tMs) / rampMs
      return {
        phase: 'ramp',
        devices: Math.round(devices.from + (devices.to - devices.from) * f),
        ratePerDevice: ratePerDevice.from + (ratePerDevice.to - ratePerDevice.from) * f,
      }
    },
  }
}
