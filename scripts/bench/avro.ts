// `npx tsx scripts/bench/avro.ts [--seconds 2]`: Avro encodes/s of the observation record (AvroResponseObserve of
// one float resource, as the bridge publishes each notification to iot.<gw>.observations), with its key, and
// decodes/s (with the bounds check) on one core. A micro benchmark, not a test.
import { cpus } from 'node:os'
import { table } from '../../cli/format.ts'
import { encodeKey, observationCodec } from '../../platform/lwm2m-server/avro/codec.ts'
import { readBody, singleResource } from '../../platform/lwm2m-server/avro/records.ts'
import type { AvroResponseObserve } from '../../platform/lwm2m-server/avro/types.ts'
import { opsPerSecond } from '../lib/measure.ts'

function arg (name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : undefined
}

const seconds = Number(arg('seconds') ?? 2)

function observation (i: number): AvroResponseObserve {
  return {
    ticket: 'obs-7f3a', observationId: 'c0ffee01', serverId: 'edge-gw1', ep: `fleetlab-dev-${String(i % 20_000).padStart(5, '0')}`,
    path: '/3303/0/5700', timestamp: 1_718_000_000_000 + i,
    rep: { code: 'CONTENT', kind: 'observe', body: readBody(singleResource('/3303/0/5700', 'FLOAT', 20 + (i % 100) / 10)) },
  }
}

function measure (fn: (i: number) => unknown): number {
  return opsPerSecond(fn, seconds)
}

const records = Array.from({ length: 1024 }, (_, i) => observation(i))
const encoded = records.map(r => observationCodec.encode(r))

const rows: Array<[string, number]> = [
  ['encode observation (prebuilt record)', measure(i => observationCodec.encode(records[i & 1023]!))],
  ['build record + encode observation + key', measure(i => { const r = observation(i); return [encodeKey(r.ep), observationCodec.encode(r)] })],
  ['decode observation (bounds check + avsc)', measure(i => observationCodec.decode(encoded[i & 1023]!))],
]

console.log(`bench:avro  ${new Date().toISOString()}  ${cpus()[0]?.model ?? 'unknown cpu'}, Node ${process.versions.node}, ${encoded[0]!.length}-byte observation`)
console.log(table(['OPERATION', 'PER SECOND', 'NS EACH'], rows.map(([name, rate]) => [name, Math.round(rate).toLocaleString('en-US'), (1e9 / rate).toFixed(0)])))
