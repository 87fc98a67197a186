// `npm run bench:lwm2m-server`: notifications per second our LWM2M server receives, encodes in Avro and gets
// acknowledged by a real edge Kafka, with the server's CPU. The server and its bridge run in this process; the devices
// are raw lib/coap datagrams from a child process (one UDP socket per device, auto-observed /3303/0/5700, traced SenML
// JSON), sending at each rate in turn (open model: on schedule, whatever the server does). Without --kafka a
// one-broker platform is started on the process runtime and stopped at the end. A benchmark, not a test.
// --help lists the options; the child is this script with the hidden --child --port <port> (and --devices, --con).
import { createSocket } from 'node:dgram'
import type { Socket } from 'node:dgram'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Option } from 'commander'
import { table } from '../../cli/format.ts'
import { Code, OptionNumber, TokenGenerator, contentFormat as formatOption, decode, encode, observe, uintOption, uriPathOptions, uriQueryOptions } from '../../lib/coap/index.ts'
import { singleResource } from '../../lib/lwm2m/model.ts'
import { makePath } from '../../lib/lwm2m/path.ts'
import { encodeTracedNotification } from '../../lib/lwm2m/trace.ts'
import { sleep } from '../../lib/time.ts'
import { createKafkaClient } from '../../platform/kafka/index.ts'
import { KafkaBridge } from '../../platform/lwm2m-server/kafka-bridge.ts'
import { Lwm2mServer } from '../../platform/lwm2m-server/server.ts'
import { benchCommand, countArg, hostPortArg, numberArg, numberListArg, parseBench } from '../lib/bench-options.ts'
import { exited, forkRole, nextMessage, udpReceiveBufferDrops } from '../lib/bench-process.ts'
import { startEdgeKafka } from '../lib/edge-kafka.ts'
import type { EdgeKafka } from '../lib/edge-kafka.ts'

interface Options { devices: number, rates: number[], seconds: number, con?: boolean, kafka?: string, child?: boolean, port?: number }

const options = parseBench<Options>(benchCommand('lwm2m-server',
  'notifications per second our LWM2M server receives, encodes in Avro and gets acknowledged by a real edge Kafka, with the ' +
  'server\'s CPU: the server and its bridge run in this process, the devices (raw CoAP datagrams, one UDP socket each, ' +
  'auto-observed /3303/0/5700, traced SenML JSON) in a child process, sending at each rate in turn (open model)')
  .option('--devices <n>', 'devices, each one UDP socket', countArg('--devices', 1), 1000)
  .addOption(new Option('--rates <list>', 'notifications per second of the steps, comma-separated, one step each')
    .argParser(numberListArg('--rates')).default([5000, 10_000, 15_000, 20_000], '5000,10000,15000,20000'))
  .option('--seconds <s>', 'seconds of sending per step', numberArg('--seconds'), 10)
  .option('--con', 'notifications as CON (acknowledged) instead of NON')
  .option('--kafka <host:port>', 'an edge Kafka to use (default: a one-broker platform on the process runtime, stopped at the end)', hostPortArg('--kafka'))
  .addOption(new Option('--child', 'internal: run as the devices child').hideHelp())
  .addOption(new Option('--port <port>', 'internal: the child\'s server port').argParser(countArg('--port', 1, 65_535, 'a port 1-65535')).hideHelp())
  .addHelpText('after', `
Columns per step: the target rate; sent/s; received/s, in Avro/s (over the send window); acked by Kafka/s (over the
step and its drain); lost (sent - received); kernel UDP receive-buffer drops (whole machine); the server's CPU (this
process, 100 % is one core) and CPU µs per notification; the drain's ms.`))

type ToChild = { run: { rate: number, seconds: number } } | { stop: true }
type FromChild = { registered: number } | { sent: number, lateMs: number }

const PATH = makePath(3303, 0, 5700)

