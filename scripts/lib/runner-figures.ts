// The runner bench's figures (scripts/bench/runner.ts), computed from a run folder (docs/results.md) and from this
// process's own CPU clock. Pure where it can be: a folder in, numbers out.
import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { LoadedRun } from '../../results/run-folder.ts'
import type { TimeseriesRow } from '../../results/run-format.ts'

/** Epoch ms of the start of timeseries row `tS`: t_s = 0 is the wall-clock second the run started in (seconds.ts). */
export function rowStartMs (run: LoadedRun, tS: number): number {
  return (Math.floor(Date.parse(run.meta.startedAt) / 1000) + tS) * 1000
}

/** Epoch ms of an events.csv time: t_s is (atMs - startMs) / 1000 to 0.1 s (session.ts `event`), so +-50 ms. */
export function eventMs (run: LoadedRun, tS: number): number {
  return Date.parse(run.meta.startedAt) + tS * 1000
}

/** The steady state of a linear run: the hold rows, less the first `skipS` seconds after the ramp. */
export function steadyRows (run: LoadedRun, skipS: number): TimeseriesRow[] {
  const hold = run.rows.filter(r => r.phase === 'hold')
  if (hold.length === 0) return []
  return hold.filter(r => r.t_s >= hold[0]!.t_s + skipS)
}

export interface RateAccuracy {
  /** sum(sent) / sum(rate_target) x 100 over the rows. */
  pct: number
  /** The second furthest from its target, sent / rate_target x 100. */
  worst: { tS: number, pct: number }
  sent: number
  target: number
}

export function rateAccuracy (rows: TimeseriesRow[]): RateAccuracy | undefined {
  let sent = 0
  let target = 0
  let worst: { tS: number, pct: number } | undefined
  for (const r of rows) {
    if (r.rate_target === null || r.rate_target <= 0) continue
    sent += r.sent ?? 0
    target += r.rate_target
    const pct = (r.sent ?? 0) / r.rate_target * 100
    if (worst === undefined || Math.abs(pct - 100) > Math.abs(worst.pct - 100)) worst = { tS: r.t_s, pct }
  }
  return worst === undefined ? undefined : { pct: sent / target * 100, worst, sent, target }
}

export function mean (values: number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length
}

/**
 * This process's CPU clock (user + system) sampled every `everyMs` with the wall-clock time, so the CPU spent over
 * any span of the run can be read back afterwards: the bench runs the runner in its own process, so this is the
 * runner's CPU measured independently of its monitor.
 */
export class CpuClock {
  readonly #samples: Array<{ atMs: number, cpuUs: number }> = []
  readonly #timer: NodeJS.Timeout

  constructor (everyMs = 100) {
    this.#sample()
    this.#timer = setInterval(() => this.#sample(), everyMs).unref()
  }

  #sample (): void {
    const u = process.cpuUsage()
    this.#samples.push({ atMs: Date.now(), cpuUs: u.user + u.system })
  }

  stop (): void {
    clearInterval(this.#timer)
  }

  /** Percent of one core between the samples nearest `fromMs` and `toMs`, with the span actually covered. */
  percentBetween (fromMs: number, toMs: number): { pct: number, fromMs: number, toMs: number } | undefined {
    const a = this.#nearest(fromMs)
    const b = this.#nearest(toMs)
    if (a === undefined || b === undefined || b.atMs <= a.atMs) return undefined
    return { pct: (b.cpuUs - a.cpuUs) / 1000 / (b.atMs - a.atMs) * 100, fromMs: a.atMs, toMs: b.atMs }
  }

  #nearest (ms: number): { atMs: number, cpuUs: number } | undefined {
    let best: { atMs: number, cpuUs: number } | undefined
    for (const s of this.#samples) if (best === undefined || Math.abs(s.atMs - ms) < Math.abs(best.atMs - ms)) best = s
    return best
  }
}

/** Intended send times and receive times of every traced record in the run's sink.ndjson, epoch ms. */
export async function sinkTimes (runDir: string): Promise<{ sent: number[], received: number[] }> {
  const sent: number[] = []
  const received: number[] = []
  const lines = createInterface({ input: createReadStream(join(runDir, 'sink.ndjson'), 'utf8'), crlfDelay: Infinity })
  for await (const line of lines) {
    if (line === '') continue
    const r = JSON.parse(line) as { sentAtMs: number | null, receivedAtMs: number }
    if (r.sentAtMs === null) continue
    sent.push(r.sentAtMs)
    received.push(r.receivedAtMs)
  }
  return { sent, received }
}

