// The runner's memory over a long run, from its run folder (timeseries.csv mem_mb_runner). The reference is the
// highest RSS over the minute after the first one (REFERENCE_FROM_S to REFERENCE_TO_S of the workload): RSS moves
// with the garbage collector by about 10 % within a minute (a 10-minute run at 1,000/s read 163, 150 and 164 MB
// at 0, 60 and 120 s), so a single second is no level. The run holds when no later second exceeds the reference by
// more than RSS_TOLERANCE (issue 9: memory stays flat because the runner keeps no past seconds). The reading of the
// single second at REFERENCE_FROM_S is reported beside it. Shared by the 10-minute test
// (test/experiments/memory.test.ts) and `npm run bench:soak` (1 h), so both judge with the same numbers.
//
// The 10 % rule is the issue's; measured, it is not always met: RSS climbs for the first minutes of a run by an
// amount that varies from run to run (140 -> 155 MB between minutes 2 and 4 in one hour-long run, nothing like
// it in a 10-minute one). What a leak looks like is a slope that keeps going: the runner that kept every second's
// window grew about 17 MB a minute (1 GB an hour, by the histograms' sizing). So the figures also give the slope of
// RSS over the second half of the workload (least squares, MB a minute), and `flat` is that slope under
// MAX_SLOPE_MB_PER_MIN: the test asserts `flat`, and the soak reports both.
import { linearRegression } from 'simple-statistics'
import type { LoadedRun } from '../../results/run-folder.ts'
import { nonWorkloadPhases } from '../../results/run-format.ts'

/** A later RSS may be at most this fraction above the reference. */
export const RSS_TOLERANCE = 0.10
/** RSS over the second half of the workload may grow at most this fast: a leak of the old kind grew about 17 MB/min; runs here measured 0.07-0.52 MB/min. */
export const MAX_SLOPE_MB_PER_MIN = 2
/** The reference window, seconds into the workload. */
export const REFERENCE_FROM_S = 60
export const REFERENCE_TO_S = 120

export interface MemoryFigures {
  /** Highest runner RSS over the reference window, MB. */
  readonly referenceMb: number
  /** Runner RSS in the first second of the reference window, MB (a single reading, for comparison). */
  readonly firstMinuteMb: number
  /** Highest runner RSS after the reference window, MB, and when (s into the workload). */
  readonly maxMb: number
  readonly maxAtS: number
  /** maxMb / referenceMb - 1. */
  readonly growth: number
  /** maxMb / firstMinuteMb - 1. */
  readonly growthFromFirstMinute: number
  readonly held: boolean
  /** Least-squares slope of RSS over the second half of the workload, MB a minute. */
  readonly slopeMbPerMin: number
  /** slopeMbPerMin <= MAX_SLOPE_MB_PER_MIN. */
  readonly flat: boolean
  /** [s into the workload, MB] every `everyS` seconds, for the curve. */
  readonly curve: Array<[number, number]>
}

export function memoryFigures (run: LoadedRun, everyS = 60): MemoryFigures {
  const workload = run.rows.filter(r => !nonWorkloadPhases.has(r.phase))
  const start = workload[0]?.t_s
  if (start === undefined) throw new Error(`${run.dir}: no workload seconds`)
  const rss = (r: (typeof workload)[number]): number | null => r.services.runner?.memMb ?? null
  const measured = workload.filter(r => rss(r) !== null)
  const window = measured.filter(r => r.t_s - start >= REFERENCE_FROM_S && r.t_s - start < REFERENCE_TO_S)
  const later = measured.filter(r => r.t_s - start >= REFERENCE_TO_S)
  if (window.length === 0 || later.length === 0) {
    throw new Error(`${run.dir}: no runner memory from ${REFERENCE_FROM_S} s into the workload on (the workload is shorter than ${REFERENCE_TO_S} s, or the runner was not monitored)`)
  }
  const highest = (rows: typeof measured): (typeof measured)[number] => rows.reduce((a, b) => (rss(b)! > rss(a)! ? b : a))
  const referenceMb = rss(highest(window))!
  const firstMinuteMb = rss(window[0]!)!
  const max = highest(later)
  const maxMb = rss(max)!
  const growth = maxMb / referenceMb - 1
  const curve: Array<[number, number]> = []
  for (const r of measured) if ((r.t_s - start) % everyS === 0) curve.push([r.t_s - start, rss(r)!])
  const end = measured[measured.length - 1]!.t_s
  const half = measured.filter(r => r.t_s >= start + (end - start) / 2).map(r => [(r.t_s - start) / 60, rss(r)!])
  const slopeMbPerMin = half.length < 2 ? 0 : linearRegression(half).m
  return {
    referenceMb, firstMinuteMb, maxMb, maxAtS: max.t_s - start, growth, growthFromFirstMinute: maxMb / firstMinuteMb - 1,
    held: growth <= RSS_TOLERANCE, slopeMbPerMin, flat: slopeMbPerMin <= MAX_SLOPE_MB_PER_MIN, curve,
  }
}
