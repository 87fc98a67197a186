// `predictive`: a capacity model in the manner of DS2 (Kalavri et al., OSDI 2018): size the group from the true
// processing rate of one replica (learned by Knowledge from saturated periods) against what must be processed:
//
//   needed = the fewest n with  n x capacity per replica in a group of n x utilization  >=  forecast arrival + backlog / drainTarget
//   forecast arrival = arrival now + max(0, trend) x horizon
//
// The arrival is the mean of the last `smoothing` periods, or this period's when higher (up fast, down slow); its
// trend the least-squares slope over `trendWindow`.
// It scales ahead of a ramp (the trend) and sizes a burst in one step (the backlog term), where lag thresholds need
// several. Scale-in never follows a forecast (AWS predictive scaling does not scale in on a forecast either): only
// the arrival observed now, once the backlog is below one period's work, and only to the highest of the
// `stabilization` window's recommendations. A group grows only when the demand is more than `tolerance` (the HPA's
// 0.1) above what it does at its utilization: the cloud topic's arrival comes in MirrorMaker 2's batches, and a
// second that read 158/s where 100/s arrive asked one replica of 179/s at 90 % for a second replica. Until a capacity is learned it uses `capacityPerReplica` when given,
// else it holds and says so (the replicas' useful time teaches it within seconds of their first records; see
// knowledge.ts).
// Defaults: utilization 0.9 (Flink's autoscaler targets 0.7 for CPU-bound operators; a sink's capacity here is
// measured, not estimated, so less headroom is needed), a stabilization of 10 s (short: scale-in already requires
// the backlog gone and the observed arrival to fit; a lag-driven policy needs its long window against noise).
import { formatCount } from '../format.ts'
import type { ControlInput, Policy } from '../types.ts'
import { stabilized } from './window.ts'

export const predictiveDefaults = {
  drainTarget: 10_000, utilization: 0.9, tolerance: 0.1, trendWindow: 10_000, horizon: 5_000, smoothing: 3, stabilization: 10_000,
} as const

export const predictivePolicy: Policy = {
  name: 'predictive',
  plan: ({ input, knowledge, config }) => {
    const p = { ...predictiveDefaults, ...config.params } as typeof predictiveDefaults & { capacityPerReplica?: number }
    const capacityAt = (n: number): number | undefined => knowledge.capacityAt(n) ?? p.capacityPerReplica
    const capacity = capacityAt(input.replicas)
    if (capacity === undefined || capacity <= 0) return { desired: knowledge.desired, reason: 'per-replica capacity not learned yet (no saturated period seen): holding' }
    const most = Math.max(config.max ?? input.partitions, 1)
    /** The fewest replicas whose group, at what a group of that count does per replica, processes `rate`. */
    const replicasFor = (rate: number): number => {
      for (let n = 1; n <= most; n++) if (n * capacityAt(n)! * p.utilization >= rate) return n
      return Math.ceil(rate / (capacityAt(most)! * p.utilization)) // beyond the cap: Execute caps it, the reason says so
    }
    const recent = [...knowledge.inputs, input]
    const smoothed = recent.slice(-p.smoothing)
    // up fast, down slow: a rise counts from the period it is seen (the mean of the last periods would size a
    // burst's first step from a third of it, and every further step costs a rebalance); a fall waits for the mean
    const arrival = Math.max(input.arrivalRate, smoothed.reduce((s, i) => s + i.arrivalRate, 0) / smoothed.length)
    const trend = slope(recent.filter(i => input.atMs - i.atMs <= p.trendWindow))
    const forecast = arrival + Math.max(0, trend) * p.horizon / 1000
    const demand = forecast + input.lag / (p.drainTarget / 1000)
    const needed = Math.max(1, replicasFor(demand))
    const sized = Math.min(needed, most)
    const perNeeded = capacityAt(sized)!
    const words = `arrival ${formatCount(arrival)}/s${trend > 0 ? ` rising ${formatCount(trend)}/s²` : ''}, lag ${formatCount(input.lag)} to drain in ${p.drainTarget / 1000} s; ` +
      `${formatCount(perNeeded)}/s per replica in a group of ${sized}${knowledge.capacitySourceAt(sized) === 'useful-time' ? ' (useful time)' : ''} at ${Math.round(p.utilization * 100)} %: ${input.replicas} -> ${needed}`
    if (needed > knowledge.desired) {
      const n = knowledge.desired
      const holds = n * capacityAt(n)! * p.utilization * (1 + p.tolerance)
      if (demand <= holds) return { desired: n, reason: `${words}; held: ${formatCount(demand)}/s is within the ${Math.round(p.tolerance * 100)} % tolerance of ${n} replica${n === 1 ? '' : 's'} (${formatCount(holds)}/s)` }
    }
    if (needed >= knowledge.desired) return { desired: needed, reason: words }
    // scale in only on what is observed now, with the backlog gone
    // the smaller count must also drain, within drainTarget, what arrives while its own rebalance pauses consumption
    const pauseS = (knowledge.rebalanceMs ?? 2 * config.periodMs) / 1000
    const observed = Math.max(1, replicasFor(input.arrivalRate * (1 + pauseS / (p.drainTarget / 1000))))
    if (input.lag > capacity * p.utilization * config.periodMs / 1000) return { desired: knowledge.desired, recommendation: knowledge.desired, reason: `${words}; no scale-in while lag ${formatCount(input.lag)} remains` }
    const down = Math.min(knowledge.desired, stabilized(knowledge, input.atMs, p.stabilization, Math.max(observed, needed)))
    return { desired: down, recommendation: Math.max(observed, needed), reason: down > Math.max(observed, needed) ? `${words}; held at ${down} by the ${p.stabilization / 1000} s stabilization window` : words }
  },
}

/** Least-squares slope of the arrival rate over time, per second per second; 0 with fewer than 3 points. */
export function slope (inputs: readonly ControlInput[]): number {
  if (inputs.length < 3) return 0
  const t0 = inputs[0]!.atMs
  const xs = inputs.map(i => (i.atMs - t0) / 1000)
  const ys = inputs.map(i => i.arrivalRate)
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length
  const my = ys.reduce((a, b) => a + b, 0) / ys.length
  let num = 0
  let den = 0
  for (let i = 0; i < xs.length; i++) { num += (xs[i]! - mx) * (ys[i]! - my); den += (xs[i]! - mx) ** 2 }
  return den === 0 ? 0 : num / den
}
