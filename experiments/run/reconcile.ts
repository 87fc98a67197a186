// The run's accounting (docs/architecture.md, measurement rules): every traced notification a device sent is either delivered
// to the sink or lost, and duplicates are counted apart. Per device, the gateways say how many sequence numbers
// they used (0 .. sent-1) and the sink which of them arrived, so delivered and lost are exact per device.
//
// Where the lost ones went is told by the record counts of the observations topics at each hop:
//   not_in_edge       sent, but the edge topics grew by fewer records (lost on UDP or in the LWM2M server);
//   not_mirrored      in the edge topics, but the cloud topics grew by fewer (MirrorMaker 2 behind or failing);
//   not_consumed      in the cloud topics, but not read by the sink before the drain ended.
// Topic counts include duplicates (a retransmitted CON notification), so the split is attributed hop by hop and
// capped by the exact per-device total: the reasons always add up to `lost`.
import type { GatewayReport, SinkReport } from '../contracts.ts'

export interface HopCounts {
  /** Records appended to the edge observations topics during the run. */
  readonly edgeRecords: number
  /** Records appended to the cloud observations topics during the run. */
  readonly cloudRecords: number
}

export interface Reconciliation {
  readonly sent: number
  readonly delivered: number
  readonly lost: number
  readonly lostNotInEdge: number
  readonly lostNotMirrored: number
  readonly lostNotConsumed: number
  readonly duplicates: number
  /** Records at the sink that no gateway claims to have sent (a stray device, an older run's records). */
  readonly unexpected: number
  /** Devices with at least one lost notification. */
  readonly devicesWithLoss: number
  /** A few of them with their counts, for the events file. */
  readonly examples: ReadonlyArray<{ endpoint: string, sent: number, delivered: number }>
}

export function reconcile (gateways: readonly GatewayReport[], sink: SinkReport, hops: HopCounts): Reconciliation {
  const sentBy = new Map<string, number>()
  for (const g of gateways) for (const [endpoint, n] of Object.entries(g.sent)) sentBy.set(endpoint, (sentBy.get(endpoint) ?? 0) + n)
  let sent = 0
  let delivered = 0
  let lost = 0
  let duplicates = 0
  let unexpected = 0
  let devicesWithLoss = 0
  const examples: Array<{ endpoint: string, sent: number, delivered: number }> = []
  for (const [endpoint, n] of sentBy) {
    const seen = sink.devices[endpoint]
    // a sequence at or above `sent` was never sent by this run: not counted as delivered
    const got = seen === undefined ? 0 : Math.min(seen.delivered, n)
    sent += n
    delivered += got
    lost += n - got
    if (n > got) {
      devicesWithLoss++
      if (examples.length < 5) examples.push({ endpoint, sent: n, delivered: got })
    }
  }
  for (const [endpoint, seen] of Object.entries(sink.devices)) {
    duplicates += seen.duplicates
    const n = sentBy.get(endpoint)
    if (n === undefined) unexpected += seen.delivered
    else if (seen.delivered > n) unexpected += seen.delivered - n
  }
  const lostNotInEdge = Math.min(lost, Math.max(0, sent - hops.edgeRecords))
  const lostNotMirrored = Math.min(lost - lostNotInEdge, Math.max(0, hops.edgeRecords - hops.cloudRecords))
  const lostNotConsumed = lost - lostNotInEdge - lostNotMirrored
  return { sent, delivered, lost, lostNotInEdge, lostNotMirrored, lostNotConsumed, duplicates, unexpected, devicesWithLoss, examples }
}

/**
 * Why notifications may not have reached the edge Kafka, from the embedded LWM2M server's own counters (scraped from
 * its /metrics) and the kernel's drops at its socket: each non-zero cause, in words, for the reconcile event.
 */
export function edgeLossReasons (lwm2m: Readonly<Record<string, number>> | undefined, udpDrops: number | undefined): string[] {
  const out: string[] = []
  if (udpDrops !== undefined && udpDrops > 0) out.push(`the kernel dropped ${udpDrops} datagrams at the LWM2M server's socket (receive buffer full)`)
  if (lwm2m === undefined) return out
  const family = (prefix: string): { total: number, parts: string } => {
    const entries = Object.entries(lwm2m).filter(([k, v]) => k.startsWith(prefix) && v > 0)
    return { total: entries.reduce((a, [, v]) => a + v, 0), parts: entries.map(([k, v]) => `${k.slice(prefix.length)} ${v}`).join(', ') }
  }
  const malformed = family('lwm2m.malformed.')
  if (malformed.total > 0) out.push(`${malformed.total} malformed datagrams (${malformed.parts})`)
  const undecodable = family('lwm2m.notify.undecodable.')
  if (undecodable.total > 0) out.push(`${undecodable.total} notifications the server could not decode (${undecodable.parts})`)
  const said: Array<[string, string]> = [
    ['lwm2m.bridge.observations.undecodable', 'notifications the bridge could not map to Avro'],
    ['lwm2m.kafka.dropped', 'records the bridge dropped (its queue to Kafka was full)'],
    ['lwm2m.kafka.failed', 'records the edge Kafka refused'],
  ]
  for (const [name, words] of said) if ((lwm2m[name] ?? 0) > 0) out.push(`${lwm2m[name]} ${words}`)
  return out
}