// ---- the child: devices ----
async function devices (serverPort: number, count: number, confirmable: boolean): Promise<void> {
  const socks: Socket[] = []
  const tokens: Array<Buffer | undefined> = []
  const seqs = new Uint32Array(count)
  const gen = new TokenGenerator(4)
  let mid = 1
  let registered = 0
  for (let i = 0; i < count; i++) {
    const s = createSocket({ type: 'udp4', sendBufferSize: 1 << 20 })
    await new Promise<void>(resolve => s.bind(0, '127.0.0.1', () => resolve()))
    s.on('message', (buf, r) => {
      const m = decode(buf)
      if (m.code === Code.CREATED) registered++
      if (m.code === Code.GET && observe(m) === 0) {
        tokens[i] = Buffer.from(m.token)
        s.send(encode({ type: 'ACK', code: Code.CONTENT, messageId: m.messageId, token: m.token,
          options: [uintOption(OptionNumber.OBSERVE, 0), uintOption(OptionNumber.CONTENT_FORMAT, formatOption(m) ?? 110)], payload: Buffer.from('[{"bn":"/3303/0/","n":"5700","v":20}]') }), r.port, r.address)
      }
    })
    socks.push(s)
    s.send(encode({ type: 'CON', code: Code.POST, messageId: mid++, token: gen.next(), options: [...uriPathOptions('/rd'), uintOption(OptionNumber.CONTENT_FORMAT, 40),
      ...uriQueryOptions({ ep: `bench-${String(i).padStart(5, '0')}`, lt: 3600, lwm2m: '1.1', b: 'U' })], payload: Buffer.from('</1/0>,</3/0>,</3303/0>') }), serverPort, '127.0.0.1')
    if (i % 50 === 49) await sleep(5)
  }
  const deadline = Date.now() + 30_000
  while (tokens.filter(t => t !== undefined).length < count && Date.now() < deadline) await sleep(50)
  process.send!({ registered } satisfies FromChild)
  process.on('message', (msg: ToChild) => {
    if ('stop' in msg) process.exit(0)
    const { rate, seconds } = msg.run
    const t0 = performance.now()
    let sent = 0
    let next = 0
    let lateMs = 0
    const timer = setInterval(() => {
      const now = performance.now()
      const due = Math.min(Math.floor((now - t0) * rate / 1000), rate * seconds)
      if (due - sent > rate / 100) lateMs = Math.max(lateMs, (due - sent) * 1000 / rate)
      for (; sent < due; sent++) {
        const d = next
        next = (next + 1) % count
        const token = tokens[d]
        if (token === undefined) continue
        const seq = seqs[d]!++
        const payload = encodeTracedNotification(110, PATH, singleResource(5700, 'float', 20 + (seq % 100) / 10), { seq, sentAtMs: Date.now(), deviceId: `bench-${String(d).padStart(5, '0')}` })
        socks[d]!.send(encode({ type: confirmable ? 'CON' : 'NON', code: Code.CONTENT, messageId: (mid++) & 0xffff, token,
          options: [uintOption(OptionNumber.OBSERVE, (seq + 1) & 0xffffff), uintOption(OptionNumber.CONTENT_FORMAT, 110)], payload }), serverPort, '127.0.0.1')
      }
      if (sent >= rate * seconds) {
        clearInterval(timer)
        process.send!({ sent, lateMs } satisfies FromChild)
      }
    }, 1)
  })
}

