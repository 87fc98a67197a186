// A fleet: up to `count` devices of one protocol in this process, each with its own socket (placement.ts). It follows
// a target (setTarget): joiners take the next indices, started at a paced registration rate (or all at once in a
// surge) with a bound on registrations in flight, so a storm of thousands does not overrun the server's socket
// buffer; leavers are the highest indices, deregistered at a paced rate the same way. A device index that leaves and
// joins again continues its sequence numbers (the driver keeps them). The fleet reports through the same events as
// its devices ('counter', 'histogram', 'status') plus 'joined' (devices, ms) when a growth has run its course;
// it writes nothing.
import { EventEmitter } from 'node:events'
import { InvalidConfigError } from '../lib/errors.ts'
import { createDriver, defaultDriverContext } from './driver.ts'
import type { Device, DeviceDriver, DeviceStatus, DriverContext, Protocol, ProtocolOptions } from './driver.ts'
import { checkPlacement, descriptorBudget, sourceAddress } from './placement.ts'
import type { Placement } from './placement.ts'

export interface FleetOptions<P extends Protocol = Protocol> {
  readonly protocol: P
  readonly driver: ProtocolOptions[P]
  /** Devices at most (the fleet's capacity; start() runs them all, setTarget any number up to it). */
  readonly count: number
  /** Endpoint names are the prefix and the zero-padded global index: dev-000042. */
  readonly endpointPrefix: string
  /** Global index of device 0 in endpoint names, when this fleet is a share of a larger one (a gateway); default 0. */
  readonly firstIndex?: number
  /** Devices of the whole fleet, which sets the width of endpoint names; default `count`. */
  readonly totalDevices?: number
  readonly placement: Placement
  /** Registrations started per second. */
  readonly registrationRate: number
  /** Registrations (or deregistrations) awaiting an answer at most (default 1000). */
  readonly maxInFlight?: number
  /** Deregistrations started per second when devices leave or on stop (default 4 x registrationRate). */
  readonly deregistrationRate?: number
  /** A device still deregistering this long after it was asked to leave is closed (default 15 s); stop's deadline too. */
  readonly stopTimeoutMs?: number
  readonly seed: number
}

export interface TargetOptions {
  /** Start the joiners all at once (a registration storm), bounded only by maxInFlight; default: paced. */
  readonly surge?: boolean
}

export interface FleetCounts {
  /** Devices the fleet is asked to run. */
  readonly target: number
  /** Devices started and not asked to leave (registered or on their way). */
  readonly active: number
  /** Devices registered now. */
  readonly registered: number
  /** Devices deregistering now (they left the target and have not gone yet). */
  readonly leaving: number
  /** Devices started so far (a device that joins again counts again). */
  readonly started: number
  /** Device indices that registered at least once. */
  readonly everRegistered: number
  /** Failed registration attempts (each retry that fails counts). */
  readonly registrationFailures: number
}

export interface StopResult {
  /** Devices that deregistered (or had nothing to deregister) cleanly. */
  readonly clean: number
  /** Devices closed without a confirmed deregistration. */
  readonly unclean: number
}

const PACE_MS = 10
const RELEASED = 1
const EVER = 2
const STATUS_CODES: Record<DeviceStatus, number> = { idle: 0, starting: 1, registering: 2, registered: 3, stopping: 4, stopped: 5, failed: 6 }

/** Every problem with a fleet's options that can be known before it starts. */
export function fleetProblems (options: Pick<FleetOptions, 'count' | 'placement' | 'registrationRate'>): string[] {
  const problems = checkPlacement(options.placement, options.count)
  const budget = descriptorBudget()
  if (options.count > budget.free) {
    problems.push(`${options.count} devices need ${options.count} sockets but this process can open only ${budget.free} more file descriptors ` +
      `(RLIMIT_NOFILE ${budget.limit}, ${budget.open} open): raise it (ulimit -n) or split the fleet over several processes`)
  }
  if (!(options.registrationRate > 0)) problems.push(`registration rate must be positive, got ${options.registrationRate}`)
  return problems
}

export function endpointName (prefix: string, index: number, count: number): string {
  return prefix + String(index).padStart(Math.max(6, String(count - 1).length), '0')
}

interface Leaver { readonly index: number, readonly device: Device, readonly deadline: number }

