// Traceability of notifications (docs/architecture.md, measurement rules): from every notification a virtual device sends, the
// pipeline recovers the device id, a per-device sequence number and the device's send time.
//
// Convention. The trace rides in the payload as LWM2M resources of fleetlab's private object 33000 "fleetlab trace"
// (instance 0; id in the 32769..42768 range OMNA keeps for unregistered objects; definition in objects.ts):
//   /33000/0/0  Sequence      unsigned integer   per device, +1 for every notification, starting at 0
//   /33000/0/1  Send Time ms  integer            device clock at send, Unix time in milliseconds (exact, integer)
//   /33000/0/2  Device ID     string             the device's endpoint name
// The pack is SenML (JSON 110 or CBOR 112): the observed node's records first, with bt = send time in seconds (float,
// millisecond precision), so any SenML consumer sees a correctly timestamped value; then the three trace records.
//   [{"bn":"/3303/0/","bt":1718000000.123,"n":"5700","v":21.5},
//    {"bn":"/33000/0/","n":"0","v":42},{"n":"1","v":1718000000123},{"n":"2","vs":"dev-000001"}]
// Why resources and not a SenML record named "seq": LWM2M names must be paths (§7.4.4), and LWM2M servers map every
// record to a resource; a private object keeps the pack valid LWM2M. Why SenML only: TLV and text/plain address one
// node relative to the request path and cannot carry a second object; in LWM2M 1.1 a payload naming several paths
// is SenML (Observe-Composite, Send). A server that observes one path and receives these extra records must accept
// records outside the observed path (our server does, via decodeTracedNotification); with servers that do not,
// devices use Observe-Composite on [observed path, /33000/0] or notify untraced.
import { Lwm2mFormatError } from './errors.ts'
import { TRACE_OBJECT_ID, TraceResource } from './model.ts'
import type { DecodeOptions, Lwm2mNode } from './model.ts'
import type { Lwm2mPath } from './path.ts'
import { nodeToSenml, resolveSenml, senmlToNode } from './senml.ts'
import type { ResolvedRecord, SenmlRecord } from './senml.ts'
import { decodeSenmlJson, encodeSenmlJson } from './senml-json.ts'
import { decodeSenmlCbor, encodeSenmlCbor } from './senml-cbor.ts'
import { decodeNode } from './content-format.ts'

export interface Trace {
  readonly seq: number
  readonly sentAtMs: number
  readonly deviceId: string
}

export const TRACE_BASE_NAME = `/${TRACE_OBJECT_ID}/0/`
const NAME_SEQ = `${TRACE_BASE_NAME}${TraceResource.SEQUENCE}`
const NAME_SENT = `${TRACE_BASE_NAME}${TraceResource.SENT_AT_MS}`
const NAME_DEVICE = `${TRACE_BASE_NAME}${TraceResource.DEVICE_ID}`
const TRACE_PREFIX = `/${TRACE_OBJECT_ID}/`

type SenmlFormat = 110 | 112

function checkTrace (t: Trace): void {
  if (!Number.isSafeInteger(t.seq) || t.seq < 0) throw new Lwm2mFormatError('VALUE_TYPE', `trace seq ${t.seq} is not an unsigned integer`)
  if (!Number.isSafeInteger(t.sentAtMs)) throw new Lwm2mFormatError('VALUE_TYPE', `trace sentAtMs ${t.sentAtMs} is not an integer`)
  if (typeof t.deviceId !== 'string' || t.deviceId === '') throw new Lwm2mFormatError('VALUE_TYPE', 'trace deviceId must be a non-empty string')
}

/** The SenML pack of the notification for `node` at `path`, with the trace (see the convention above). */
export function tracedSenml (path: Lwm2mPath, node: Lwm2mNode, trace: Trace): SenmlRecord[] {
  checkTrace(trace)
  const records = nodeToSenml(path, node, trace.sentAtMs / 1000)
  records.push(
    { bn: TRACE_BASE_NAME, n: '0', v: trace.seq },
    { n: '1', v: trace.sentAtMs },
    { n: '2', vs: trace.deviceId },
  )
  return records
}

export function encodeTracedNotification (format: number, path: Lwm2mPath, node: Lwm2mNode, trace: Trace): Buffer {
  if (format === 110) return encodeSenmlJson(tracedSenml(path, node, trace))
  if (format === 112) return encodeSenmlCbor(tracedSenml(path, node, trace))
  throw new Lwm2mFormatError('TRACE_FORMAT', `a traced notification is SenML JSON (110) or SenML CBOR (112), not ${format}`)
}

function resolved (format: SenmlFormat, payload: Uint8Array): ResolvedRecord[] {
  return resolveSenml(format === 110 ? decodeSenmlJson(payload) : decodeSenmlCbor(payload))
}

function isTraceRecord (r: ResolvedRecord): boolean { return r.name.startsWith(TRACE_PREFIX) }
function isNotTraceRecord (r: ResolvedRecord): boolean { return !r.name.startsWith(TRACE_PREFIX) }

function traceFrom (records: readonly ResolvedRecord[]): Trace | undefined {
  let seq: ResolvedRecord | undefined
  let sent: ResolvedRecord | undefined
  let device: ResolvedRecord | undefined
  let any = false
  for (const r of records) {
    if (!isTraceRecord(r)) continue
    any = true
    if (r.name === NAME_SEQ) seq = r
    else if (r.name === NAME_SENT) sent = r
    else if (r.name === NAME_DEVICE) device = r
  }
  if (!any) return undefined
  const seqV = seq?.value
  const sentV = sent?.value
  const deviceV = device?.value
  if (typeof seqV !== 'number' || !Number.isSafeInteger(seqV) || seqV < 0) throw incomplete('sequence (/33000/0/0, unsigned "v")', seqV)
  if (typeof sentV !== 'number' || !Number.isSafeInteger(sentV)) throw incomplete('send time (/33000/0/1, integer "v")', sentV)
  if (typeof deviceV !== 'string' || deviceV === '' || device?.field !== 'vs') throw incomplete('device id (/33000/0/2, "vs")', deviceV)
  return { seq: seqV, sentAtMs: sentV, deviceId: deviceV }
}

function incomplete (what: string, got: unknown): Lwm2mFormatError {
  return new Lwm2mFormatError('TRACE_INCOMPLETE', `trace ${what} is ${got === undefined ? 'missing' : `invalid: ${String(got)}`}`)
}

/** The trace of a notification payload; undefined when it has none (and for formats that cannot carry one). */
export function extractTrace (format: number, payload: Uint8Array): Trace | undefined {
  if (format !== 110 && format !== 112) return undefined
  return traceFrom(resolved(format, payload))
}

/** Decodes a notification once: the node at the observed `path` and, for SenML, the trace beside it. */
export function decodeTracedNotification (format: number, path: Lwm2mPath, payload: Uint8Array,
  options?: DecodeOptions): { node: Lwm2mNode, trace: Trace | undefined } {
  if (format !== 110 && format !== 112) return { node: decodeNode(format, path, payload, options), trace: undefined }
  const records = resolved(format, payload)
  const trace = traceFrom(records)
  const keepAll = trace === undefined || path.objectId === TRACE_OBJECT_ID
  const node = senmlToNode(path, keepAll ? records : records.filter(isNotTraceRecord), options)
  return { node, trace }
}
