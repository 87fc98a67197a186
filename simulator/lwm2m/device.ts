// One virtual LWM2M client (LWM2M 1.1 over CoAP/UDP): registers with a lifetime, updates before it expires,
// deregisters on stop, answers the server (requests.ts) and notifies observers (notifications.ts). Compact on
// purpose: plain fields, no closure and no timer of its own (the driver's wheel wakes it), sensor values in the
// driver's store, its own dgram socket (endpoint.ts) with shared listeners.
import { codeClass, formatCode, locationPath } from '../../lib/coap/index.ts'
import type { CoapMessage } from '../../lib/coap/index.ts'
import type { ResourceValue } from '../../lib/lwm2m/model.ts'
import type { Device, DeviceEvents, DeviceSpec, DeviceStatus } from '../driver.ts'
import { streamSeed, uniformAt } from '../../lib/random.ts'
import type { Lwm2mDriver } from './driver.ts'
import { CoapEndpoint } from './endpoint.ts'
import { exchangeKey } from './keys.ts'
import type { Exchange } from './keys.ts'
import { deregisterMessage, registerMessage, tokenValue, updateMessage } from './messages.ts'
import { nextSampleAfter, sampleAt } from './observation.ts'
import type { Attributes, Observation } from './observation.ts'
import { notifyDue } from './notifications.ts'
import { handleRequest } from './requests.ts'

const NONE = 0
const REGISTER = 1
const UPDATE = 2
const DEREGISTER = 3
const REQUEST_NAMES = ['', 'register', 'update', 'deregister'] as const

/** What the registration timer does when it fires. */
const TIMER_UPDATE = 1
const TIMER_REGISTER = 2
/** A separate response (after an empty ACK) did not come. */
const TIMER_RESPONSE = 3
/** RFC 7252 §4.8.2 MAX_TRANSMIT_WAIT: how long to wait for a separate response. */
const SEPARATE_RESPONSE_WAIT_MS = 93_000

// Seed streams of a device
const S_IDS = 1
const S_PHASE = 2
const S_UPDATE = 3
const S_RETRY = 4

export class Lwm2mDevice extends CoapEndpoint implements Device {
  readonly driver: Lwm2mDriver
  readonly endpoint: string
  private readonly bindAddress: string
  private readonly bindPort: number
  status: DeviceStatus = 'idle'
  /** Location-Path of the registration, e.g. "rd/5a3f". */
  location = ''
  lifetimeS: number
  private lifetimeChanged = false
  private attempts = 0
  private updates = 0
  private pending = NONE
  private requestMid = -1
  private requestToken = -1
  private requestSentAt = 0
  private timerAt = Infinity
  private timerAction = 0
  private stopped: ((clean: boolean) => void) | undefined
  /**
   * The sampling schedule: sample stepBase + k (k >= 1) of every sensor is taken at t0 + k * periodMs (periodMs
   * Infinity: paused at stepBase). A rate change re-anchors it (rebase), so step numbers only ever go forward.
   */
  t0: number
  periodMs: number
  stepBase = 0
  /**
   * Notifications sent so far: the trace sequence number (lib/lwm2m/trace.ts) and the Observe value source. The
   * driver keeps it per index when the device leaves, so a device that joins again continues its sequence.
   */
  seq = 0
  observations: Observation[] | undefined
  attributes: Map<string, Attributes> | undefined
  writes: Map<string, ResourceValue> | undefined

  constructor (driver: Lwm2mDriver, spec: DeviceSpec, events: DeviceEvents) {
    super(spec.index, events, streamSeed(driver.ctx.seed, spec.index, S_IDS))
    this.driver = driver
    this.endpoint = spec.endpoint
    this.bindAddress = spec.bindAddress
    this.bindPort = spec.bindPort ?? 0
    this.lifetimeS = driver.options.lifetimeS
    const period = driver.periodMs
    this.periodMs = period
    this.t0 = driver.ctx.now() - (period === Infinity ? 0 : period * this.phase())
  }

