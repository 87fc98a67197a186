// `npm run bench:lwm2m-codecs`: micro benchmark of the LWM2M codecs on the hot path of the lab: one single-value
// notification (/3303/0/5700, a float) per call, with the fleetlab trace (lib/lwm2m/trace.ts) where the format can
// carry it. Prints encodes/s and decodes/s on one core; the goal is well above 10,000/s each (the simulator's and the
// server's budget per core). The cborg rows encode/decode the same SenML CBOR pack with the cborg library, to justify
// the hand-written codec. --help lists the options.
import { decode as cborgDecode, encode as cborgEncode } from 'cborg'
import { table } from '../../cli/format.ts'
import { decodeNode, encodeNode } from '../../lib/lwm2m/content-format.ts'
import { singleResource } from '../../lib/lwm2m/model.ts'
import { parsePath } from '../../lib/lwm2m/path.ts'
import { decodeSenmlCbor, encodeSenmlCbor } from '../../lib/lwm2m/senml-cbor.ts'
import type { SenmlRecord } from '../../lib/lwm2m/senml.ts'
import { decodeTracedNotification, encodeTracedNotification, extractTrace, tracedSenml } from '../../lib/lwm2m/trace.ts'
import { benchCommand, numberArg, parseBench } from '../lib/bench-options.ts'

const { seconds } = parseBench<{ seconds: number }>(benchCommand('lwm2m-codecs',
  'encodes/s and decodes/s of the LWM2M codecs on one core, one single-value notification (/3303/0/5700, a float) per call, ' +
  'with the fleetlab trace where the format can carry it; a micro benchmark (goal: well above 10,000/s each)')
  .option('--seconds <s>', 'measured seconds per figure, after a warm-up of 20,000 calls', numberArg('--seconds'), 1)
  .addHelpText('after', `
Rows: TLV, SenML JSON and SenML CBOR notifications, and the SenML CBOR pack alone with fleetlab's codec and with the
cborg library (to justify the hand-written codec). Columns: bytes, encodes/s, decodes/s (to the node and the trace),
and trace extractions/s.`))
const path = parsePath('/3303/0/5700')
let sink = 0

/** Calls per second of `fn`, measured over `seconds` after a warm-up. */
function rate (fn: (i: number) => number): number {
  for (let i = 0; i < 20_000; i++) sink += fn(i)
  const start = process.hrtime.bigint()
  const limit = BigInt(Math.round(seconds * 1e9))
  let n = 0
  while (process.hrtime.bigint() - start < limit) {
    for (let k = 0; k < 1000; k++) sink += fn(n++)
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9)
}

const value = (i: number): number => 20 + (i % 1000) / 97
const trace = (i: number): { seq: number, sentAtMs: number, deviceId: string } => ({ seq: i, sentAtMs: 1_718_000_000_000 + i, deviceId: 'dev-000042' })

// cborg (an independent library) on the same records: maps with SenML integer labels
const LABEL: Record<string, number | string> = { bn: -2, bt: -3, n: 0, v: 2, vs: 3, vlo: 'vlo' }
const FIELD = new Map<number | string, string>(Object.entries(LABEL).map(([k, v]) => [v, k]))
function cborgPackEncode (records: SenmlRecord[]): Buffer {
  return Buffer.from(cborgEncode(records.map(r => new Map(Object.entries(r).map(([k, v]) => [LABEL[k]!, v])))))
}
function cborgPackDecode (payload: Buffer): SenmlRecord[] {
  return (cborgDecode(payload, { useMaps: true }) as Array<Map<number | string, unknown>>).map(m => {
    const r: Record<string, unknown> = {}
    for (const [k, v] of m) r[FIELD.get(k) ?? String(k)] = v
    return r as SenmlRecord
  })
}

interface Row { name: string, bytes: number, enc: number, dec: number, decTrace?: number }
const rows: Row[] = []

{
  const sample = encodeNode(11542, path, singleResource(5700, 'float', value(1)))
  rows.push({
    name: 'TLV 11542 (no trace: one node only)',
    bytes: sample.length,
    enc: rate(i => encodeNode(11542, path, singleResource(5700, 'float', value(i))).length),
    dec: rate(() => decodeNode(11542, path, sample).id),
  })
}
for (const [format, name] of [[110, 'SenML JSON 110 + trace'], [112, 'SenML CBOR 112 + trace']] as const) {
  const sample = encodeTracedNotification(format, path, singleResource(5700, 'float', value(1)), trace(1))
  rows.push({
    name,
    bytes: sample.length,
    enc: rate(i => encodeTracedNotification(format, path, singleResource(5700, 'float', value(i)), trace(i)).length),
    dec: rate(() => decodeTracedNotification(format, path, sample).trace!.seq),
    decTrace: rate(() => extractTrace(format, sample)!.seq),
  })
}
// the same traced pack, SenML records <-> bytes only: the hand-written CBOR subset against cborg
for (const [name, enc, dec] of [
  ['SenML CBOR pack only, fleetlab codec', encodeSenmlCbor, decodeSenmlCbor],
  ['SenML CBOR pack only, cborg', cborgPackEncode, cborgPackDecode],
] as const) {
  const sample = enc(tracedSenml(path, singleResource(5700, 'float', value(1)), trace(1)))
  rows.push({
    name,
    bytes: sample.length,
    enc: rate(i => enc(tracedSenml(path, singleResource(5700, 'float', value(i)), trace(i))).length),
    dec: rate(() => dec(sample).length),
  })
}

const k = (n: number | undefined): string => n === undefined ? '-' : `${Math.round(n / 1000).toLocaleString('en')} k/s`
console.log(`lwm2m codecs, one notification per call, Node ${process.versions.node}, ${seconds} s per figure`)
console.log(table(['FORMAT', 'BYTES', 'ENCODE', 'DECODE (to node + trace)', 'EXTRACT TRACE ONLY'],
  rows.map(r => [r.name, r.bytes, k(r.enc), k(r.dec), k(r.decTrace)])))
if (sink === 0.5) console.log('')
