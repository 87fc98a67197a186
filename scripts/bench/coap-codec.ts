// `npm run bench:coap`: encodes/s and decodes/s of lib/coap for a typical LWM2M notification (NON 2.05, 4-byte
// token, Observe, Content-Format SenML JSON, 60-byte payload), on one core. A micro benchmark, not a test: the
// simulator's budget is 10,000 notifications/s per core with room to spare. --help lists the options.
import { cpus } from 'node:os'
import { table } from '../../cli/format.ts'
import { Code } from '../../lib/coap/codes.ts'
import { decode, encode } from '../../lib/coap/message.ts'
import type { CoapMessageInit } from '../../lib/coap/message.ts'
import { ContentFormat, OptionNumber, contentFormat, encodeUint, observe } from '../../lib/coap/options.ts'
import { benchCommand, numberArg, parseBench } from '../lib/bench-options.ts'
import { opsPerSecond } from '../lib/measure.ts'

const { seconds } = parseBench<{ seconds: number }>(benchCommand('coap',
  'encodes/s and decodes/s of lib/coap for a typical LWM2M notification (NON 2.05, 4-byte token, Observe, Content-Format ' +
  'SenML JSON, 60-byte payload), on one core; a micro benchmark (the simulator\'s budget: 10,000 notifications/s per core)')
  .option('--seconds <s>', 'measured seconds per row, after a warm-up', numberArg('--seconds'), 2)
  .addHelpText('after', '\nRows: build a message and encode it; decode; decode and read Observe and Content-Format. Columns: per second, ns each.'))
const payload = Buffer.from('[{"bn":"/3303/0/","bt":1718000000.123,"n":"5700","v":21.53}]'.padEnd(60, ' '))
const token = Buffer.from('a1b2c3d4', 'hex')
const contentFormatValue = encodeUint(ContentFormat.SENML_JSON)

function notification (seq: number): CoapMessageInit {
  return {
    type: 'NON', code: Code.CONTENT, messageId: seq & 0xffff, token,
    options: [{ number: OptionNumber.OBSERVE, value: encodeUint(seq & 0xffffff) }, { number: OptionNumber.CONTENT_FORMAT, value: contentFormatValue }],
    payload,
  }
}

function measure (fn: (i: number) => unknown): number {
  return opsPerSecond(fn, seconds)
}

const sample = encode(notification(0x10203))
const datagrams = Array.from({ length: 1024 }, (_, i) => encode(notification(i * 7919)))

const rows: Array<[string, number]> = [
  ['encode (build message + encode)', measure(i => encode(notification(i)))],
  ['decode', measure(i => decode(datagrams[i & 1023]!))],
  ['decode + read Observe, Content-Format', measure(i => { const m = decode(datagrams[i & 1023]!); return (observe(m) ?? 0) + (contentFormat(m) ?? 0) })],
]

const cpu = cpus()[0]?.model ?? 'unknown cpu'
console.log(`bench:coap-codec  ${new Date().toISOString()}  ${cpu}, Node ${process.versions.node}, ${sample.length}-byte notification`)
console.log(table(['OPERATION', 'PER SECOND', 'NS EACH'], rows.map(([name, rate]) => [name, Math.round(rate).toLocaleString('en-US'), (1e9 / rate).toFixed(0)])))
