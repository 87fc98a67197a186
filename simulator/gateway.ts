// A virtual gateway: a runtime unit (process or container, started by the runner) hosting up to maxDevices devices
// of a run. It says hello over the control channel (lib/channel.ts), takes its GatewayConfig, then follows `target`
// messages (devices, rate per device, surge). Devices report into a MetricsRecorder; every second the closed windows
// go to the runner, which merges them with every other gateway's exactly (lib/metrics). On `finish` the fleet
// deregisters, the last windows and the report (GatewayReport) go out, and the unit exits 0. When the runner goes
// away it stops its devices and exits 1; SIGTERM is a finish without a report.
//
// Endpoint names are global (endpointName(prefix, firstIndex + i, totalDevices)), source addresses are the
// gateway's own block (gateway-placement.ts), and the driver's seed is the run seed mixed with firstIndex so two
// gateways' devices do not sample in lockstep.
import { isIPv4 } from 'node:net'
import type { RunnerMessage, UnitMessage } from '../lib/channel.ts'
import { streamSeed } from '../lib/random.ts'
import { MetricsRecorder } from '../lib/metrics/recorder.ts'
import type { GatewayConfig, GatewayReport } from './contract.ts'
import { defaultDriverContext } from './driver.ts'
import type { DriverContext } from './driver.ts'
import { Fleet } from './fleet.ts'
import { gatewayNumber, gatewayPlacement } from './gateway-placement.ts'
import { sensorObjectIds } from './lwm2m/options.ts'
import { isPort, portExpected } from '../lib/schema/net.ts'
import { unitClock } from '../lib/clock.ts'
import type { TimeSource } from '../lib/clock.ts'

/** Joins of at least this many devices at once are reported as registration storms. */
const STORM_MIN = 50

/** The unit's end of the control channel (ChannelClient satisfies it). */
export interface GatewayChannel extends TimeSource {
  send (message: UnitMessage): void
  on (event: 'message', listener: (message: RunnerMessage) => void): unknown
  on (event: 'close', listener: () => void): unknown
  close (): Promise<void>
}

/** Boundaries of a gateway (house rule 5, docs/architecture.md). */
export interface GatewayContext {
  readonly channel: GatewayChannel
  /** Wall clock, epoch ms: the metric windows' seconds and event times. Default Date.now. */
  readonly now?: () => number
  /** The driver's clocks and sockets for a seed. Default defaultDriverContext. */
  readonly driverContext?: (seed: number) => DriverContext
  /** Aborted on SIGTERM: finish without a report. */
  readonly signal?: AbortSignal
  /** Diagnostics (the unit's log file). */
  readonly log?: (line: string) => void
}

/** Fleet-wide gauges; active and registered are also recorded per gateway as `<name>.<gateway>`. */
export const GAUGES = { target: 'fleet.devices.target', active: 'fleet.devices.active', registered: 'fleet.devices.registered' } as const

