// The device side of LWM2M 1.1 Device Management and Information Reporting (§6.3, §6.4): Read (TLV, SenML JSON,
// SenML CBOR, text/plain per Accept), Write (PUT replace, POST partial update), Execute, Discover (link-format with
// attributes), Write-Attributes, Observe and Cancel (notifications.ts).
// Every request gets exactly one reply; duplicates of a CON request get the same reply again (RFC 7252 §4.5).
import { Code, CoapMalformedError, accept, observe, uriPath } from '../../lib/coap/index.ts'
import type { CoapMessage } from '../../lib/coap/index.ts'
import { encodeNode } from '../../lib/lwm2m/content-format.ts'
import { Lwm2mFormatError, Lwm2mModelError } from '../../lib/lwm2m/errors.ts'
import { pathDepth, pathFromSegments } from '../../lib/lwm2m/path.ts'
import type { Lwm2mPath } from '../../lib/lwm2m/path.ts'
import { discover, writeAttributes } from './attributes.ts'
import { readNode } from './device-objects.ts'
import type { ObjectEntry } from './device-objects.ts'
import type { Lwm2mDevice } from './device.ts'
import { exchangeKey } from './keys.ts'
import { replyMessage } from './messages.ts'
import { cancelByToken, startObserve } from './notifications.ts'
import { noValue, readContext, reply, replyFormat } from './outcome.ts'
import type { Outcome } from './outcome.ts'
import { applyWrite } from './writes.ts'

export function handleRequest (d: Lwm2mDevice, msg: CoapMessage): void {
  const { dedup } = d.driver
  const key = exchangeKey(d.index, msg.messageId)
  if (msg.type === 'CON' && !dedup.add(key)) {
    const again = dedup.response(key)
    if (again !== undefined) d.send(again)
    d.count('coap.duplicate')
    return
  }
  let outcome: Outcome
  try {
    outcome = dispatch(d, msg)
  } catch (err) {
    outcome = failure(err)
  }
  const buf = replyMessage(msg, msg.type === 'CON' ? msg.messageId : d.nextMid(), outcome.reply)
  if (msg.type === 'CON') dedup.setResponse(key, buf)
  d.send(buf)
  if (outcome.after === 'reboot' || outcome.after === 'factoryReset') d.reboot(outcome.after === 'factoryReset')
  else if (outcome.after === 'update') d.update()
}

/** Errors from the codecs become 4.xx replies; anything else is a bug and a 5.00. */
function failure (err: unknown): Outcome {
  if (err instanceof Lwm2mModelError) return reply(Code.NOT_FOUND)
  if (err instanceof Lwm2mFormatError) {
    return reply(err.reason === 'UNSUPPORTED_CONTENT_FORMAT' ? Code.UNSUPPORTED_CONTENT_FORMAT : Code.BAD_REQUEST)
  }
  if (err instanceof CoapMalformedError) return reply(Code.BAD_OPTION)
  return reply(Code.INTERNAL_SERVER_ERROR)
}

function dispatch (d: Lwm2mDevice, msg: CoapMessage): Outcome {
  let path: Lwm2mPath
  try {
    path = pathFromSegments(uriPath(msg))
  } catch {
    return reply(Code.NOT_FOUND)
  }
  d.count(`lwm2m.request.${requestName(msg)}`)
  const depth = pathDepth(path)
  if (depth === 0) return reply(Code.METHOD_NOT_ALLOWED) // root operations are for bootstrap and composite requests
  const o = d.driver.objects.get(path.objectId!)
  if (o === undefined || (path.instanceId !== undefined && path.instanceId >= o.instances)) return reply(Code.NOT_FOUND)
  switch (msg.code) {
    case Code.GET: {
      const acc = accept(msg)
      if (acc === 40) return discover(d, o, path)
      const obs = observe(msg)
      if (obs === 0) return startObserve(d, msg, o, path, acc)
      if (obs === 1) cancelByToken(d, msg.token)
      return read(d, o, path, acc, d.driver.ctx.now())
    }
    case Code.PUT:
      return msg.payload === undefined ? writeAttributes(d, msg, o, path) : applyWrite(d, msg, o, path, true)
    case Code.POST:
      if (depth === 3) return execute(d, o, path)
      if (depth === 2) return applyWrite(d, msg, o, path, false)
      return reply(Code.METHOD_NOT_ALLOWED) // Create: the devices have fixed instances
    default:
      return reply(Code.METHOD_NOT_ALLOWED) // Delete, and the composite operations (FETCH, iPATCH)
  }
}

function requestName (msg: CoapMessage): string {
  switch (msg.code) {
    case Code.GET: return accept(msg) === 40 ? 'discover' : observe(msg) === 0 ? 'observe' : observe(msg) === 1 ? 'cancel' : 'read'
    case Code.PUT: return msg.payload === undefined ? 'write-attributes' : 'write'
    case Code.POST: return 'post'
    default: return 'other'
  }
}

function read (d: Lwm2mDevice, o: ObjectEntry, path: Lwm2mPath, acc: number | undefined, now: number): Outcome {
  const node = readNode(readContext(d, now), o, path)
  if (node === undefined) return noValue(o, path)
  const format = replyFormat(d, acc)
  if (format === undefined) return reply(Code.NOT_ACCEPTABLE)
  try {
    return { reply: { code: Code.CONTENT, format, payload: encodeNode(format, path, node) } }
  } catch (err) {
    if (err instanceof Lwm2mFormatError) return reply(Code.NOT_ACCEPTABLE) // e.g. text/plain for an instance
    throw err
  }
}

function execute (d: Lwm2mDevice, o: ObjectEntry, path: Lwm2mPath): Outcome {
  const entry = o.resources.get(path.resourceId!)
  if (entry === undefined) return reply(o.def.resources.has(path.resourceId!) ? Code.METHOD_NOT_ALLOWED : Code.NOT_FOUND)
  if (entry.def.operations !== 'E') return reply(Code.METHOD_NOT_ALLOWED)
  const id = `${o.def.id}/${entry.def.id}`
  d.count(`lwm2m.execute.${o.def.id}.${entry.def.id}`)
  switch (id) {
    case '3/4': return { reply: { code: Code.CHANGED }, after: 'reboot' }
    case '3/5': return { reply: { code: Code.CHANGED }, after: 'factoryReset' }
    case '1/8': return { reply: { code: Code.CHANGED }, after: 'update' }
    case '3/12': return reply(Code.CHANGED) // Reset Error Code: the error list is always [0]
  }
  if (entry.def.id === 5605) {
    const { sensors } = d.driver
    const slot = sensors.slotOf(o.def.id, path.instanceId!)
    sensors.valueAt(d.index, slot, d.sampleAt(d.driver.ctx.now()))
    sensors.resetMinMax(d.index, slot)
    return reply(Code.CHANGED)
  }
  return reply(Code.METHOD_NOT_ALLOWED)
}