  /** Where in a sample period this device samples, in [0, 1): spreads a fleet's notifications evenly. */
  private phase (): number {
    return uniformAt(streamSeed(this.driver.ctx.seed, this.index, S_PHASE), 0)
  }

  /** The sample step in effect at monotonic time t. */
  sampleAt (t: number): number {
    return sampleAt(t, this.t0, this.periodMs, this.stepBase)
  }

  /**
   * The driver's rate changed at `now`: the schedule is re-anchored at the device's next due sample, so there is
   * no burst of catch-up sends and lateness is still counted from intended times. Slower (or paused before): the
   * sample due next under the old rate is kept (or, from a pause, the device's own phase of the new period), then
   * the new period follows. Faster: the first point of the new grid through that sample, so the change takes
   * effect within one new period and the fleet stays spread evenly over it.
   */
  rebase (now: number, periodMs: number): void {
    const step = this.sampleAt(now)
    const old = this.periodMs
    if (periodMs === Infinity) {
      this.t0 = now
    } else {
      let anchor: number
      if (old === Infinity) anchor = now + this.phase() * periodMs
      else {
        const next = nextSampleAfter(now, this.t0, old)
        anchor = periodMs >= old ? next : next - Math.floor((next - now) / periodMs) * periodMs
      }
      // sample step + 1 is taken at the anchor (nextSampleAfter maps every earlier check onto it)
      this.t0 = anchor - periodMs
    }
    this.stepBase = step
    this.periodMs = periodMs
    for (const o of this.observations ?? []) o.schedule(this.t0, periodMs)
    this.reschedule()
  }

  // ---- lifecycle ----

  start (): void {
    if (this.status !== 'idle') return
    this.setStatus('starting')
    const { host, port } = this.driver.options.server
    this.openSocket(this.driver.ctx.createSocket(), this.bindAddress, this.bindPort, host, port)
  }

  connected (): void {
    if (this.status === 'starting') this.register()
  }

  stop (): Promise<boolean> {
    if (this.status === 'stopped' || this.status === 'idle') {
      this.status = 'stopped'
      return Promise.resolve(true)
    }
    return new Promise(resolve => {
      this.stopped = resolve
      if (this.status === 'registered') this.deregister()
      // not registered (a registration unanswered so far included: the server has no record of it, or only one that
      // expires with its lifetime): nothing to deregister; a deregistration already under way finishes
      else if (this.pending !== DEREGISTER) this.shutdown(true)
    })
  }

  close (): void {
    this.shutdown(false)
  }

  /** Stops notifying; CON notifications still being retransmitted are dropped. */
  private dropObservations (): void {
    for (const o of this.observations ?? []) if (o.lastMid >= 0) this.driver.tracker.settle(exchangeKey(this.index, o.lastMid))
    this.observations = undefined
  }

  private shutdown (clean: boolean): void {
    if (this.status === 'stopped') return
    if (this.pending !== NONE) this.driver.tracker.settle(exchangeKey(this.index, this.requestMid))
    this.dropObservations()
    this.pending = NONE
    this.driver.forget(this.index)
    this.closeSocket()
    this.setStatus('stopped')
    const done = this.stopped
    this.stopped = undefined
    done?.(clean)
  }

  // ---- registration interface (LWM2M 1.1 §6.2) ----

  private register (): void {
    this.location = ''
    this.lifetimeChanged = false
    this.setStatus('registering')
    this.sendRequest(REGISTER, registerMessage(this.nextMid(), this.nextToken(), {
      endpoint: this.endpoint, lifetimeS: this.lifetimeS, version: this.driver.options.lwm2mVersion ?? '1.1', binding: 'U', links: this.driver.links,
    }))
  }

