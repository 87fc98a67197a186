// A consumer group in discrete time, for the autoscaler's unit tests: records arrive at arrival(t) per second,
// each replica consumes up to `capacity` per second, a scale step pauses consumption for `pauseS` seconds (the
// eager rebalance). A model of the real pipeline, never a figure about it: the real figures come from bench:autoscale.
import { Autoscaler } from '../../../control/autoscaler/loop.ts'
import type { AutoscalerConfig, ControlInput, Decision } from '../../../control/autoscaler/types.ts'

export interface SimOptions {
  readonly config: AutoscalerConfig
  readonly arrival: (t: number) => number
  readonly capacity: number
  readonly partitions: number
  readonly seconds: number
  readonly initial?: number
  readonly pauseS?: number
  /** Seconds at which one replica is killed from outside. */
  readonly kills?: readonly number[]
}

export interface SimResult {
  readonly lag: number[]
  readonly replicas: number[]
  readonly decisions: Decision[]
  readonly autoscaler: Autoscaler
}

export async function simulate (o: SimOptions): Promise<SimResult> {
  let replicas = o.initial ?? 1
  let pausedUntil = -1
  let lag = 0
  let t = 0
  const decisions: Decision[] = []
  const autoscaler = new Autoscaler({
    config: o.config,
    initial: replicas,
    now: () => t * 1000,
    executor: { scale: async n => { if (n !== replicas) pausedUntil = t + (o.pauseS ?? 2); replicas = n } },
    onDecision: d => decisions.push(d),
  })
  const lags: number[] = []
  const counts: number[] = []
  for (t = 0; t < o.seconds; t++) {
    if (o.kills?.includes(t) === true && replicas > 0) { replicas--; pausedUntil = t + (o.pauseS ?? 2) }
    const arrived = o.arrival(t)
    const consumed = t < pausedUntil ? 0 : Math.min(lag + arrived, replicas * o.capacity)
    lag = lag + arrived - consumed
    const input: ControlInput = {
      atMs: t * 1000, replicas, partitions: o.partitions, lag, lagSeconds: lag / Math.max(1, arrived), partitionsWithLag: lag > 0 ? o.partitions : 0,
      groupStatus: lag > 0 && consumed === 0 ? 'STALL' : 'OK', arrivalRate: arrived, consumedRate: consumed,
    }
    autoscaler.step(input)
    await new Promise(resolve => setImmediate(resolve))
    lags.push(lag)
    counts.push(replicas)
  }
  return { lag: lags, replicas: counts, decisions, autoscaler }
}

/** Changes of the replica count opposite to the change before, between seconds `from` and `to`. */
export function directionChanges (replicas: readonly number[], from = 0, to = replicas.length): number {
  let last = 0
  let changes = 0
  for (let i = Math.max(1, from); i < to; i++) {
    const d = Math.sign(replicas[i]! - replicas[i - 1]!)
    if (d === 0) continue
    if (last !== 0 && d !== last) changes++
    last = d
  }
  return changes
}