/** Every problem with a `config` payload, each naming its field. */
export function gatewayConfigProblems (raw: unknown): string[] {
  if (typeof raw !== 'object' || raw === null) return ['config: expected an object']
  const c = raw as Record<string, unknown>
  const problems: string[] = []
  const whole = (name: string, v: unknown, min: number): boolean => {
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= min) return true
    problems.push(`${name}: expected a whole number of at least ${min}, got ${JSON.stringify(v)}`)
    return false
  }
  const positive = (name: string, v: unknown, min = 0, strict = true): void => {
    if (typeof v !== 'number' || !Number.isFinite(v) || (strict ? v <= min : v < min)) problems.push(`${name}: expected a number ${strict ? '>' : '>='} ${min}, got ${JSON.stringify(v)}`)
  }
  if (typeof c.gateway !== 'string' || c.gateway === '') problems.push('gateway: expected a name')
  if (typeof c.endpointPrefix !== 'string') problems.push('endpointPrefix: expected a string')
  const sized = [whole('maxDevices', c.maxDevices, 1), whole('firstIndex', c.firstIndex, 0), whole('totalDevices', c.totalDevices, 1)].every(Boolean)
  if (sized && (c.firstIndex as number) + (c.maxDevices as number) > (c.totalDevices as number)) {
    problems.push(`totalDevices: ${String(c.totalDevices)} is less than firstIndex + maxDevices (${(c.firstIndex as number) + (c.maxDevices as number)})`)
  }
  positive('registrationRate', c.registrationRate)
  whole('seed', c.seed, 0)
  const p = c.placement as Record<string, unknown> | undefined
  if (typeof p !== 'object' || p === null) problems.push('placement: expected { firstAddress, perAddress }')
  else {
    if (typeof p.firstAddress !== 'string' || !isIPv4(p.firstAddress)) problems.push(`placement.firstAddress: expected an IPv4 address, got ${JSON.stringify(p.firstAddress)}`)
    whole('placement.perAddress', p.perAddress, 1)
  }
  const d = c.driver as Record<string, unknown> | undefined
  if (typeof d !== 'object' || d === null) return [...problems, 'driver: expected the LWM2M driver options']
  const server = d.server as Record<string, unknown> | undefined
  if (typeof server?.host !== 'string' || server.host === '') problems.push('driver.server.host: expected a host')
  if (!isPort(server?.port)) problems.push(`driver.server.port: expected ${portExpected()}, got ${JSON.stringify(server?.port)}`)
  whole('driver.lifetimeS', d.lifetimeS, 1)
  positive('driver.ratePerS', d.ratePerS, 0, false)
  if (d.format !== 110 && d.format !== 112 && d.format !== 11542) problems.push(`driver.format: expected 110, 112 or 11542, got ${JSON.stringify(d.format)}`)
  if (!Array.isArray(d.objects)) problems.push('driver.objects: expected a list of { objectId, instances }')
  else {
    d.objects.forEach((o: { objectId?: unknown, instances?: unknown } | null, i) => {
      if (!(sensorObjectIds as readonly unknown[]).includes(o?.objectId)) problems.push(`driver.objects[${i}].objectId: expected one of ${sensorObjectIds.join(', ')}`)
      if (!(typeof o?.instances === 'number' && Number.isInteger(o.instances) && o.instances >= 1 && o.instances <= 16)) problems.push(`driver.objects[${i}].instances: expected 1-16`)
    })
  }
  return problems
}

export class Gateway {
  readonly config: GatewayConfig
  readonly fleet: Fleet<'lwm2m'>
  readonly recorder: MetricsRecorder
  readonly #channel: GatewayChannel
  readonly #now: () => number
  /** Whole-run counter totals (the report). */
  readonly #totals = new Map<string, number>()
  /** errors.* counted since the last tick (one event line a second at most). */
  readonly #recentErrors = new Map<string, number>()
  #ticker: NodeJS.Timeout | undefined
  #aligner: NodeJS.Timeout | undefined
  #stopped: Promise<{ clean: number, unclean: number }> | undefined
  /** A registration storm is under way (its end gets an event line). */
  #storm = false

