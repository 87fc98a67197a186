// The autoscaling figures of one run (issue 8 "Figures"), computed from its run folder only: timeseries.csv (lag in
// records and seconds, desired and running replicas, phases) and events.csv (the autoscaler's decisions, the sink
// replicas' rebalance pauses). bench:autoscale prints them side by side, one run per policy on the same seeded load.
import type { LoadedRun } from '../../results/run-folder.ts'

export interface AutoscaleFigures {
  readonly policy: string
  readonly peakLag: number
  readonly peakLagSeconds: number
  /** Seconds from the burst's start (its phase event) to the first scale-up decision; undefined: none. */
  readonly firstScaleUpS: number | undefined
  /** Seconds from the burst's end until the lag stays below `lagThreshold`; undefined: it never did. */
  readonly drainS: number | undefined
  /** Seconds whose time lag was over the SLO. */
  readonly secondsOverSlo: number
  /** Running replicas summed over the run's seconds (workload and drain). */
  readonly replicaSeconds: number
  readonly maxReplicas: number
  /** Changes of direction of the desired count, over the run and in its steady phases only. */
  readonly changesOfDirection: number
  readonly steadyChanges: number
  readonly scaleSteps: number
  /** Rebalance pauses the sink replicas reported (each from stopping to its first fetch after the join), ms. */
  readonly rebalancePauseMedianMs: number | undefined
  readonly rebalancePauseMaxMs: number | undefined
  /**
   * The group's rebalances: the replicas' pauses that overlap in time merged into one window, from the first
   * replica that stopped to the last that fetched again (what the group as a whole lost to it).
   */
  readonly groupRebalances: number
  readonly groupRebalanceMaxMs: number | undefined
  readonly lost: number
  readonly duplicates: number
}

export interface FigureOptions {
  readonly policy: string
  readonly lagThreshold: number
  readonly sloLagSeconds: number
  /** Seconds at the end of the recovery counted as steady (besides the baseline before the burst). */
  readonly steadyTailS: number
}

export function autoscaleFigures (run: LoadedRun, o: FigureOptions): AutoscaleFigures {
  const rows = run.rows.filter(r => r.phase !== 'setup')
  // the burst begins at its phase event (ms); the rows say only which whole second it fell into
  const burstStart = run.events.find(e => e.kind === 'phase' && e.detail.startsWith('burst'))?.t_s ?? rows.find(r => r.phase.startsWith('burst'))?.t_s
  const burstEnd = burstStart === undefined ? undefined : rows.find(r => r.t_s > burstStart && !r.phase.startsWith('burst'))?.t_s
  const decisions = run.events.filter(e => e.kind === 'autoscale').map(e => ({ t: e.t_s, m: /^(scale-up|scale-down|replace|hold) (\d+) -> (\d+)/.exec(e.detail) }))
    .filter((d): d is { t: number, m: RegExpExecArray } => d.m !== null)
  const ups = decisions.filter(d => d.m[1] === 'scale-up')
  const firstUp = burstStart === undefined ? undefined : ups.find(d => d.t >= burstStart)
  let drainS: number | undefined
  if (burstEnd !== undefined) {
    const after = rows.filter(r => r.t_s >= burstEnd)
    const lastHigh = [...after].reverse().find(r => (r.consumer_lag ?? 0) >= o.lagThreshold)
    drainS = lastHigh === undefined ? 0 : lastHigh === after.at(-1) ? undefined : lastHigh.t_s + 1 - burstEnd
  }
  const desired = rows.map(r => r.consumer_desired).filter((v): v is number => v !== null)
  const steadyEnd = rows.at(-1)?.t_s ?? 0
  // a second is steady before the burst only if it ended before the burst began: the second the burst falls into
  // holds the first scale-up, which is the burst's
  const steady = rows.filter(r => (burstStart !== undefined && r.t_s + 1 <= burstStart && r.phase !== 'ramp') ||
    (r.phase !== 'drain' && burstEnd !== undefined && r.t_s >= steadyEnd - o.steadyTailS))
  const told = run.events.filter(e => e.kind === 'sink.rebalance').map(e => ({ endS: e.t_s, ms: Number(/after a (\d+) ms pause/.exec(e.detail)?.[1]) }))
    .filter(p => Number.isFinite(p.ms))
  const pauses = told.map(p => p.ms).sort((a, b) => a - b)
  const windows = mergeWindows(told.map(p => [p.endS * 1000 - p.ms, p.endS * 1000]))
  return {
    policy: o.policy,
    peakLag: Math.max(0, ...rows.map(r => r.consumer_lag ?? 0)),
    peakLagSeconds: Math.max(0, ...rows.map(r => r.consumer_lag_s ?? 0)),
    firstScaleUpS: firstUp === undefined || burstStart === undefined ? undefined : Math.max(0, firstUp.t - burstStart),
    drainS,
    secondsOverSlo: rows.filter(r => (r.consumer_lag_s ?? 0) > o.sloLagSeconds).length,
    replicaSeconds: rows.reduce((s, r) => s + (r.consumer_replicas ?? 0), 0),
    maxReplicas: Math.max(0, ...rows.map(r => r.consumer_replicas ?? 0)),
    changesOfDirection: directionChanges(desired),
    steadyChanges: directionChanges(steady.map(r => r.consumer_desired).filter((v): v is number => v !== null)),
    scaleSteps: decisions.filter(d => d.m[1] === 'scale-up' || d.m[1] === 'scale-down').length,
    rebalancePauseMedianMs: pauses.length === 0 ? undefined : pauses[Math.floor(pauses.length / 2)],
    rebalancePauseMaxMs: pauses.at(-1),
    groupRebalances: windows.length,
    groupRebalanceMaxMs: windows.length === 0 ? undefined : Math.round(Math.max(...windows.map(([a, b]) => b - a))),
    lost: run.summary?.lost ?? 0,
    duplicates: run.summary?.duplicates ?? 0,
  }
}

/** Changes of a series' direction (up then down, or down then up), ignoring steps of 0. */
export function directionChanges (series: readonly number[]): number {
  let last = 0
  let changes = 0
  for (let i = 1; i < series.length; i++) {
    const d = Math.sign(series[i]! - series[i - 1]!)
    if (d === 0) continue
    if (last !== 0 && d !== last) changes++
    last = d
  }
  return changes
}

/** Intervals [start, end] merged where they overlap, in time order. */
export function mergeWindows (intervals: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (const [a, b] of [...intervals].sort((x, y) => x[0] - y[0])) {
    const last = out.at(-1)
    if (last !== undefined && a <= last[1]) last[1] = Math.max(last[1], b)
    else out.push([a, b])
  }
  return out
}
