// One hashed timer wheel for every device of a driver (a real fleet has tens of thousands of timers; Node's
// setTimeout per device would cost an object and a closure each). Each id (a device index) has at most one live
// wake-up time; rescheduling replaces it, and the old wheel entry is dropped when its slot comes round. Slots are
// tickMs wide; a wake-up for time t fires at the first tick at or after t (never early), so a tick of 1 ms adds at
// most 1 ms plus the event loop's own delay. Ids are small integers, so the live slot of each is one Float64Array cell.

export interface TimerWheelOptions {
  /** Called for every id whose time has come; it may reschedule the id (or others) from inside. */
  fire: (id: number, now: number) => void
  tickMs?: number
  /** Power of two; the wheel turns once every slots * tickMs (later wake-ups wait in their bucket for their turn). */
  slots?: number
  now?: () => number
  /** false: no interval is started and the owner calls tick() (tests with a fake clock). */
  interval?: boolean
}

const NONE = -1

export class TimerWheel {
  private readonly fire: (id: number, now: number) => void
  private readonly tickMs: number
  private readonly mask: number
  private readonly now: () => number
  private readonly useInterval: boolean
  private readonly buckets: Array<number[] | undefined>
  /** Absolute slot of each id's live wake-up, NONE when it has none. */
  private live = new Float64Array(1024).fill(NONE)
  /** The first slot not yet processed. */
  private cursor: number
  private timer: NodeJS.Timeout | undefined
  private pending = 0
  private failure: { error: unknown } | undefined

  constructor (options: TimerWheelOptions) {
    this.fire = options.fire
    this.tickMs = options.tickMs ?? 1
    const slots = options.slots ?? 16384
    if (!Number.isInteger(Math.log2(slots))) throw new RangeError(`timer wheel slots must be a power of two, got ${slots}`)
    this.mask = slots - 1
    this.buckets = new Array<number[] | undefined>(slots)
    this.now = options.now ?? (() => performance.now())
    this.useInterval = options.interval ?? true
    this.cursor = Math.floor(this.now() / this.tickMs) + 1
  }

  /** Ids with a live wake-up. */
  get size (): number {
    return this.pending
  }

  /** The id's wake-up time in ms (slot-aligned), or undefined. */
  wakeAt (id: number): number | undefined {
    const s = id < this.live.length ? this.live[id]! : NONE
    return s === NONE ? undefined : s * this.tickMs
  }

  /** Wakes `id` at time `atMs` (or at the next tick when that has passed), replacing its previous wake-up. */
  schedule (id: number, atMs: number): void {
    if (id >= this.live.length) this.grow(id)
    const slot = Math.max(this.cursor, Math.ceil(atMs / this.tickMs))
    const current = this.live[id]!
    if (current === slot) return
    if (current === NONE) this.pending++
    this.live[id] = slot
    const b = slot & this.mask
    const bucket = this.buckets[b]
    if (bucket === undefined) this.buckets[b] = [id]
    else bucket.push(id)
    if (this.timer === undefined && this.useInterval) {
      this.timer = setInterval(() => this.tick(), this.tickMs)
      this.timer.unref()
    }
  }

  cancel (id: number): void {
    if (id < this.live.length && this.live[id] !== NONE) {
      this.live[id] = NONE
      this.pending--
    }
  }

  /** Processes every slot up to `now`. An error thrown by `fire` surfaces after the wheel is consistent. */
  tick (now: number = this.now()): void {
    const end = Math.floor(now / this.tickMs)
    // after a stall longer than a turn, one pass over every bucket still finds every due id
    if (end - this.cursor > this.mask) this.cursor = end - this.mask
    while (this.cursor <= end) {
      const s = this.cursor++
      const b = s & this.mask
      const bucket = this.buckets[b]
      if (bucket === undefined) continue
      this.buckets[b] = undefined
      for (let i = 0; i < bucket.length; i++) {
        const id = bucket[i]!
        const slot = this.live[id]!
        if (slot === NONE || (slot & this.mask) !== b) continue // cancelled or moved: a stale entry
        if (slot > s) { // a later turn of the wheel
          const again = this.buckets[b]
          if (again === undefined) this.buckets[b] = [id]
          else if (again[again.length - 1] !== id) again.push(id)
          continue
        }
        this.live[id] = NONE
        this.pending--
        try {
          this.fire(id, now)
        } catch (error) {
          this.failure ??= { error }
        }
      }
    }
    if (this.pending === 0) this.stopInterval()
    if (this.failure !== undefined) {
      const { error } = this.failure
      this.failure = undefined
      throw error
    }
  }

  /** Forgets every wake-up and stops the interval. */
  close (): void {
    this.stopInterval()
    this.buckets.fill(undefined)
    this.live.fill(NONE)
    this.pending = 0
  }

  private grow (id: number): void {
    let size = this.live.length
    while (size <= id) size *= 2
    const bigger = new Float64Array(size).fill(NONE)
    bigger.set(this.live)
    this.live = bigger
  }

  private stopInterval (): void {
    if (this.timer !== undefined) {
      clearInterval(this.timer)
      this.timer = undefined
    }
  }
}