// ---- the parent: server, Kafka, measurement ----
async function main (): Promise<void> {
  const { devices: count, rates, seconds } = options
  const confirmable = options.con === true
  const progress = (line: string): void => { process.stderr.write(`${line}\n`) }
  let bootstrap = options.kafka
  let edge: EdgeKafka | undefined
  if (bootstrap === undefined) {
    edge = await startEdgeKafka({ name: `bench-lwm2m-${process.pid}`, progress })
    bootstrap = edge.bootstrap
  }
  const kafka = createKafkaClient({ bootstrap: [bootstrap], clientId: 'bench-lwm2m' })
  const server = new Lwm2mServer({ port: 0, autoObserve: ['/3303/0/5700'] })
  await server.start()
  const bridge = new KafkaBridge({ server, kafka, gateway: `bench${process.pid}`, log: progress })
  await bridge.start()
  const child = forkRole(fileURLToPath(import.meta.url), ['--child', '--port', String(server.address().port), '--devices', String(count), ...(confirmable ? ['--con'] : [])])
  // the child answers once its devices are observed (30 s at most) and after each step's `seconds` of sending
  const answerMs = (seconds + 300) * 1000
  const cleanUp = async (): Promise<void> => {
    if (child.connected) child.send({ stop: true } satisfies ToChild)
    await exited(child)
    await bridge.stop()
    await server.stop()
    await kafka.close()
    await edge?.stop()
  }
  process.once('SIGINT', () => { void cleanUp().finally(() => process.exit(130)) })
  try {
    const reg = await nextMessage<{ registered: number }>(child, answerMs)
    for (let i = 0; i < 300 && server.observations().length < count; i++) await sleep(100)
    progress(`${reg.registered} devices registered, ${server.observations().length} observed; ${rates.length} steps of ${seconds}s, ${confirmable ? 'CON' : 'NON'} notifications`)
    const rows: Array<Array<string | number>> = []
    for (const rate of rates) {
      const before = server.snapshot().counters
      const drops0 = udpReceiveBufferDrops()
      const cpu0 = process.cpuUsage()
      const t0 = performance.now()
      child.send({ run: { rate, seconds } } satisfies ToChild)
      const done = await nextMessage<{ sent: number, lateMs: number }>(child, answerMs)
      const sendWindowMs = performance.now() - t0
      // what arrived within the send window: the rates are counted over the window they are divided by
      const inWindow = server.snapshot().counters
      // Drain: wait until the server has every datagram it will get and Kafka acknowledged what it encoded.
      const drainEnd = Date.now() + 15_000
      let c = server.snapshot().counters
      for (;;) {
        await sleep(100)
        const now = server.snapshot().counters
        const settled = (now['lwm2m.kafka.acked'] ?? 0) === (c['lwm2m.kafka.acked'] ?? 0) && (now['lwm2m.notify.received'] ?? 0) === (c['lwm2m.notify.received'] ?? 0)
        c = now
        if ((settled && (c['lwm2m.kafka.acked'] ?? 0) - (before['lwm2m.kafka.acked'] ?? 0) >= (c['lwm2m.bridge.observations'] ?? 0) - (before['lwm2m.bridge.observations'] ?? 0)) || Date.now() > drainEnd) break
      }
      const cpu = process.cpuUsage(cpu0)
      const wallMs = performance.now() - t0
      const delta = (n: string): number => (c[n] ?? 0) - (before[n] ?? 0)
      const received = delta('lwm2m.notify.received')
      const windowDelta = (n: string): number => (inWindow[n] ?? 0) - (before[n] ?? 0)
      const acked = delta('lwm2m.kafka.acked')
      const cpuMs = (cpu.user + cpu.system) / 1000
      rows.push([rate.toLocaleString('en-US'), Math.round(done.sent * 1000 / sendWindowMs).toLocaleString('en-US'),
        Math.round(windowDelta('lwm2m.notify.received') * 1000 / sendWindowMs).toLocaleString('en-US'), Math.round(windowDelta('lwm2m.bridge.observations') * 1000 / sendWindowMs).toLocaleString('en-US'),
        Math.round(acked * 1000 / wallMs).toLocaleString('en-US'), done.sent - received, udpReceiveBufferDrops() - drops0, (cpuMs * 100 / wallMs).toFixed(0),
        received > 0 ? (cpuMs * 1000 / received).toFixed(1) : '-', `${Math.round(wallMs - sendWindowMs)}`])
      progress(`  ${rate}/s: sent ${done.sent}, received ${received}, acked ${acked}, send lateness max ${done.lateMs.toFixed(0)} ms`)
    }
    console.log(`bench:lwm2m-server  ${new Date().toISOString()}  ${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}, Node ${process.versions.node}, ${count} devices, ${seconds}s per step, ${confirmable ? 'CON' : 'NON'}, edge Kafka ${bootstrap}`)
    console.log(table(['TARGET/S', 'SENT/S', 'RECEIVED/S', 'AVRO/S', 'ACKED/S', 'LOST', 'KERNEL DROPS', 'SERVER CPU %', 'CPU µs/NOTIF', 'DRAIN MS'], rows))
    console.log('SENT/S, RECEIVED/S, AVRO/S: counted within the send window and divided by it; ACKED/S: Kafka acknowledgements over the send window and the drain, divided by both. SERVER CPU: this process (server, Avro, KafkaJS producer) over the step and its drain; 100 % is one core. LOST: sent - received after the drain; KERNEL DROPS: UDP datagrams the kernel dropped for a full receive buffer during the step (whole machine).')
  } finally {
    await cleanUp()
  }
}

if (options.child === true) {
  await devices(options.port ?? 0, options.devices, options.con === true)
} else {
  await main()
}
