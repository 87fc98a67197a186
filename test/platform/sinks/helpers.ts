// Shared by the sink tests: observation records as the LWM2M server's bridge writes them.
import { parsePath } from '../../../lib/lwm2m/path.ts'
import type { Lwm2mNode } from '../../../lib/lwm2m/model.ts'
import { observationCodec } from '../../../platform/lwm2m-server/avro/codec.ts'
import { readBody } from '../../../platform/lwm2m-server/avro/records.ts'
import { toAvroNode, withTrace } from '../../../platform/lwm2m-server/avro-mapping.ts'

/** An observation record as the LWM2M server's bridge writes it (kafka-bridge.ts #notification); with `trace`, traced as a virtual device's. */
export function observationRecord (ep: string, pathText: string, node: Lwm2mNode, trace?: { seq: number, sentAtMs: number }): Buffer {
  const path = parsePath(pathText)
  let content = toAvroNode(path, node)
  if (trace !== undefined) content = withTrace(content, path, { ...trace, deviceId: ep })
  return observationCodec.encode({
    ticket: 't-1', observationId: 'o-1', serverId: 'lwm2m-gw1', ep, path: pathText, timestamp: trace?.sentAtMs ?? 1,
    rep: { code: 'CONTENT', kind: 'observe', body: readBody(content) },
  })
}

