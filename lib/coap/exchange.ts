// Message layer state for many endpoints in one process (RFC 7252 §4): message ids and tokens per endpoint, one
// timer wheel that retransmits every pending Confirmable message (§4.2, §4.8), and a bounded cache of received
// CON message ids for duplicate detection (§4.5). Nothing here arms a timer per message.

/** Transmission parameters (RFC 7252 §4.8) and the times derived from them (§4.8.2). */
export const ACK_TIMEOUT_MS = 2000
export const ACK_RANDOM_FACTOR = 1.5
export const MAX_RETRANSMIT = 4
export const NSTART = 1
export const MAX_TRANSMIT_SPAN_MS = 45_000
export const MAX_TRANSMIT_WAIT_MS = 93_000
export const MAX_LATENCY_MS = 100_000
export const PROCESSING_DELAY_MS = ACK_TIMEOUT_MS
export const EXCHANGE_LIFETIME_MS = 247_000
export const NON_LIFETIME_MS = 145_000

export type Random = () => number

/** Message ids for one endpoint: a random start, then +1 modulo 2^16 (§4.4). */
export class MessageIdGenerator {
  private current: number

  constructor (random: Random = Math.random) {
    this.current = Math.floor(random() * 0x10000) & 0xffff
  }

  next (): number {
    this.current = (this.current + 1) & 0xffff
    return this.current
  }
}

const NO_PREFIX = Buffer.alloc(0)

/**
 * Tokens for one endpoint (§5.3.1): a 32-bit counter from a random start in the last (up to) 4 bytes, random bytes
 * before it for longer tokens. Unique among the endpoint's next 2^32 tokens, cheap enough for every notification.
 */
export class TokenGenerator {
  readonly length: number
  private counter: number
  private readonly prefix: Buffer

  constructor (length = 4, random: Random = Math.random) {
    if (!Number.isInteger(length) || length < 0 || length > 8) throw new RangeError(`token length must be 0-8, got ${length}`)
    this.length = length
    this.counter = Math.floor(random() * 0x100000000) >>> 0
    // Shared when empty: a simulator holds one generator per device.
    this.prefix = length > 4 ? Buffer.alloc(length - 4) : NO_PREFIX
    for (let i = 0; i < this.prefix.length; i++) this.prefix[i] = Math.floor(random() * 256)
  }

  next (): Buffer {
    const token = Buffer.allocUnsafe(this.length)
    this.counter = (this.counter + 1) >>> 0
    const tail = Math.min(4, this.length)
    if (tail > 0) token.writeUIntBE(this.counter % 2 ** (8 * tail), this.length - tail, tail)
    this.prefix.copy(token, 0)
    return token
  }
}

/** A token as a Map key. */
export function tokenKey (token: Buffer): string {
  return token.toString('hex')
}

export interface RetransmissionOptions<K, C> {
  /** Sends the stored message again; `attempt` counts retransmissions from 1 to maxRetransmit. */
  retransmit: (key: K, exchange: C, attempt: number) => void
  /** The last timeout passed with no ACK or RST (§4.2): the exchange is dropped. */
  giveUp: (key: K, exchange: C) => void
  ackTimeoutMs?: number
  ackRandomFactor?: number
  maxRetransmit?: number
  /** Width of a wheel slot: timeouts fire up to this late. */
  tickMs?: number
  now?: () => number
  random?: Random
  /** false: no interval is started; the owner calls tick() (tests with a fake clock). */
  interval?: boolean
}

interface Pending<K, C> {
  key: K
  exchange: C
  attempt: number
  timeoutMs: number
  deadline: number
  slot: number
  live: boolean
}

const WHEEL_SLOTS = 1024

/**
 * Retransmission of Confirmable messages for any number of endpoints (§4.2, §4.8): the first timeout is random in
 * [ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR], doubled at each of MAX_RETRANSMIT retransmissions, then the
 * exchange is given up. One hashed timer wheel (1024 slots of tickMs) and one unref'd interval serve all of them;
 * settling an exchange is O(1) (its wheel entry is dropped lazily when its slot comes round).
 */
export class RetransmissionTracker<K, C> {
  private readonly pending = new Map<K, Pending<K, C>>()
  private readonly slots: Array<Array<Pending<K, C>>> = Array.from({ length: WHEEL_SLOTS }, () => [])
  private readonly opts: Required<Omit<RetransmissionOptions<K, C>, 'retransmit' | 'giveUp'>>
  private readonly retransmit: RetransmissionOptions<K, C>['retransmit']
  private readonly giveUp: RetransmissionOptions<K, C>['giveUp']
  private nextSlot: number
  private timer: NodeJS.Timeout | undefined

  constructor (options: RetransmissionOptions<K, C>) {
    this.retransmit = options.retransmit
    this.giveUp = options.giveUp
    this.opts = {
      ackTimeoutMs: options.ackTimeoutMs ?? ACK_TIMEOUT_MS,
      ackRandomFactor: options.ackRandomFactor ?? ACK_RANDOM_FACTOR,
      maxRetransmit: options.maxRetransmit ?? MAX_RETRANSMIT,
      tickMs: options.tickMs ?? 50,
      now: options.now ?? (() => performance.now()),
      random: options.random ?? Math.random,
      interval: options.interval ?? true,
    }
    this.nextSlot = Math.floor(this.opts.now() / this.opts.tickMs)
  }

  get size (): number {
    return this.pending.size
  }

  has (key: K): boolean {
    return this.pending.has(key)
  }

