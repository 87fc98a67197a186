// A fleet: N devices of one protocol in this process, each with its own socket (placement.ts), started at a paced
// registration rate with a bound on registrations in flight, so a storm of thousands does not overrun the server's
// socket buffer; stopped the same way (deregistrations paced, then a deadline after which the rest are closed).
// The fleet reports through the same events as its devices and writes nothing.
import { EventEmitter } from 'node:events'
import { InvalidConfigError } from '../lib/errors.ts'
import { createDriver, defaultDriverContext } from './driver.ts'
import type { Device, DeviceDriver, DeviceStatus, DriverContext, Protocol, ProtocolOptions } from './driver.ts'
import { checkPlacement, descriptorBudget, sourceAddress } from './placement.ts'
import type { Placement } from './placement.ts'

export interface FleetOptions<P extends Protocol = Protocol> {
  readonly protocol: P
  readonly driver: ProtocolOptions[P]
  readonly count: number
  /** Endpoint names are the prefix and the zero-padded index: dev-000042. */
  readonly endpointPrefix: string
  readonly placement: Placement
  /** Registrations started per second. */
  readonly registrationRate: number
  /** Registrations (or deregistrations) awaiting an answer at most (default 1000). */
  readonly maxInFlight?: number
  /** Deregistrations started per second on stop (default 4 x registrationRate). */
  readonly deregistrationRate?: number
  /** After this long on stop, devices still deregistering are closed (default 15 s). */
  readonly stopTimeoutMs?: number
  readonly seed: number
}

export interface FleetCounts {
  /** Devices started so far. */
  readonly started: number
  /** Devices registered now. */
  readonly registered: number
  /** Devices that registered at least once. */
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

export class Fleet<P extends Protocol = Protocol> {
  readonly events = new EventEmitter()
  readonly driver: DeviceDriver
  private readonly options: FleetOptions<P>
  private readonly ctx: DriverContext
  private readonly devices: Device[] = []
  private readonly status: Uint8Array
  /** Per device: RELEASED once its first attempt ended, EVER once it registered. */
  private readonly flags: Uint8Array
  private pacer: NodeJS.Timeout | undefined
  private pacingFrom = 0
  private inFlight = 0
  private registeredNow = 0
  private everRegistered = 0
  private failures = 0
  private stopping = false

  constructor (options: FleetOptions<P>, ctx: DriverContext = defaultDriverContext(options.seed)) {
    const problems = fleetProblems(options)
    if (problems.length > 0) throw new InvalidConfigError(problems)
    this.options = options
    this.ctx = ctx
    this.driver = createDriver(options.protocol, options.driver, ctx)
    this.status = new Uint8Array(options.count)
    this.flags = new Uint8Array(options.count)
    this.events.setMaxListeners(50)
    this.events.on('status', (index: number, status: DeviceStatus) => this.onStatus(index, status))
  }

  get counts (): FleetCounts {
    return { started: this.devices.length, registered: this.registeredNow, everRegistered: this.everRegistered, registrationFailures: this.failures }
  }

  /** Starts devices at the registration rate; returns at once. */
  start (): void {
    if (this.pacer !== undefined || this.stopping) return
    this.pacingFrom = this.ctx.now()
    this.pace()
    this.pacer = setInterval(() => this.pace(), PACE_MS)
  }

  /** Resolves when every device has registered, or rejects after `timeoutMs`. */
  async allRegistered (timeoutMs: number): Promise<void> {
    const deadline = this.ctx.now() + timeoutMs
    while (this.registeredNow < this.options.count) {
      if (this.ctx.now() > deadline) throw new Error(`${this.registeredNow} of ${this.options.count} devices registered after ${timeoutMs} ms`)
      await new Promise(resolve => setTimeout(resolve, 20))
    }
  }

  /** Deregisters every device (paced), closes those that do not finish in time, and releases the driver. */
  async stop (): Promise<StopResult> {
    this.stopping = true
    if (this.pacer !== undefined) clearInterval(this.pacer)
    this.pacer = undefined
    const rate = this.options.deregistrationRate ?? this.options.registrationRate * 4
    const maxInFlight = this.options.maxInFlight ?? 1000
    const deadline = this.ctx.now() + (this.options.stopTimeoutMs ?? 15_000)
    let clean = 0
    let unclean = 0
    let inFlight = 0
    const from = this.ctx.now()
    let next = 0
    const pending: Array<Promise<void>> = []
    while (next < this.devices.length && this.ctx.now() < deadline) {
      const allowed = Math.min(this.devices.length, Math.floor(rate * (this.ctx.now() - from) / 1000) + 1)
      while (next < allowed && inFlight < maxInFlight) {
        inFlight++
        pending.push(this.devices[next++]!.stop().then(ok => { inFlight--; if (ok) clean++; else unclean++ }))
      }
      await new Promise(resolve => setTimeout(resolve, PACE_MS))
    }
    const rest = Math.max(0, deadline - this.ctx.now())
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all(pending), new Promise(resolve => { timer = setTimeout(resolve, rest) })])
    clearTimeout(timer)
    for (let i = 0; i < this.devices.length; i++) {
      const d = this.devices[i]!
      if (i >= next) { d.close(); unclean++ } // the deadline came before its turn
      else if (d.status !== 'stopped') d.close() // its stop() resolves false now
    }
    await Promise.all(pending)
    this.driver.close()
    return { clean, unclean }
  }

  private pace (): void {
    const { count, registrationRate } = this.options
    const maxInFlight = this.options.maxInFlight ?? 1000
    const due = Math.min(count, Math.floor(registrationRate * (this.ctx.now() - this.pacingFrom) / 1000) + 1)
    while (this.devices.length < due && this.inFlight < maxInFlight) {
      const index = this.devices.length
      const device = this.driver.createDevice({
        index,
        endpoint: endpointName(this.options.endpointPrefix, index, count),
        bindAddress: sourceAddress(this.options.placement, index),
      }, this.events)
      this.devices.push(device)
      this.inFlight++
      device.start()
    }
    if (this.devices.length >= count && this.pacer !== undefined) {
      clearInterval(this.pacer)
      this.pacer = undefined
    }
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
    } else return
    // the first attempt ended (registered or failed): its place in flight is free; a failed device retries on its own
    if ((this.flags[index]! & RELEASED) === 0) {
      this.flags[index]! |= RELEASED
      this.inFlight--
    }
  }
}
