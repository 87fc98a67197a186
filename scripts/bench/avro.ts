// `npm run bench:avro`: Avro encodes/s of the observation record (AvroResponseObserve of one float resource, as the
// bridge publishes each notification to iot.<gw>.observations), with its key, and decodes/s (with the bounds check)
// on one core. A micro benchmark, not a test. --help lists the options.
import { cpus } from 'node:os'
import { table } from '../../cli/format.ts'
import { encodeKey, observationCodec } from '../../platform/lwm2m-server/avro/codec.ts'
import { readBody, singleResource } from '../../platform/lwm2m-server/avro/records.ts'
import type { AvroResponseObserve } from '../../platform/lwm2m-server/avro/types.ts'
import { benchCommand, numberArg, parseBench } from '../lib/bench-options.ts'
import { opsPerSecond } from '../lib/measure.ts'

const { seconds } = parseBench<{ seconds: number }>(benchCommand('avro',
  'Avro encodes/s of the observation record the bridge publishes for each notification (AvroResponseObserve of one float ' +
  'resource), with its key, and decodes/s with the bounds check, on one core; a micro benchmark')
  .option('--seconds <s>', 'measured seconds per row, after a warm-up', numberArg('--seconds'), 2)
  .addHelpText('after', '\nRows: encode a prebuilt record; build a record and encode it and its key; decode. Columns: per second, ns each.'))

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