const BIN_MS = 100
const WINDOW_BINS = 5 // 500 ms

/**
 * When the rate of `times` reaches `targetPerS` after `fromMs`: times are binned into 100 ms bins from `fromMs`, and
 * the rate at bin i is the count in bins i..i+4 (500 ms) x 2. With `hold`, the answer is the first bin from which
 * every window that ends by `untilMs` is >= `fraction` of the target ("reached and stays"); without, the first such
 * window ("reached"). Milliseconds after `fromMs` (the window's start), or undefined when never.
 */
export function rateOnsetMs (times: number[], o: { fromMs: number, untilMs: number, targetPerS: number, fraction: number, hold: boolean }): number | undefined {
  const bins = Math.floor((o.untilMs - o.fromMs) / BIN_MS)
  if (bins < WINDOW_BINS) return undefined
  const counts = new Array<number>(bins).fill(0)
  for (const t of times) {
    const i = Math.floor((t - o.fromMs) / BIN_MS)
    if (i >= 0 && i < bins) counts[i]!++
  }
  const windows = bins - WINDOW_BINS + 1
  const ok: boolean[] = []
  let inWindow = counts.slice(0, WINDOW_BINS).reduce((a, b) => a + b, 0)
  for (let i = 0; i < windows; i++) {
    if (i > 0) inWindow += counts[i + WINDOW_BINS - 1]! - counts[i - 1]!
    ok.push(inWindow * (1000 / (WINDOW_BINS * BIN_MS)) >= o.fraction * o.targetPerS)
  }
  if (!o.hold) {
    const i = ok.indexOf(true)
    return i < 0 ? undefined : i * BIN_MS
  }
  let i = windows
  while (i > 0 && ok[i - 1] === true) i--
  return i === windows ? undefined : i * BIN_MS
}

export interface BurstFigures {
  phase: string
  /** Epoch ms of the phase event. */
  startMs: number
  endMs: number
  targetPerS: number
  /** Intended send rate >= 95 % of target over 500 ms windows, and stays so until the burst ends. */
  sendOnsetMs: number | undefined
  /** Delivered rate (by receive time) first >= 95 % of target over a 500 ms window. */
  deliveredOnsetMs: number | undefined
  /** Registration storms that began in the burst: the longest per gateway, from registration-storm-finished. */
  stormMs: number | undefined
}

/** Every `burst-N` phase of a burst run, with its onsets. */
export async function burstFigures (run: LoadedRun, fraction = 0.95): Promise<BurstFigures[]> {
  const phases = run.events.filter(e => e.kind === 'phase')
  const bursts = phases.filter(e => /^burst-\d+:/.test(e.detail))
  if (bursts.length === 0) return []
  const times = await sinkTimes(run.dir)
  return bursts.map(b => {
    const next = phases.find(e => e.t_s > b.t_s)
    const startMs = eventMs(run, b.t_s)
    const endMs = next !== undefined ? eventMs(run, next.t_s) : startMs
    const target = Number(/\(([\d.]+)\/s\)/.exec(b.detail)?.[1] ?? NaN)
    const storms = run.events.filter(e => e.kind === 'registration-storm-started' && e.t_s >= b.t_s && (next === undefined || e.t_s < next.t_s))
    const stormMs = storms.map(s => {
      const done = run.events.find(e => e.kind === 'registration-storm-finished' && e.source === s.source && e.t_s >= s.t_s)
      const joined = done !== undefined ? /joined in ([\d.]+) s/.exec(done.detail) : null
      return joined !== null ? Number(joined[1]) * 1000 : undefined
    }).filter((v): v is number => v !== undefined)
    return {
      phase: b.detail.split(':')[0]!,
      startMs,
      endMs,
      targetPerS: target,
      sendOnsetMs: rateOnsetMs(times.sent, { fromMs: startMs, untilMs: endMs, targetPerS: target, fraction, hold: true }),
      // deliveries may run on past the burst's end while a backlog drains
      deliveredOnsetMs: rateOnsetMs(times.received, { fromMs: startMs, untilMs: endMs + 10_000, targetPerS: target, fraction, hold: false }),
      stormMs: stormMs.length > 0 ? Math.max(...stormMs) : undefined,
    }
  })
}
