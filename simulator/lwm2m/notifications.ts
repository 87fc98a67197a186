// Information Reporting (LWM2M 1.1 §6.4, RFC 7641): starting an observation, the notifications that follow (each
// with the fleetlab trace when the format is SenML: device id, per-device sequence, intended send time), and the
// loop the wheel runs when observations are due. Lateness is counted from the intended time (docs/architecture.md, measurement rules: open model).
import { Code } from '../../lib/coap/index.ts'
import type { CoapMessage } from '../../lib/coap/index.ts'
import { encodeNode } from '../../lib/lwm2m/content-format.ts'
import { Lwm2mFormatError } from '../../lib/lwm2m/errors.ts'
import type { Lwm2mNode } from '../../lib/lwm2m/model.ts'
import type { Lwm2mPath } from '../../lib/lwm2m/path.ts'
import { encodeTracedNotification } from '../../lib/lwm2m/trace.ts'
import { readNode } from './device-objects.ts'
import type { ObjectEntry } from './device-objects.ts'
import type { Lwm2mDevice } from './device.ts'
import { exchangeKey } from './keys.ts'
import { notificationMessage } from './messages.ts'
import { Observation, resolveAttributes } from './observation.ts'
import { LATE_MS } from './options.ts'
import { defaultPeriods, noValue, readContext, reply, replyFormat } from './outcome.ts'
import type { Outcome } from './outcome.ts'

/** Runs every observation that is due at `now`; behind schedule (a stall) each catches up with its own intended times. */
export function notifyDue (d: Lwm2mDevice, observations: Observation[], now: number): void {
  for (let i = 0; i < observations.length; i++) {
    const o = observations[i]!
    for (let n = 0; o.due <= now && n < 16; n++) {
      const due = o.due
      const step = d.sampleAt(due)
      const value = observedValue(d, o, step)
      if (o.forced || o.shouldNotify(value)) notify(d, o, due, step, value)
      else o.checkFrom = due
      o.schedule(d.t0, d.periodMs)
    }
    if (d.observations !== observations) return // a send error closed the device
  }
}

/** The number an observation compares (§5.1.2): the sensor value, or its min / max measured. */
export function observedValue (d: Lwm2mDevice, o: Observation, step: number): number {
  if (o.sensor < 0) return Number.NaN
  const { sensors } = d.driver
  const v = sensors.valueAt(d.index, o.sensor, step)
  return o.resourceId === 5601 ? sensors.minMeasured(d.index, o.sensor) : o.resourceId === 5602 ? sensors.maxMeasured(d.index, o.sensor) : v
}

export function startObserve (d: Lwm2mDevice, msg: CoapMessage, o: ObjectEntry, path: Lwm2mPath, acc: number | undefined): Outcome {
  const { driver } = d
  const now = driver.ctx.now()
  const format = replyFormat(d, acc)
  if (format === undefined) return reply(Code.NOT_ACCEPTABLE)
  const sensorObject = driver.sensors.slotOf(o.def.id, path.instanceId ?? 0)
  const rid = path.resourceId ?? -1
  const numeric = rid === 5700 || rid === 5601 || rid === 5602
  // what changes with the samples: a sensor value, or an instance / object that contains one
  const sensor = sensorObject >= 0 && (rid === -1 || numeric) && path.resourceInstanceId === undefined ? sensorObject : -1
  const obs = new Observation(Buffer.from(msg.token), path, sensor, numeric ? rid : -1, format, now)
  const step = d.sampleAt(now)
  const payload = observedPayload(d, obs, now, step, d.seq)
  if (payload === undefined) return noValue(o, path)
  if (typeof payload === 'number') return reply(payload)
  cancelByToken(d, msg.token) // RFC 7641 §4.1: the same token again replaces the observation
  const seq = d.seq++
  obs.applyAttributes(resolveAttributes(d.attributes, path), ...defaultPeriods(d))
  obs.notified(now, observedValue(d, obs, step))
  obs.schedule(d.t0, d.periodMs)
  ;(d.observations ??= []).push(obs)
  d.reschedule()
  d.count('lwm2m.observe.started')
  d.count('lwm2m.notify.sent') // the first notification (RFC 7641 §4.2) carries the trace too
  return { reply: { code: Code.CONTENT, format, payload, observe: seq } }
}

export function cancelByToken (d: Lwm2mDevice, token: Buffer): void {
  for (const o of d.observations ?? []) if (o.token.equals(token)) return d.cancelObservation(o)
}

/**
 * The payload of a notification at monotonic time `t`: the traced SenML pack when the format allows, else the node
 * alone. undefined when the path has no value; a CoAP code when the format cannot carry the node.
 */
function observedPayload (d: Lwm2mDevice, o: Observation, t: number, step: number, seq: number): Buffer | number | undefined {
  const { driver } = d
  let node: Lwm2mNode | undefined
  if (o.resourceId >= 0) {
    // the hot path: one sensor value, no tables
    node = { kind: 'single', id: o.resourceId, type: 'float', value: observedValue(d, o, step) }
  } else {
    node = readNode(readContext(d, t), driver.objects.get(o.path.objectId!)!, o.path)
    if (node === undefined) return undefined
  }
  try {
    if ((o.format === 110 || o.format === 112) && driver.options.trace !== false) {
      return encodeTracedNotification(o.format, o.path, node, { seq, sentAtMs: Math.round(driver.ctx.toWallMs(t)), deviceId: d.endpoint })
    }
    return encodeNode(o.format, o.path, node)
  } catch (err) {
    if (err instanceof Lwm2mFormatError) return Code.NOT_ACCEPTABLE
    throw err
  }
}

/** Sends the notification due at `due` (its intended send time, which the trace carries) and counts its lateness. */
export function notify (d: Lwm2mDevice, o: Observation, due: number, step: number, value: number): void {
  const { driver } = d
  const payload = observedPayload(d, o, due, step, d.seq)
  if (typeof payload !== 'object') return // the value is gone (cannot happen for the fixed tables)
  const seq = d.seq++
  const mid = d.nextMid()
  const confirmable = driver.options.confirmable === true
  const buf = notificationMessage(confirmable ? 'CON' : 'NON', mid, o.token, seq, o.format, payload)
  if (confirmable) {
    // RFC 7641 §4.5.2: a newer notification takes over from one still being retransmitted
    if (o.lastMid >= 0) driver.tracker.settle(exchangeKey(d.index, o.lastMid))
    driver.tracker.add(exchangeKey(d.index, mid), { device: d, buf, obs: o })
  }
  o.lastMid = mid
  o.notified(due, value)
  d.send(buf)
  const lateness = driver.ctx.now() - due
  d.events.emit('counter', 'lwm2m.notify.sent', 1)
  d.events.emit('histogram', 'lwm2m.notify.lateness', lateness)
  if (lateness > LATE_MS) d.events.emit('counter', 'lwm2m.notify.late', 1)
}
