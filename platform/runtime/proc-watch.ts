// Readings of processes for ProcessRuntime.watchStats: one timer for every watched pid, and per pid per tick one
// read of /proc/<pid>/stat (proc(5)): CPU from utime + stime against the wall time since that pid's previous
// reading, memory from rss (the counter /proc/<pid>/status shows as VmRSS). The process itself, all its threads, not
// the children it forked, as Runtime.stats reports it. Network is null: /proc/<pid>/net/dev counts the process's
// whole network namespace, which for the lab's services is the host's.
//
// The reads are synchronous on purpose: a small procfs file is read in microseconds, less than the thread-pool round
// trip of an async read, and this runs every second for every service of a lab.
import { readFileSync } from 'node:fs'
import { CLOCK_TICKS, parseProcStat } from './proc-stats.ts'
import type { ProcSample } from './proc-stats.ts'
import { stoppedSample } from './types.ts'
import type { ServiceStatsSample, StatsWatch } from './types.ts'

export interface ProcStatsWatcherOptions {
  /** Time between readings. Default 1000 ms. */
  intervalMs?: number
  /** Epoch ms, for the samples' `at`. Default Date.now. */
  now?: () => number
}

interface Watched {
  pid: number
  /** The process's start time: with the pid it names one process across pid reuse. */
  startTicks: number
  onSample: (s: ServiceStatsSample) => void
  /** CPU ticks and monotonic ms at the previous reading. */
  last: { cpuTicks: number, at: number }
}

export class ProcStatsWatcher {
  readonly #intervalMs: number
  readonly #now: () => number
  readonly #watched = new Set<Watched>()
  #timer: NodeJS.Timeout | undefined

  constructor (options: ProcStatsWatcherOptions = {}) {
    this.#intervalMs = options.intervalMs ?? 1000
    this.#now = options.now ?? Date.now
  }

  /** Watches the process `pid` that started at `startTicks` (ProcSample.startTicks). */
  watch (pid: number, startTicks: number, onSample: (s: ServiceStatsSample) => void): StatsWatch {
    const first = readLive(pid, startTicks)
    const w: Watched = { pid, startTicks, onSample, last: { cpuTicks: first?.cpuTicks ?? 0, at: performance.now() } }
    this.#watched.add(w)
    if (first === undefined) {
      // Gone already: the last sample, but not before watch() returns (the contract never calls back synchronously).
      setImmediate(() => this.#finish(w))
    } else if (this.#timer === undefined) {
      // Not unref'd: a watch keeps the program alive until stopped, as a docker stats stream's socket does.
      this.#timer = setInterval(() => this.#tick(), this.#intervalMs)
    }
    return { stop: () => this.#drop(w) }
  }

  /** How many processes are watched. */
  get size (): number {
    return this.#watched.size
  }

  #tick (): void {
    for (const w of [...this.#watched]) {
      // an earlier callback of this tick may have stopped it
      if (!this.#watched.has(w)) continue
      const s = readLive(w.pid, w.startTicks)
      if (s === undefined) { this.#finish(w); continue }
      const at = performance.now()
      const seconds = (at - w.last.at) / 1000
      // Watched just before this tick: too short a span for CPU counted in 10 ms ticks; it reads at the next one.
      if (seconds < this.#intervalMs / 2000) continue
      const cpuPercent = Math.max(0, (s.cpuTicks - w.last.cpuTicks) / CLOCK_TICKS / seconds * 100)
      w.last = { cpuTicks: s.cpuTicks, at }
      w.onSample({ at: this.#now(), running: true, cpuPercent, memoryBytes: s.rssBytes, networkRxBytes: null, networkTxBytes: null })
    }
  }

  #finish (w: Watched): void {
    if (!this.#watched.has(w)) return
    this.#drop(w)
    w.onSample(stoppedSample(this.#now()))
  }

  #drop (w: Watched): void {
    this.#watched.delete(w)
    if (this.#watched.size === 0) {
      clearInterval(this.#timer)
      this.#timer = undefined
    }
  }
}

/** The process's figures while it is the one that started at `startTicks` and still runs; undefined once it is gone. */
function readLive (pid: number, startTicks: number): ProcSample | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  const { state, sample } = parseProcStat(text)
  if (state === 'X' || sample.startTicks !== startTicks) return undefined
  // a zombie leader whose other threads still run is not gone yet (proc-stats.ts readProcSample)
  if (state === 'Z' && threads(pid) <= 1) return undefined
  return sample
}

function threads (pid: number): number {
  try {
    return Number(/^Threads:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
  } catch {
    return 0
  }
}