  /** Update now (the timer, /1/0/8 Registration Update Trigger, a new lifetime). */
  update (): void {
    if (this.status !== 'registered' || this.pending !== NONE) return
    const lt = this.lifetimeChanged ? this.lifetimeS : undefined
    this.lifetimeChanged = false
    this.sendRequest(UPDATE, updateMessage(this.nextMid(), this.nextToken(), this.location, lt))
  }

  private deregister (): void {
    this.setStatus('stopping')
    this.dropObservations()
    this.sendRequest(DEREGISTER, deregisterMessage(this.nextMid(), this.nextToken(), this.location))
  }

  /** A write to /1/0/1: the next update carries the new lifetime and is sent now. */
  setLifetime (seconds: number): void {
    this.lifetimeS = seconds
    this.lifetimeChanged = true
  }

  /** /3/0/4 Reboot (and /3/0/5 Factory Reset): the device comes back a moment later with a new registration. */
  reboot (factoryReset: boolean): void {
    this.dropObservations()
    if (factoryReset) {
      this.attributes = undefined
      this.writes = undefined
      this.lifetimeS = this.driver.options.lifetimeS
    }
    if (this.pending !== NONE) this.driver.tracker.settle(exchangeKey(this.index, this.requestMid))
    this.pending = NONE
    this.setStatus('registering')
    this.setTimer(TIMER_REGISTER, this.driver.ctx.now() + 1000)
  }

  private sendRequest (kind: number, buf: Buffer): void {
    // one request at a time (RFC 7252 §4.7 NSTART = 1): a deregistration replaces an update under way
    if (this.pending !== NONE) this.driver.tracker.settle(exchangeKey(this.index, this.requestMid))
    const mid = buf.readUInt16BE(2)
    this.pending = kind
    this.requestMid = mid
    this.requestToken = tokenValue(buf.subarray(4, 8))
    this.requestSentAt = this.driver.ctx.now()
    this.timerAt = Infinity
    this.count(`lwm2m.${REQUEST_NAMES[kind]}.sent`)
    this.driver.tracker.add(exchangeKey(this.index, mid), { device: this, buf, obs: undefined })
    this.send(buf)
  }

  /** The answer to our pending request, or undefined when it was given up. */
  private answered (msg: CoapMessage | undefined): void {
    const kind = this.pending
    this.pending = NONE
    const now = this.driver.ctx.now()
    const name = REQUEST_NAMES[kind]
    const ok = msg !== undefined && codeClass(msg.code) === 2
    if (ok) {
      this.count(`lwm2m.${name}.ok`)
      this.events.emit('histogram', `lwm2m.${name}.latency`, now - this.requestSentAt)
    } else {
      this.count(`lwm2m.${name}.failed`)
      this.count(msg === undefined ? 'errors.ETIMEDOUT' : msg.type === 'RST' ? 'errors.COAP_RESET' : `errors.COAP_${formatCode(msg.code).replace('.', '_')}`)
    }
    if (kind === DEREGISTER) return this.shutdown(ok)
    if (kind === REGISTER) {
      if (ok) {
        this.location = locationPath(msg).join('/')
        this.attempts = 0
        this.setStatus('registered')
        this.scheduleUpdate(now)
      } else {
        this.setStatus('failed')
        // LWM2M 1.1 §6.2.1.1 retries: back off 5 s, 10 s, 20 s ... up to 60 s, jittered so a failed storm spreads out
        const base = Math.min(60_000, 5000 * 2 ** Math.min(this.attempts++, 4))
        this.setTimer(TIMER_REGISTER, now + base * (0.5 + 0.5 * uniformAt(streamSeed(this.driver.ctx.seed, this.index, S_RETRY), this.attempts)))
      }
      return
    }
    // UPDATE: §6.2.2, a rejected or lost update means the registration may be gone: register again
    if (ok) this.scheduleUpdate(now)
    else this.register()
  }