  /** Builds the fleet (no device runs until a target comes); throws InvalidConfigError when it cannot. */
  constructor (config: GatewayConfig, ctx: GatewayContext) {
    this.config = config
    this.#channel = ctx.channel
    this.#now = ctx.now ?? Date.now
    this.recorder = new MetricsRecorder({ now: this.#now })
    const seed = streamSeed(config.seed, config.firstIndex)
    const placement = gatewayPlacement(config.placement, gatewayNumber(config.firstIndex, config.maxDevices), config.maxDevices)
    this.fleet = new Fleet({
      protocol: 'lwm2m',
      driver: { ...config.driver, capacity: config.maxDevices },
      count: config.maxDevices,
      endpointPrefix: config.endpointPrefix,
      firstIndex: config.firstIndex,
      totalDevices: config.totalDevices,
      placement,
      registrationRate: config.registrationRate,
      seed,
    }, (ctx.driverContext ?? defaultDriverContext)(seed))
    const events = this.fleet.events
    events.on('counter', (name: string, n: number) => {
      this.recorder.counter(name, n)
      this.#totals.set(name, (this.#totals.get(name) ?? 0) + n)
      if (name.startsWith('errors.')) this.#recentErrors.set(name, (this.#recentErrors.get(name) ?? 0) + n)
    })
    events.on('histogram', (name: string, ms: number) => this.recorder.histogram(name, ms))
    events.on('joined', (devices: number, ms: number) => {
      if (!this.#storm) return
      this.#storm = false
      const c = this.fleet.counts
      this.event('registration-storm-finished', `${devices} devices joined in ${(ms / 1000).toFixed(2)} s: ${c.registered} of ${c.target} registered, ` +
        `${c.registrationFailures} failed attempts so far`)
    })
  }

  /** Sends per-second windows from now on (ticks just after each wall-clock second). */
  startTicking (): void {
    this.#aligner = setTimeout(() => {
      this.tick()
      this.#ticker = setInterval(() => this.tick(), 1000)
    }, 1000 - (this.#now() % 1000) + 20)
  }

  /** Follows a `target` message. */
  target (devices: number, ratePerDevice: number, surge = false): void {
    const cap = this.config.maxDevices
    if (!Number.isSafeInteger(devices) || devices < 0 || !(ratePerDevice >= 0) || !Number.isFinite(ratePerDevice)) {
      this.event('error', `ignored a target of ${devices} devices at ${ratePerDevice}/s: expected whole devices and a rate >= 0`)
      return
    }
    if (devices > cap) this.event('error', `target of ${devices} devices is above this gateway's cap of ${cap}: running ${cap}`)
    const n = Math.min(devices, cap)
    const before = this.fleet.counts.active
    this.fleet.setRate(ratePerDevice)
    this.fleet.setTarget(n, { surge })
    // A ramp adds a device or two per tick: only a jump of STORM_MIN devices or a surge is a storm worth a line.
    if (n - before >= STORM_MIN || (surge && n > before)) {
      this.#storm = true
      this.event('registration-storm-started', `${n - before} devices joining ${surge ? 'at once (surge)' : `at ${this.config.registrationRate}/s`}, target ${n}`)
    }
    this.#gauges()
  }

  /** Once a second: gauges, closed windows to the runner, an event line when errors were counted. */
  tick (): void {
    this.#gauges()
    this.#sendWindows(this.recorder.drain())
    if (this.#recentErrors.size > 0) {
      this.event('error', [...this.#recentErrors].map(([k, v]) => `${k} ${v}`).join(', '))
      this.#recentErrors.clear()
    }
  }

  /** Stops the devices (deregistering) and sends every window left, the current second's included. */
  async halt (): Promise<{ clean: number, unclean: number }> {
    this.#stopped ??= (async () => {
      clearTimeout(this.#aligner)
      clearInterval(this.#ticker)
      const result = await this.fleet.stop()
      this.#gauges()
      this.#sendWindows(this.recorder.drain(this.recorder.currentSecond() + 1))
      return result
    })()
    return await this.#stopped
  }

  /** `finish`: halt, then the report. */
  async finish (): Promise<GatewayReport> {
    const deregistered = await this.halt()
    const report: GatewayReport = {
      gateway: this.config.gateway,
      sent: this.fleet.sent(),
      counters: Object.fromEntries(this.#totals),
      deregistered,
    }
    this.#channel.send({ type: 'report', report })
    return report
  }

  event (kind: string, detail: string): void {
    this.#channel.send({ type: 'event', atMs: this.#now(), kind, detail })
  }

  #gauges (): void {
    const c = this.fleet.counts
    this.recorder.gauge(GAUGES.target, c.target, 'sum')
    this.recorder.gauge(GAUGES.active, c.active, 'sum')
    this.recorder.gauge(GAUGES.registered, c.registered, 'sum')
    // the same per gateway (<gauge>.<gateway>): the dashboard and the Prometheus output show devices by gateway
    this.recorder.gauge(`${GAUGES.active}.${this.config.gateway}`, c.active, 'sum')
    this.recorder.gauge(`${GAUGES.registered}.${this.config.gateway}`, c.registered, 'sum')
  }

  #sendWindows (windows: ReturnType<MetricsRecorder['drain']>): void {
    if (windows.length > 0) this.#channel.send({ type: 'windows', windows: windows.map(w => w.toJSON()) })
  }
}

/**
 * The unit's life: waits for `config`, runs the gateway until `finish` (exit 0), SIGTERM (exit 0, no report) or
 * the runner's going away (exit 1). A config it cannot run is a `fatal` message and exit 1. Resolves the exit code.
 */
export async function runGateway (ctx: GatewayContext): Promise<number> {
  const { channel } = ctx
  const log = ctx.log ?? (() => {})
  // the gateway's times are the runner's (lib/clock.ts): its windows' seconds, its events, its devices' send times
  const local = ctx.now ?? Date.now
  const { clock, stop: stopClock } = unitClock(channel, local, detail => channel.send({ type: 'event', atMs: clock.now(), kind: 'clock', detail }))
  const driverContext = (seed: number): DriverContext => {
    const base = (ctx.driverContext ?? defaultDriverContext)(seed)
    return { ...base, toWallMs: clock.mapped({ now: base.now, toWall: base.toWallMs }) }
  }
  const corrected: GatewayContext = { ...ctx, now: clock.now, driverContext }
  let gateway: Gateway | undefined
  return await new Promise<number>(resolve => {
    let ended = false
    const end = (code: number, work: () => Promise<unknown>): void => {
      if (ended) return
      ended = true
      stopClock()
      work()
        .catch((err: unknown) => { log(`gateway: ${(err as Error).stack ?? String(err)}`); code = 1 })
        .finally(() => { channel.close().catch(() => {}).finally(() => resolve(code)) })
    }
    const fatal = (code: string, message: string): void => {
      log(`gateway: ${message}`)
      channel.send({ type: 'fatal', code, message })
      end(1, async () => {})
    }
    channel.on('message', message => {
      if (ended) return
      try {
        if (message.type === 'config') {
          if (gateway !== undefined) return
          const problems = gatewayConfigProblems(message.config)
          if (problems.length > 0) return fatal('FLEETLAB_INVALID_CONFIG', `invalid gateway config: ${problems.join('; ')}`)
          gateway = new Gateway(message.config as GatewayConfig, corrected)
          gateway.startTicking()
          log(`gateway ${gateway.config.gateway}: up to ${gateway.config.maxDevices} devices from ${gateway.fleet.endpoint(0)}`)
        } else if (message.type === 'target') {
          if (gateway === undefined) return fatal('FLEETLAB_INVALID_CONFIG', 'a target came before the config')
          gateway.target(message.devices, message.ratePerDevice, message.surge === true)
        } else if (message.type === 'finish') {
          const g = gateway
          end(0, async () => { if (g !== undefined) await g.finish() })
        }
      } catch (err) {
        const e = err as Error & { code?: unknown }
        fatal(typeof e.code === 'string' ? e.code : 'FLEETLAB_SERVICE_FAILED', e.message)
      }
    })
    channel.on('close', () => {
      log('gateway: the runner went away; stopping the devices')
      const g = gateway
      end(1, async () => { await g?.halt() })
    })
    ctx.signal?.addEventListener('abort', () => {
      log('gateway: SIGTERM; stopping the devices')
      const g = gateway
      end(0, async () => { await g?.halt() })
    }, { once: true })
  })
}