export class Fleet<P extends Protocol = Protocol> {
  readonly events = new EventEmitter()
  readonly driver: DeviceDriver
  private readonly options: FleetOptions<P>
  private readonly ctx: DriverContext
  /** By index; devices [0, top) are active, a device at or above top is leaving. */
  private readonly devices: Array<Device | undefined>
  private readonly status: Uint8Array
  /** Per device: RELEASED once its first attempt ended, EVER once it registered. */
  private readonly flags: Uint8Array
  private readonly maxInFlight: number
  private readonly stopTimeoutMs: number
  private pacer: NodeJS.Timeout | undefined
  private target = 0
  private top = 0
  /** Indices below this have been used (the endpoints a report covers). */
  private highWater = 0
  private surge = false
  private joinFrom = 0
  private joinedSince = 0
  private leaveFrom = 0
  private leftSince = 0
  /** Leavers in the order they were asked (so deadlines are in order too), from leaversHead on. */
  private leavers: Leaver[] = []
  private leaversHead = 0
  private readonly pendingStops = new Set<Promise<void>>()
  private growth: { from: number, devices: number } | undefined
  /** Registrations whose first attempt has not ended. */
  private inFlight = 0
  private started = 0
  private registeredNow = 0
  private everRegistered = 0
  private failures = 0
  private readonly left = { clean: 0, unclean: 0 }
  private stopping: Promise<StopResult> | undefined

  constructor (options: FleetOptions<P>, ctx: DriverContext = defaultDriverContext(options.seed)) {
    const problems = fleetProblems(options)
    if (problems.length > 0) throw new InvalidConfigError(problems)
    this.options = options
    this.ctx = ctx
    this.driver = createDriver(options.protocol, options.driver, ctx)
    this.devices = new Array<Device | undefined>(options.count)
    this.status = new Uint8Array(options.count)
    this.flags = new Uint8Array(options.count)
    this.maxInFlight = options.maxInFlight ?? 1000
    this.stopTimeoutMs = options.stopTimeoutMs ?? 15_000
    this.events.setMaxListeners(50)
    this.events.on('status', (index: number, status: DeviceStatus) => this.onStatus(index, status))
  }

  get capacity (): number {
    return this.options.count
  }

  get counts (): FleetCounts {
    return {
      target: this.target, active: this.top, registered: this.registeredNow, leaving: this.pendingStops.size,
      started: this.started, everRegistered: this.everRegistered, registrationFailures: this.failures,
    }
  }

  /** The endpoint name of the device at `index`. */
  endpoint (index: number): string {
    return endpointName(this.options.endpointPrefix, (this.options.firstIndex ?? 0) + index, this.options.totalDevices ?? this.options.count)
  }

  /** Per endpoint that ever ran: traced messages sent over the fleet's life (sequence numbers 0 .. sent - 1). */
  sent (): Record<string, number> {
    const out: Record<string, number> = {}
    for (let i = 0; i < this.highWater; i++) out[this.endpoint(i)] = this.driver.sequence(i)
    return out
  }

  /** Starts every device (setTarget(count)); returns at once. */
  start (): void {
    if (this.stopping === undefined) this.setTarget(this.options.count)
  }

  /**
   * Runs `devices` devices from now on: joiners take the next indices at the registration rate (surge: all at once,
   * still at most maxInFlight registrations awaiting an answer, so the server's socket is not overrun); leavers are
   * the highest indices, deregistered at the deregistration rate. Returns at once.
   */
  setTarget (devices: number, options: TargetOptions = {}): void {
    if (this.stopping !== undefined) throw new Error('the fleet is stopping: it takes no new target')
    if (!Number.isSafeInteger(devices) || devices < 0 || devices > this.options.count) {
      throw new RangeError(`target must be a whole number of devices 0-${this.options.count} (the fleet's capacity), got ${devices}`)
    }
    const now = this.ctx.now()
    this.target = devices
    this.surge = options.surge === true
    this.joinFrom = this.leaveFrom = now
    this.joinedSince = this.leftSince = 0
    if (devices > this.top && this.growth === undefined) this.growth = { from: now, devices: 0 }
    this.pace()
  }

  /** Samples per second of every device from now on (0 pauses them); each re-anchors at its next due sample. */
  setRate (ratePerDevice: number): void {
    this.driver.setRate(ratePerDevice)
  }

  /** Resolves when the target's devices are all registered, or rejects after `timeoutMs`. */
  async allRegistered (timeoutMs: number): Promise<void> {
    const deadline = this.ctx.now() + timeoutMs
    while (this.registeredNow < this.target || this.top < this.target) {
      if (this.ctx.now() > deadline) throw new Error(`${this.registeredNow} of ${this.target} devices registered after ${timeoutMs} ms`)
      await sleep(20)
    }
  }

  /**
   * Deregisters every device (paced), closes those that do not finish within stopTimeoutMs, and releases the
   * driver. The result counts every device that left over the fleet's life (earlier shrinks included).
   */
  stop (): Promise<StopResult> {
    this.stopping ??= this.stopAll()
    return this.stopping
  }

