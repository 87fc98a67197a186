// One record of iot.<gw>.observations, as a sink sees it: the zeelos AvroResponseObserve the LWM2M server's bridge
// published (platform/lwm2m-server/kafka-bridge.ts), with the device's trace taken out of its content.
//
// Where the trace lives: the bridge keeps a traced notification's trace as three extra AvroResources beside the
// observed value(s), inside rep.body.AvroReadResponseBody.content, which then is an AvroInstanceResource (or the
// first instance of an AvroObjectResource): /33000/0/0 sequence (INTEGER, long), /33000/0/1 send time in epoch ms
// (INTEGER, long), /33000/0/2 device id (STRING) (platform/lwm2m-server/avro-mapping.ts, withTrace). The record's
// `timestamp` is the send time too, but only the resources say that the record was traced.
import type { Trace } from '../../lib/lwm2m/trace.ts'
import { observationCodec } from '../lwm2m-server/avro/codec.ts'
import { plainValue, readNode } from '../lwm2m-server/avro/records.ts'
import type { AvroNode } from '../lwm2m-server/avro/records.ts'
import type { AvroInstanceResource, AvroMultipleResource, AvroObjectResource, AvroResource } from '../lwm2m-server/avro/types.ts'
import { observedContent, traceOfContent } from '../lwm2m-server/avro-mapping.ts'

export interface Observation {
  /** The endpoint the LWM2M server registered (the record's `ep`). */
  readonly endpoint: string
  /** The observed path, e.g. /3303/0/5700. */
  readonly path: string
  /** The record's timestamp: the reading's time (the device's send time when traced), epoch ms. */
  readonly timestamp: number
  readonly trace: Trace | undefined
  /** The observed resources by path, without the trace: { "/3303/0/5700": 21.5 }. */
  readonly values: Record<string, string | number | boolean>
  // What else the zeelos record says (the InfluxDB store tags its points with them, as zeelos's connector did).
  // Optional: an Observation built by hand may leave them out; decodeObservation sets them when not empty.
  /** The LWM2M server that published it (the record's `serverId`). */
  readonly serverId?: string
  /** The server's id of the observation (the record's `observationId`). */
  readonly observationId?: string
  /** The ticket of the observe request the notification answers (the record's `ticket`). */
  readonly ticket?: string
  /** The request kind of the payload (the record's `rep.kind`: `observe`). */
  readonly kind?: string
}

/** Decodes an observation record; throws AvroError (code FLEETLAB_AVRO) when `value` is not one. */
export function decodeObservation (value: Buffer | null, topic?: string): Observation {
  const record = observationCodec.decode(value ?? Buffer.alloc(0), topic)
  const ids = {
    ...(record.serverId !== '' ? { serverId: record.serverId } : {}),
    ...(record.observationId !== '' ? { observationId: record.observationId } : {}),
    ...(record.ticket !== '' ? { ticket: record.ticket } : {}),
    ...(record.rep.kind !== undefined ? { kind: record.rep.kind } : {}),
  }
  const node = readNode(record.rep.body)
  if (node === undefined) return { endpoint: record.ep, path: record.path, timestamp: record.timestamp, trace: undefined, values: {}, ...ids }
  const trace = traceOfContent(node)
  const values: Record<string, string | number | boolean> = {}
  flatten(trace === undefined ? node : observedContent(node, record.path), values)
  return { endpoint: record.ep, path: record.path, timestamp: record.timestamp, trace, values, ...ids }
}

function flattenInstance (i: AvroInstanceResource, out: Record<string, string | number | boolean>): void {
  for (const r of i.resources) out[r.path] = plainValue(r.value)
  for (const m of i.multipleResources ?? []) flatten(m, out)
}

function flatten (node: AvroNode, out: Record<string, string | number | boolean>): void {
  switch (node.kind) {
    case 'OBJECT': for (const i of (node as AvroObjectResource).instances) flattenInstance(i, out); break
    case 'INSTANCE': flattenInstance(node as AvroInstanceResource, out); break
    case 'MULTIPLE_RESOURCE': for (const r of Object.values((node as AvroMultipleResource).resources)) out[r.path] = plainValue(r.value); break
    default: { const r = node as AvroResource; out[r.path] = plainValue(r.value) }
  }
}