  /** A CON message was just sent: retransmit it until settled. A key already pending is replaced. */
  add (key: K, exchange: C): void {
    this.settle(key)
    const { ackTimeoutMs, ackRandomFactor, random } = this.opts
    const timeoutMs = ackTimeoutMs * (1 + random() * (ackRandomFactor - 1))
    const entry: Pending<K, C> = { key, exchange, attempt: 0, timeoutMs, deadline: 0, slot: 0, live: true }
    this.pending.set(key, entry)
    this.schedule(entry, this.opts.now())
    if (this.timer === undefined && this.opts.interval) {
      this.timer = setInterval(() => this.tick(), this.opts.tickMs)
      this.timer.unref()
    }
  }

  /** An ACK or RST matched the exchange (or the caller cancels it): no more retransmissions. */
  settle (key: K): C | undefined {
    const entry = this.pending.get(key)
    if (entry === undefined) return undefined
    entry.live = false
    this.pending.delete(key)
    if (this.pending.size === 0) this.stopInterval()
    return entry.exchange
  }

  /** Advances the wheel to `now`, firing every slot that has fully passed. */
  tick (now: number = this.opts.now()): void {
    const end = Math.floor(now / this.opts.tickMs)
    if (end - this.nextSlot > WHEEL_SLOTS) this.nextSlot = end - WHEEL_SLOTS
    let failure: { error: unknown } | undefined
    for (let s = this.nextSlot; s < end; s++) {
      const i = s & (WHEEL_SLOTS - 1)
      const bucket = this.slots[i]!
      if (bucket.length === 0) continue
      this.slots[i] = []
      for (const entry of bucket) {
        if (!entry.live) continue
        if (entry.slot > s) { // a later turn of the wheel
          this.slots[i]!.push(entry)
          continue
        }
        try {
          this.fire(entry, now)
        } catch (error) {
          failure ??= { error }
        }
      }
    }
    this.nextSlot = Math.max(this.nextSlot, end)
    // A callback's error surfaces after the wheel is consistent again.
    if (failure !== undefined) throw failure.error
  }

  /** Stops the interval and forgets every pending exchange without calling back. */
  close (): void {
    this.stopInterval()
    for (const entry of this.pending.values()) entry.live = false
    this.pending.clear()
    for (let i = 0; i < WHEEL_SLOTS; i++) this.slots[i] = []
  }

  private fire (entry: Pending<K, C>, now: number): void {
    if (entry.attempt < this.opts.maxRetransmit) {
      entry.attempt++
      entry.timeoutMs *= 2
      // Counted from the deadline, so slot lateness does not add up over the retransmissions; from now after a stall.
      this.schedule(entry, Math.max(entry.deadline, now - this.opts.tickMs))
      this.retransmit(entry.key, entry.exchange, entry.attempt)
    } else {
      this.settle(entry.key)
      this.giveUp(entry.key, entry.exchange)
    }
  }

  private schedule (entry: Pending<K, C>, from: number): void {
    entry.deadline = from + entry.timeoutMs
    // Never into a slot already passed, or the entry would wait a whole turn.
    entry.slot = Math.max(this.nextSlot, Math.floor(entry.deadline / this.opts.tickMs))
    this.slots[entry.slot & (WHEEL_SLOTS - 1)]!.push(entry)
  }

  private stopInterval (): void {
    if (this.timer !== undefined) {
      clearInterval(this.timer)
      this.timer = undefined
    }
  }
}

export interface DedupOptions {
  /** How long a message id is remembered (§4.5: EXCHANGE_LIFETIME for CON). */
  lifetimeMs?: number
  /** Hard bound on remembered ids; the oldest go first. */
  maxEntries?: number
  now?: () => number
}

interface Seen<V> {
  expires: number
  response: V | undefined
}

/**
 * Received CON message ids (keyed by the caller, e.g. "address:port:mid") and the response sent for each, so a
 * duplicate gets the same response again without being processed twice (§4.5). Memory is bounded by maxEntries;
 * ids expire after lifetimeMs. Map insertion order is arrival order, so expiry sweeps from the front.
 */
export class DedupCache<K, V = Buffer> {
  private readonly seen = new Map<K, Seen<V>>()
  private readonly lifetimeMs: number
  private readonly maxEntries: number
  private readonly now: () => number
  /** Ids dropped before their lifetime because the cache was full. */
  evicted = 0

  constructor (options: DedupOptions = {}) {
    this.lifetimeMs = options.lifetimeMs ?? EXCHANGE_LIFETIME_MS
    this.maxEntries = options.maxEntries ?? 100_000
    this.now = options.now ?? (() => performance.now())
  }

  get size (): number {
    return this.seen.size
  }

  /** Remembers a received id. True the first time; false for a duplicate (whose entry is left as it was). */
  add (key: K, response?: V): boolean {
    const now = this.now()
    this.sweep(now)
    if (this.live(key, now) !== undefined) return false
    this.seen.set(key, { expires: now + this.lifetimeMs, response })
    if (this.seen.size > this.maxEntries) {
      for (const oldest of this.seen.keys()) {
        this.seen.delete(oldest)
        this.evicted++
        break
      }
    }
    return true
  }

  has (key: K): boolean {
    return this.live(key, this.now()) !== undefined
  }

  /** The response stored for a remembered id, to send again for its duplicates. */
  response (key: K): V | undefined {
    return this.live(key, this.now())?.response
  }

  setResponse (key: K, response: V): void {
    const entry = this.live(key, this.now())
    if (entry !== undefined) entry.response = response
  }

  clear (): void {
    this.seen.clear()
  }

  private live (key: K, now: number): Seen<V> | undefined {
    const entry = this.seen.get(key)
    if (entry === undefined) return undefined
    if (entry.expires <= now) {
      this.seen.delete(key)
      return undefined
    }
    return entry
  }

  private sweep (now: number): void {
    for (const [key, entry] of this.seen) {
      if (entry.expires > now) break
      this.seen.delete(key)
    }
  }
}