  private async stopAll (): Promise<StopResult> {
    const now = this.ctx.now()
    this.target = 0
    this.leaveFrom = now
    this.leftSince = 0
    const deadline = now + this.stopTimeoutMs
    this.pace()
    while ((this.top > 0 || this.pendingStops.size > 0) && this.ctx.now() < deadline) await sleep(PACE_MS)
    if (this.pacer !== undefined) clearInterval(this.pacer)
    this.pacer = undefined
    for (let i = 0; i < this.devices.length; i++) {
      const d = this.devices[i]
      if (d === undefined) continue
      d.close() // a leaver's stop() resolves false now
      if (i < this.top) { // the deadline came before its turn
        this.left.unclean++
        this.devices[i] = undefined
      }
    }
    this.top = 0
    await Promise.all(this.pendingStops)
    this.driver.close()
    return { ...this.left }
  }

  private pace (): void {
    const now = this.ctx.now()
    const { registrationRate } = this.options
    if (this.top > this.target) {
      const rate = this.options.deregistrationRate ?? registrationRate * 4
      let allowed = Math.floor(rate * (now - this.leaveFrom) / 1000) + 1 - this.leftSince
      while (this.top > this.target && allowed > 0 && this.pendingStops.size < this.maxInFlight) {
        this.leave(--this.top, now)
        this.leftSince++
        allowed--
      }
    } else if (this.top < this.target) {
      let allowed = this.surge ? Infinity : Math.floor(registrationRate * (now - this.joinFrom) / 1000) + 1 - this.joinedSince
      // an index still deregistering is taken until its device has gone
      while (this.top < this.target && allowed > 0 && this.inFlight < this.maxInFlight && this.devices[this.top] === undefined) {
        this.join(this.top++)
        this.joinedSince++
        allowed--
      }
    }
    this.expireLeavers(now)
    this.checkGrowth(now)
    const busy = this.top !== this.target || this.pendingStops.size > 0
    if (busy && this.pacer === undefined) this.pacer = setInterval(() => this.pace(), PACE_MS)
    else if (!busy && this.pacer !== undefined) {
      clearInterval(this.pacer)
      this.pacer = undefined
    }
  }

  private join (index: number): void {
    this.flags[index]! &= ~RELEASED
    this.status[index] = STATUS_CODES.idle
    const device = this.driver.createDevice({
      index,
      endpoint: this.endpoint(index),
      bindAddress: sourceAddress(this.options.placement, index),
    }, this.events)
    this.devices[index] = device
    if (index >= this.highWater) this.highWater = index + 1
    this.inFlight++
    this.started++
    if (this.growth !== undefined) this.growth.devices++
    device.start()
  }

  private leave (index: number, now: number): void {
    const device = this.devices[index]!
    this.leavers.push({ index, device, deadline: now + this.stopTimeoutMs })
    const done = device.stop().then(ok => {
      if (ok) this.left.clean++
      else this.left.unclean++
      if (this.devices[index] === device) this.devices[index] = undefined
      this.pendingStops.delete(done)
    })
    this.pendingStops.add(done)
  }

  /** Leavers still deregistering at their deadline are closed. */
  private expireLeavers (now: number): void {
    const list = this.leavers
    while (this.leaversHead < list.length && list[this.leaversHead]!.deadline <= now) {
      const l = list[this.leaversHead++]!
      if (this.devices[l.index] === l.device) l.device.close()
    }
    if (this.leaversHead > 1024 && this.leaversHead * 2 > list.length) {
      this.leavers = list.slice(this.leaversHead)
      this.leaversHead = 0
    }
  }

  /** A growth has run its course when every joiner was started and its first registration attempt ended. */
  private checkGrowth (now: number): void {
    const g = this.growth
    if (g === undefined || this.top < this.target || this.inFlight > 0) return
    this.growth = undefined
    this.events.emit('joined', g.devices, now - g.from)
  }

  private onStatus (index: number, status: DeviceStatus): void {
    const before = this.status[index]!
    const code = STATUS_CODES[status]
    this.status[index] = code
    if (before === STATUS_CODES.registered) this.registeredNow--
    if (code === STATUS_CODES.registered) {
      this.registeredNow++
      if ((this.flags[index]! & EVER) === 0) this.everRegistered++
      this.flags[index]! |= EVER
    } else if (status === 'failed') {
      this.failures++
    } else if (status !== 'stopped') return
    // the first attempt ended (registered, failed, or the device stopped before an answer): its place in flight is
    // free; a failed device retries on its own
    if ((this.flags[index]! & RELEASED) === 0) {
      this.flags[index]! |= RELEASED
      this.inFlight--
      if (this.inFlight === 0) this.checkGrowth(this.ctx.now())
    }
  }
}

function sleep (ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}
