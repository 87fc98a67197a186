// What the runner makes of each second's row besides handing it to the outputs: the ObservedSecond an adaptive
// workload (the capacity search) decides on.
import type { TimeseriesRow } from '../../results/run-folder.ts'
import type { ObservedSecond } from '../contracts.ts'

/** The row of epoch second `second` as the workload sees it, or undefined outside the workload. */
export function observedSecond (r: TimeseriesRow, second: number, workloadStartMs: number): ObservedSecond | undefined {
  if (r.phase === 'setup' || r.phase === 'drain' || workloadStartMs === 0 || second * 1000 < workloadStartMs) return undefined
  const cpuPercent: Record<string, number> = {}
  for (const [svc, v] of Object.entries(r.services)) if (v.cpuPct !== null) cpuPercent[svc] = v.cpuPct
  return {
    // the end of this second, in workload time (contracts: second tS covers (tS - 1, tS])
    tS: ((second + 1) * 1000 - workloadStartMs) / 1000,
    devicesTarget: r.devices_target ?? 0,
    devicesActive: r.devices_active ?? 0,
    rateTarget: r.rate_target ?? 0,
    sent: r.sent ?? 0,
    delivered: r.delivered ?? 0,
    e2eP99Ms: r.e2e_p99_ms ?? undefined,
    consumerLag: r.consumer_lag ?? undefined,
    cpuPercent,
  }
}