  private scheduleUpdate (now: number): void {
    const [lo, hi] = this.driver.updateWindow
    const u = uniformAt(streamSeed(this.driver.ctx.seed, this.index, S_UPDATE), this.updates++)
    this.setTimer(TIMER_UPDATE, now + this.lifetimeS * 1000 * (lo + (hi - lo) * u))
  }

  private setTimer (action: number, at: number): void {
    this.timerAction = action
    this.timerAt = at
    this.reschedule()
  }

  // ---- time ----

  /** The driver's wheel: a registration timer or notifications are due. */
  wake (now: number): void {
    if (this.timerAt <= now) {
      const action = this.timerAction
      this.timerAt = Infinity
      if (action === TIMER_UPDATE) {
        if (this.pending === NONE) this.update()
        else this.scheduleUpdate(now)
      } else if (action === TIMER_REGISTER) this.register()
      else if (action === TIMER_RESPONSE && this.pending !== NONE) this.answered(undefined)
    }
    const observations = this.observations
    if (observations !== undefined && this.status === 'registered') notifyDue(this, observations, now)
    this.reschedule()
  }

  reschedule (): void {
    let next = this.timerAt
    const observations = this.observations
    if (observations !== undefined && this.status === 'registered') for (const o of observations) if (o.due < next) next = o.due
    if (next === Infinity) this.driver.wheel.cancel(this.index)
    else this.driver.wheel.schedule(this.index, next)
  }

  // ---- messages ----

  protected request (msg: CoapMessage): void {
    handleRequest(this, msg)
  }

  protected separateResponse (msg: CoapMessage): void {
    if (this.pending !== NONE && tokenValue(msg.token) === this.requestToken) this.answered(msg)
  }

  protected acknowledged (msg: CoapMessage): void {
    const key = exchangeKey(this.index, msg.messageId)
    const ex = this.driver.tracker.settle(key)
    if (ex === undefined) {
      // RFC 7641 §3.6: a Reset to a (NON) notification cancels the observation
      if (msg.type === 'RST') this.cancelObservationByMid(msg.messageId)
      return
    }
    if (ex.obs !== undefined) {
      if (msg.type === 'RST') this.cancelObservation(ex.obs)
      return
    }
    if (this.pending === NONE || msg.messageId !== this.requestMid) return
    if (msg.type === 'ACK' && msg.code === 0) {
      this.setTimer(TIMER_RESPONSE, this.driver.ctx.now() + SEPARATE_RESPONSE_WAIT_MS) // empty ACK: the response comes later
      return
    }
    this.answered(msg)
  }

  /** The tracker retransmits a CON message (RFC 7252 §4.2). */
  retransmit (buf: Buffer): void {
    this.count('coap.retransmit')
    this.send(buf)
  }

  /** MAX_RETRANSMIT retransmissions went unanswered. */
  gaveUp (ex: Exchange): void {
    if (ex.obs !== undefined) {
      // RFC 7641 §4.5: an observer that acknowledges nothing is gone
      this.count('lwm2m.notify.unacknowledged')
      this.cancelObservation(ex.obs)
      return
    }
    if (this.pending !== NONE && ex.buf.readUInt16BE(2) === this.requestMid) this.answered(undefined)
  }

  cancelObservation (o: Observation): void {
    const list = this.observations
    if (list === undefined) return
    const i = list.indexOf(o)
    if (i < 0) return
    list.splice(i, 1)
    if (list.length === 0) this.observations = undefined
    this.count('lwm2m.observe.cancelled')
    this.reschedule()
  }

  private cancelObservationByMid (mid: number): void {
    for (const o of this.observations ?? []) if (o.lastMid === mid) return this.cancelObservation(o)
  }

  protected socketFailed (): void {
    // a socket that could not bind or connect is useless: the device fails for good
    if (this.status === 'starting') {
      this.setStatus('failed')
      this.shutdown(false)
    }
  }

  private setStatus (status: DeviceStatus): void {
    this.status = status
    this.events.emit('status', this.index, status)
  }
}

