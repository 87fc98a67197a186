// One clock across the processes of a run: a unit (a gateway, a sink replica) measures the offset of its clock to
// the runner's over the control channel, NTP's way (RFC 5905 §8, one server and no filter beyond the best round
// trip): it sends its time t0, the runner answers with its own t1, the answer arrives at t2; then
//
//   offset = t1 - (t0 + t2) / 2      (the runner's clock minus this one, assuming the two ways take as long)
//   round trip = t2 - t0             (the offset is known to within half of it)
//
// of several exchanges the one with the shortest round trip counts. The unit then stamps in the runner's time:
// a device's send time in the gateway and the receive time in the sink are of one clock, so end-to-end latency
// does not carry the difference of two machines' clocks (or of a process's monotonic clock and the wall clock,
// which drift apart over hours). The offset is measured again every `everyMs` during the run.

/** One exchange: the unit's send time, the runner's answer, the unit's receive time (ms). */
export interface ClockSample { readonly t0: number, readonly t1: number, readonly t2: number }

export interface ClockEstimate {
  /** The runner's clock minus this one, ms. */
  readonly offsetMs: number
  /** Of the exchange it came from, ms; the offset is known to within half of it. */
  readonly roundTripMs: number
}

/** The estimate of the exchange with the shortest round trip; undefined without one. */
export function estimateOffset (samples: readonly ClockSample[]): ClockEstimate | undefined {
  let best: ClockSample | undefined
  for (const s of samples) if (best === undefined || s.t2 - s.t0 < best.t2 - best.t0) best = s
  if (best === undefined) return undefined
  return { offsetMs: best.t1 - (best.t0 + best.t2) / 2, roundTripMs: best.t2 - best.t0 }
}

/** A local clock corrected to the runner's: `now()` reads local + offset (0 until measured). */
export class RunnerClock {
  readonly #local: () => number
  #estimate: ClockEstimate | undefined

  constructor (local: () => number = Date.now) {
    this.#local = local
  }

  get estimate (): ClockEstimate | undefined { return this.#estimate }
  get offsetMs (): number { return this.#estimate?.offsetMs ?? 0 }

  /** The runner's time now, ms. */
  readonly now = (): number => this.#local() + this.offsetMs

  /** The local clock, uncorrected. */
  local (): number { return this.#local() }

  set (estimate: ClockEstimate): void { this.#estimate = estimate }

  /**
   * Another clock of this process (a monotonic one) mapped onto the runner's: `toWall(t)` turns `other`'s reading
   * `t` into runner time. The difference between `other` and the local clock is read again with each new estimate
   * (every measurement, so their drift is taken out every minute), not on every call: a gateway maps every
   * notification's send time.
   */
  mapped (other: { now: () => number, toWall: (t: number) => number }): (t: number) => number {
    let basis: ClockEstimate | undefined | null = null
    let shift = 0
    return t => {
      if (basis !== this.#estimate) {
        basis = this.#estimate
        shift = this.#local() - other.toWall(other.now()) + this.offsetMs
      }
      return other.toWall(t) + shift
    }
  }
}

export interface ClockSyncOptions {
  /** Asks the runner for its time: resolves with t1 for this t0, or rejects (no answer, the runner went away). */
  readonly ask: (t0: number) => Promise<number>
  readonly clock: RunnerClock
  /** Exchanges per measurement. Default 5. */
  readonly samples?: number
  /** Measured again this often. Default 60 s. */
  readonly everyMs?: number
  /** Told each new estimate (for the unit's event line). */
  readonly onEstimate?: (estimate: ClockEstimate, first: boolean) => void
  readonly onError?: (err: Error) => void
}

/** Measures once now and then every `everyMs` until stopped; the first measurement's promise is `ready`. */
export function startClockSync (o: ClockSyncOptions): { readonly ready: Promise<void>, stop: () => void } {
  let stopped = false
  let first = true
  const measure = async (): Promise<void> => {
    const samples: ClockSample[] = []
    for (let i = 0; i < (o.samples ?? 5) && !stopped; i++) {
      const t0 = o.clock.local()
      const t1 = await o.ask(t0)
      samples.push({ t0, t1, t2: o.clock.local() })
    }
    const estimate = estimateOffset(samples)
    if (estimate === undefined || stopped) return
    o.clock.set(estimate)
    o.onEstimate?.(estimate, first)
    first = false
  }
  const attempt = (): Promise<void> => measure().catch((err: unknown) => { if (!stopped) o.onError?.(err as Error) })
  const ready = attempt()
  const timer = setInterval(() => { void attempt() }, o.everyMs ?? 60_000)
  timer.unref()
  return { ready, stop: () => { stopped = true; clearInterval(timer) } }
}

/** An offset is told again when it moved more than this: Date.now's whole milliseconds move it by up to 1.5 ms. */
const RETELL_MS = 2

/** What a unit's end of the control channel offers for the clock (ChannelClient.askTime). */
export interface TimeSource {
  askTime? (t0: number): Promise<number>
}

/**
 * A unit's runner clock, set by the channel when it can tell the runner's time: measured at once and every
 * `everyMs`, each new offset told to `tell` (an event line: on the first, then when it moved by more than RETELL_MS).
 */
export function unitClock (channel: TimeSource, local: () => number, tell: (detail: string) => void, everyMs?: number): { clock: RunnerClock, stop: () => void } {
  const clock = new RunnerClock(local)
  if (channel.askTime === undefined) return { clock, stop: () => {} }
  let told: number | undefined
  const sync = startClockSync({
    ask: t0 => channel.askTime!(t0),
    clock,
    ...(everyMs !== undefined ? { everyMs } : {}),
    onEstimate: e => {
      if (told !== undefined && Math.abs(e.offsetMs - told) <= RETELL_MS) return
      told = e.offsetMs
      tell(`offset to the runner's clock ${e.offsetMs >= 0 ? '+' : ''}${e.offsetMs.toFixed(1)} ms (round trip ${e.roundTripMs.toFixed(1)} ms): times from here are the runner's`)
    },
    onError: err => tell(`the runner's clock could not be read (${err.message}); the offset stays ${clock.offsetMs.toFixed(1)} ms`),
  })
  return { clock, stop: sync.stop }
}
