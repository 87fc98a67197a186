// `npm run bench:lwm2m`: issue 3's figures in one run, printed as one table (a benchmark, not a test).
//   1. fleetlab's server bridged to a real edge Kafka (one broker through the platform code, process runtime): the
//      simulator figures (notifications/s, CPU, send lateness p99, memory per registered idle device) and the
//      server's (notifications/s received, encoded in Avro and acknowledged by Kafka, CPU);
//   2. fleetlab's server alone, and 3. Eclipse Leshan's server (the harness, fleetlabTrace, events off), under the
//      same device load one after the other: notifications/s handled and CPU per 1,000 notifications, as a ratio;
//      both servers ask for the same UDP receive buffer (RECV_BUFFER_BYTES), and what each socket got is printed;
//   4. Leshan's Java client measured, not assumed: one JVM hosting --leshan-clients stock Leshan clients registered to
//      our server, heap and RSS after GC with N clients minus with 0, per client, beside our simulator's per device.
// Every run: a server process, and a simulator process of N devices at R notifications/s each (SenML CBOR, traced);
// devices register, sit idle (their memory is taken), are observed on /3303/0/5700 by the server, settle, then the
// window of S seconds is measured. CPU of each process comes from /proc/<pid>/stat, so nothing shares a process with
// what it measures. The receive buffer a server's socket got is read back with ss (sk_rcvbuf) for both, and for
// Leshan also by the harness (DatagramSocket.getReceiveBufferSize()). All traffic stays on 127.0.0.0/8. --help lists
// the options; the server and simulator processes are this script with the hidden --role server [--kafka <host:port>]
// and --role sim --port <p> --count <n> --rate <r>.
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Option } from 'commander'
import { table } from '../../cli/format.ts'
import { sleep } from '../../lib/time.ts'
import { createKafkaClient } from '../../platform/kafka/index.ts'
import { leshanVersion, startLeshanClients, startLeshanServer } from '../../platform/leshan/harness.ts'
import type { LeshanClients, LeshanClientsMemory, LeshanServer } from '../../platform/leshan/harness.ts'
import { KafkaBridge } from '../../platform/lwm2m-server/kafka-bridge.ts'
import type { MetricsSnapshot } from '../../platform/lwm2m-server/metrics.ts'
import { Lwm2mServer } from '../../platform/lwm2m-server/server.ts'
import { Fleet, endpointName } from '../../simulator/fleet.ts'
import { benchCommand, choiceArg, countArg, hostPortArg, numberArg, parseBench } from '../lib/bench-options.ts'
import { ask, exited, forkRole, gcMemory, nextMessage, processCpuMs, tallyFleet, udpReceiveBufferDrops, udpSocketReceiveBuffer } from '../lib/bench-process.ts'
import { startEdgeKafka } from '../lib/edge-kafka.ts'

const self = fileURLToPath(import.meta.url)
const PATH = '/3303/0/5700'
const FORMAT = 112 // SenML CBOR
const PREFIX = 'bench-'
/** The UDP receive buffer (SO_RCVBUF) both servers ask for: our server's default (platform/lwm2m-server/server.ts). */
const RECV_BUFFER_BYTES = 4 << 20
/** Seconds the Leshan clients sit registered and idle before their memory is taken. */
const LESHAN_CLIENTS_SETTLE_S = 3
/** The goals (issue 3); "met" is decided from these and nothing else. */
const GOALS = {
  /** Notifications/s: the simulator sends, and Kafka acknowledges, at least this fraction of the target. */
  rateFraction: 0.99,
  simulatorCores: 1,
  latenessP99Ms: 10,
  idleDeviceBytes: 10 * 1024,
  serverAckedPerS: 10_000,
  serverCores: 1,
}
const shortfall = `-${Math.round((1 - GOALS.rateFraction) * 100)} %`

interface Options {
  devices: number, rate: number, seconds: number, leshan: boolean, leshanClients: number,
  /** false: --no-kafka; a string: the server role's edge Kafka. */
  kafka?: string | false
  role: 'main' | 'server' | 'sim', port?: number, count?: number
}
const options = parseBench<Options>(benchCommand('lwm2m',
  'issue 3\'s figures in one run, as one table: the simulator, fleetlab\'s LWM2M server bridged to a real edge Kafka, and ' +
  'fleetlab\'s server alone and Eclipse Leshan\'s server under the same device load, one after the other; each server and ' +
  'the simulator in its own process, CPU from /proc')
  .option('--devices <n>', 'devices of the simulator in every run', countArg('--devices', 1), 10_000)
  .option('--rate <n>', 'notifications per second of each device', numberArg('--rate'), 1)
  .option('--seconds <s>', 'seconds measured in every run, after registration, observation and 3 s of settling', numberArg('--seconds'), 20)
  .option('--leshan-clients <n>', 'stock Leshan clients in one JVM, registered to our server, for the memory per Leshan client (0: not measured)',
    countArg('--leshan-clients', 0), 200)
  .option('--no-leshan', 'nothing of Eclipse Leshan: no run against its server, no Leshan clients measured')
  // before --no-kafka, so that no --kafka leaves `kafka` undefined (the server role) rather than true
  .addOption(new Option('--kafka <host:port>', 'internal: the server role\'s edge Kafka').argParser(hostPortArg('--kafka')).hideHelp())
  .option('--no-kafka', 'no edge Kafka and no ours + edge Kafka run; the simulator\'s figures then come from the LWM2M-only run')
  .addOption(new Option('--role <role>', 'internal: the process\'s part').argParser(choiceArg('--role', ['main', 'server', 'sim'] as const)).default('main').hideHelp())
  .addOption(new Option('--port <port>', 'internal: the sim role\'s server port').argParser(countArg('--port', 1, 65_535, 'a port 1-65535')).hideHelp())
  .addOption(new Option('--count <n>', 'internal: the sim role\'s devices').argParser(countArg('--count', 1)).hideHelp())
  .addHelpText('after', `
Figures (GOAL MET: met or NOT MET): the simulator's notifications/s sent (goal >= the devices x rate, ${shortfall}), CPU
(goal <= ${GOALS.simulatorCores} core), send lateness p50/p99/max (goal p99 < ${GOALS.latenessP99Ms} ms), memory per registered idle device (goal
< ${GOALS.idleDeviceBytes / 1024} KB); ours + edge Kafka: notifications/s received, in Avro and acked by Kafka (goal acked >=
${GOALS.serverAckedPerS.toLocaleString('en-US')}/s ${shortfall} on <= ${GOALS.serverCores} core), server CPU; ours alone and Leshan: notifications/s handled, CPU, CPU per 1,000
notifications, and the two side by side as ratios; Leshan clients: memory per registered idle client (heap / RSS,
measured in this run) and Leshan client / our simulated device as ratios. Both servers ask for a ${RECV_BUFFER_BYTES / 1024 / 1024} MiB UDP receive
buffer; each run's line says what its socket got.`))

// ---- role: our server (with the Kafka bridge when --kafka is given) ----

type ServerCommand = { cmd: 'snapshot' } | { cmd: 'observe' } | { cmd: 'exit' }

async function serverRole (kafkaBootstrap: string | undefined): Promise<void> {
  const server = new Lwm2mServer({ port: 0, autoObserve: [], recvBufferSize: RECV_BUFFER_BYTES })
  await server.start()
  const kafka = kafkaBootstrap === undefined ? undefined : createKafkaClient({ bootstrap: [kafkaBootstrap], clientId: 'bench-lwm2m' })
  const bridge = kafka === undefined ? undefined : new KafkaBridge({ server, kafka, gateway: `bench${process.pid}`, log: line => process.stderr.write(`  server: ${line}\n`) })
  await bridge?.start()
  process.on('message', (m: ServerCommand) => {
    if (m.cmd === 'snapshot') process.send!(server.snapshot())
    else if (m.cmd === 'observe') void observeAll(server).then(r => process.send!(r))
    else {
      void (async () => {
        await bridge?.stop()
        await server.stop()
        await kafka?.close()
        process.send!({ stopped: true }, () => process.exit(0))
      })()
    }
  })
  process.send!({ port: server.address().port })
}

/** Observes PATH on every registered device, 200 requests at a time. */
async function observeAll (server: Lwm2mServer): Promise<{ observed: number, failed: number }> {
  const endpoints = [...server.registrations.all()].map(r => r.endpoint)
  let observed = 0
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < endpoints.length) {
      const r = await server.observe(endpoints[next++]!, PATH, { format: FORMAT })
      if (r.observation !== undefined) observed++
    }
  }
  await Promise.all(Array.from({ length: 200 }, worker))
  return { observed, failed: endpoints.length - observed }
}

// ---- role: the simulator ----

interface Registered { registerSeconds: number, heapPerDevice: number, rssPerDevice: number, failures: number }
interface Window { sent: number, p50: number, p99: number, max: number, late: number }
type SimCommand = { cmd: 'observing' } | { cmd: 'start' } | { cmd: 'end' } | { cmd: 'stop' }

async function simRole (port: number, count: number, rate: number): Promise<void> {
  const before = gcMemory()
  const fleet = new Fleet({
    protocol: 'lwm2m',
    driver: { server: { host: '127.0.0.1', port }, lifetimeS: 600, ratePerS: rate, format: FORMAT, objects: [{ objectId: 3303, instances: 1 }], capacity: count },
    count, endpointPrefix: PREFIX, placement: { firstAddress: '127.0.0.1', perAddress: 10_000 }, registrationRate: 2000, seed: 11,
  })
  const tally = tallyFleet(fleet.events)
  const t0 = performance.now()
  fleet.start()
  await fleet.allRegistered(180_000)
  const registerSeconds = (performance.now() - t0) / 1000
  await sleep(1000)
  const idle = gcMemory()
  process.send!({ registerSeconds, heapPerDevice: (idle.heap - before.heap) / count, rssPerDevice: (idle.rss - before.rss) / count, failures: fleet.counts.registrationFailures } satisfies Registered)
  let sent0 = 0
  let late0 = 0
  process.on('message', (m: SimCommand) => {
    if (m.cmd === 'observing') process.send!({ observing: tally.observing })
    else if (m.cmd === 'start') {
      tally.lateness.reset()
      sent0 = tally.sent
      late0 = tally.late
      process.send!({ started: true })
    } else if (m.cmd === 'end') {
      const { lateness } = tally
      process.send!({ sent: tally.sent - sent0, p50: lateness.percentile(50), p99: lateness.percentile(99), max: lateness.max, late: tally.late - late0 } satisfies Window)
    } else void fleet.stop().then(r => process.send!(r, () => process.exit(0)))
  })
}

// ---- one run: a server, a fleet, a measured window ----

type Target = 'ours+kafka' | 'ours' | 'leshan'

interface RunResult {
  target: Target
  registered: Registered
  observed: number
  sim: Window & { cpuMs: number }
  server: { cpuMs: number, received: number, avro: number, acked: number, queueAtEnd: number }
  wallMs: number
  kernelDrops: number
  recvBuffer: RecvBuffer
}

/** The UDP receive buffer a server asked for, and what its socket got as `how` read it back (undefined: unknown). */
interface RecvBuffer { askedBytes: number, gotBytes: number | undefined, how: string }

interface ServerHandle { port: number, pid: number, recvBuffer: RecvBuffer, count (): Promise<{ received: number, avro: number, acked: number, queue: number }>, observe (count: number): Promise<number>, stop (): Promise<void> }

async function ourServer (kafka: string | undefined): Promise<ServerHandle> {
  const child = forkRole(self, ['--role', 'server', ...(kafka !== undefined ? ['--kafka', kafka] : [])])
  const { port } = await nextMessage<{ port: number }>(child, 120_000)
  return {
    port,
    pid: child.pid!,
    recvBuffer: { askedBytes: RECV_BUFFER_BYTES, gotBytes: udpSocketReceiveBuffer(port), how: 'sk_rcvbuf from ss -m' },
    async count () {
      const s = await ask<MetricsSnapshot>(child, { cmd: 'snapshot' } satisfies ServerCommand)
      const c = (n: string): number => s.counters[n] ?? 0
      return { received: c('lwm2m.notify.received'), avro: c('lwm2m.bridge.observations'), acked: c('lwm2m.kafka.acked'), queue: s.gauges['lwm2m.kafka.queue'] ?? 0 }
    },
    async observe () { return (await ask<{ observed: number }>(child, { cmd: 'observe' } satisfies ServerCommand)).observed },
    async stop () { await ask(child, { cmd: 'exit' } satisfies ServerCommand, 30_000).catch(() => {}); await exited(child) },
  }
}

async function leshanServer (): Promise<ServerHandle> {
  const leshan: LeshanServer = await startLeshanServer({ fleetlabTrace: true, eventCapacity: 0, heapMb: 1024, recvBufferBytes: RECV_BUFFER_BYTES })
  const reported = leshan.coapRecvBuffer.gotBytes
  const ss = udpSocketReceiveBuffer(leshan.coapPort)
  return {
    port: leshan.coapPort,
    pid: leshan.pid,
    // ss for both servers, so the two lines compare; the JVM's own reading as well (the JDK halves SO_RCVBUF on Linux)
    recvBuffer: ss !== undefined || reported === undefined
      ? { askedBytes: RECV_BUFFER_BYTES, gotBytes: ss, how: `sk_rcvbuf from ss -m${reported !== undefined ? `; the JVM's DatagramSocket.getReceiveBufferSize(): ${reported.toLocaleString('en-US')}, halved by the JDK` : ''}` }
      : { askedBytes: RECV_BUFFER_BYTES, gotBytes: reported, how: 'the JVM\'s DatagramSocket.getReceiveBufferSize(), halved by the JDK on Linux' },
    async count () { const s = await leshan.stats(); return { received: s.notifications, avro: 0, acked: 0, queue: 0 } },
    async observe (count) {
      let observed = 0
      let next = 0
      const worker = async (): Promise<void> => {
        while (next < count) {
          const r = await leshan.observe(endpointName(PREFIX, next++, count), PATH, { format: 'SENML_CBOR', timeoutS: 10 }).catch(() => undefined)
          if (r?.success === true) observed++
        }
      }
      await Promise.all(Array.from({ length: 64 }, worker))
      return observed
    },
    stop: () => leshan.stop(),
  }
}

async function run (target: Target, o: { devices: number, rate: number, seconds: number, kafka?: string }, progress: (line: string) => void): Promise<RunResult> {
  const server = target === 'leshan' ? await leshanServer() : await ourServer(target === 'ours+kafka' ? o.kafka : undefined)
  let sim: ChildProcess | undefined
  try {
    progress(`${target}: server pid ${server.pid} on udp 127.0.0.1:${server.port} (receive buffer ${server.recvBuffer.gotBytes ?? 'unknown'} B); ${o.devices} devices registering`)
    sim = forkRole(self, ['--role', 'sim', '--port', String(server.port), '--count', String(o.devices), '--rate', String(o.rate)], { gc: true })
    const registered = await nextMessage<Registered>(sim)
    const observed = await server.observe(o.devices)
    for (let i = 0; i < 300; i++) {
      if ((await ask<{ observing: number }>(sim, { cmd: 'observing' })).observing >= observed) break
      await sleep(100)
    }
    progress(`${target}: registered in ${registered.registerSeconds.toFixed(1)} s, ${observed} observed; settling 3 s, then ${o.seconds} s measured`)
    await sleep(3000)
    const drops0 = udpReceiveBufferDrops()
    await ask(sim, { cmd: 'start' })
    const [serverCpu0, simCpu0, count0] = await Promise.all([processCpuMs(server.pid), processCpuMs(sim.pid!), server.count()])
    const t0 = performance.now()
    await sleep(o.seconds * 1000)
    const [serverCpu1, simCpu1, count1] = await Promise.all([processCpuMs(server.pid), processCpuMs(sim.pid!), server.count()])
    const wallMs = performance.now() - t0
    const window = await ask<Window>(sim, { cmd: 'end' })
    const kernelDrops = udpReceiveBufferDrops() - drops0
    return {
      target, registered, observed, wallMs, kernelDrops, recvBuffer: server.recvBuffer,
      sim: { ...window, cpuMs: simCpu1 - simCpu0 },
      server: { cpuMs: serverCpu1 - serverCpu0, received: count1.received - count0.received, avro: count1.avro - count0.avro, acked: count1.acked - count0.acked, queueAtEnd: count1.queue },
    }
  } finally {
    if (sim !== undefined) { await ask(sim, { cmd: 'stop' }, 60_000).catch(() => {}); await exited(sim) }
    await server.stop()
  }
}

// ---- Leshan clients: one JVM, 0 then N stock clients registered to our server ----

interface LeshanClientFigures {
  count: number, registered: number, failures: number, registerSeconds: number, heapMb: number
  /** A JVM with no client ever started; the same JVM with 0 clients after one started and stopped; with `count`. */
  cold: LeshanClientsMemory, zero: LeshanClientsMemory, full: LeshanClientsMemory
  heapPerClient: number, rssPerClient: number
}

async function measureLeshanClients (count: number, progress: (line: string) => void): Promise<LeshanClientFigures> {
  const server = await ourServer(undefined)
  const heapMb = 256 + 2 * count
  let clients: LeshanClients | undefined
  try {
    clients = await startLeshanClients({ serverUrl: `coap://127.0.0.1:${server.port}`, prefix: 'leshan-', lifetime: 600, heapMb })
    progress(`leshan clients: JVM pid ${clients.pid}, our server pid ${server.pid} on udp 127.0.0.1:${server.port}; 0 clients, then one started and stopped, then ${count}`)
    const cold = await clients.memory()
    // one client started and stopped: the client classes are loaded (and their statics initialised) before the
    // baseline, as our modules are before the simulator's
    await clients.resize(1)
    await clients.resize(0)
    const zero = await clients.memory()
    const state = await clients.resize(count)
    progress(`leshan clients: ${state.registered}/${state.running} registered in ${(state.ms / 1000).toFixed(1)} s (${state.failures} failed attempts); idle ${LESHAN_CLIENTS_SETTLE_S} s`)
    await sleep(LESHAN_CLIENTS_SETTLE_S * 1000)
    const full = await clients.memory()
    return {
      count, registered: full.registered, failures: state.failures, registerSeconds: state.ms / 1000, heapMb, cold, zero, full,
      heapPerClient: (full.heapUsedBytes - zero.heapUsedBytes) / count,
      rssPerClient: (full.rssBytes - zero.rssBytes) / count,
    }
  } finally {
    await clients?.stop()
    await server.stop()
  }
}

// ---- the table ----

function report (runs: RunResult[], o: { devices: number, rate: number, seconds: number }, clients: LeshanClientFigures | undefined): void {
  const n = (x: number): string => Math.round(x).toLocaleString('en-US')
  const kb = (b: number): string => `${(b / 1024).toFixed(1)} KB`
  const perS = (x: number, r: RunResult): number => x * 1000 / r.wallMs
  const cores = (cpuMs: number, r: RunResult): number => cpuMs / r.wallMs
  const per1000 = (r: RunResult): number => r.server.cpuMs / (r.server.received / 1000)
  const goal = (ok: boolean): string => ok ? 'met' : 'NOT MET'
  const offered = o.devices * o.rate
  const rows: Array<Array<string | number>> = []
  const first = runs[0]!
  const idlePerDevice = Math.max(first.registered.heapPerDevice, first.registered.rssPerDevice)
  rows.push(
    ['simulator', 'notifications/s sent', n(perS(first.sim.sent, first)), `>= ${n(offered)} (${shortfall})`, goal(perS(first.sim.sent, first) >= offered * GOALS.rateFraction)],
    ['simulator', 'CPU', `${cores(first.sim.cpuMs, first).toFixed(2)} core`, `<= ${GOALS.simulatorCores} core`, goal(cores(first.sim.cpuMs, first) <= GOALS.simulatorCores)],
    ['simulator', 'send lateness p50 / p99 / max', `${first.sim.p50.toFixed(2)} / ${first.sim.p99.toFixed(2)} / ${first.sim.max.toFixed(1)} ms`, `p99 < ${GOALS.latenessP99Ms} ms`, goal(first.sim.p99 < GOALS.latenessP99Ms)],
    ['simulator', 'memory per registered idle device (heap+ext / RSS)', `${kb(first.registered.heapPerDevice)} / ${kb(first.registered.rssPerDevice)}`, `< ${GOALS.idleDeviceBytes / 1024} KB`, goal(idlePerDevice < GOALS.idleDeviceBytes)],
  )
  if (clients !== undefined) {
    rows.push(
      ['Leshan clients', `memory per registered idle client (heap / RSS), ${n(clients.count)} in one JVM`, `${kb(clients.heapPerClient)} / ${kb(clients.rssPerClient)}`, '', ''],
      ['side by side', 'Leshan client / our simulated device: memory (heap / RSS)',
        `${(clients.heapPerClient / first.registered.heapPerDevice).toFixed(1)}x / ${(clients.rssPerClient / first.registered.rssPerDevice).toFixed(1)}x`, '', ''],
    )
  }
  for (const r of runs) {
    const rate = perS(r.server.received, r)
    if (r.target === 'ours+kafka') {
      const acked = perS(r.server.acked, r)
      rows.push(
        ['ours + edge Kafka', 'notifications/s received / in Avro / acked by Kafka', `${n(rate)} / ${n(perS(r.server.avro, r))} / ${n(acked)}`,
          `acked >= ${n(GOALS.serverAckedPerS)} (${shortfall}) on <= ${GOALS.serverCores} core`,
          goal(acked >= GOALS.serverAckedPerS * GOALS.rateFraction && cores(r.server.cpuMs, r) <= GOALS.serverCores)],
        ['ours + edge Kafka', 'server CPU; CPU per 1,000 notifications', `${cores(r.server.cpuMs, r).toFixed(2)} core; ${per1000(r).toFixed(1)} ms`, '', ''],
      )
    } else {
      const name = r.target === 'ours' ? 'ours (LWM2M only)' : `Leshan ${leshanVersion} server`
      rows.push([name, 'notifications/s handled; CPU; CPU per 1,000', `${n(rate)}; ${cores(r.server.cpuMs, r).toFixed(2)} core; ${per1000(r).toFixed(1)} ms`, '', ''])
    }
  }
  const ours = runs.find(r => r.target === 'ours')
  const leshan = runs.find(r => r.target === 'leshan')
  if (ours !== undefined && leshan !== undefined) {
    rows.push(['side by side', 'Leshan / ours: CPU per 1,000 notifications', `${(per1000(leshan) / per1000(ours)).toFixed(2)}x`, '', ''],
      ['side by side', 'ours / Leshan: notifications/s handled', `${(ours.server.received / ours.wallMs / (leshan.server.received / leshan.wallMs)).toFixed(3)}x`, '', ''])
  }
  console.log(table(['AREA', 'FIGURE', 'VALUE', 'GOAL', 'GOAL MET'], rows))
  console.log('')
  for (const r of runs) {
    console.log(`${r.target}: ${r.observed}/${o.devices} observed, registered in ${r.registered.registerSeconds.toFixed(1)} s (${r.registered.failures} failed attempts); ` +
      `window ${(r.wallMs / 1000).toFixed(1)} s: simulator sent ${n(r.sim.sent)} (${r.sim.late} late > 10 ms, ${cores(r.sim.cpuMs, r).toFixed(2)} core), server handled ${n(r.server.received)}` +
      `${r.target === 'ours+kafka' ? `, Kafka acked ${n(r.server.acked)}, queue at the end ${r.server.queueAtEnd}` : ''}; kernel UDP receive-buffer drops ${r.kernelDrops} (machine-wide)`)
  }
  const rmemMax = (() => { try { return Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim()) } catch { return undefined } })()
  for (const r of runs) {
    const b = r.recvBuffer
    console.log(`${r.target === 'leshan' ? `Leshan ${leshanVersion} server` : `${r.target} server`}: UDP receive buffer asked for ${n(b.askedBytes)} B, ` +
      `the socket got ${b.gotBytes === undefined ? 'unknown' : `${n(b.gotBytes)} B`} (${b.how}; Linux doubles what it grants, up to twice net.core.rmem_max` +
      `${rmemMax !== undefined && Number.isFinite(rmemMax) ? ` = ${n(rmemMax)}` : ''})`)
  }
  console.log(`simulator memory per registered idle device (${first.target} run): (heap used + external, and RSS, of the simulator process after ` +
    `3 forced GCs with ${n(o.devices)} devices registered and idle 1 s) - (the same before the fleet started), / ${n(o.devices)}`)
  if (clients !== undefined) {
    const { cold, zero, full } = clients
    const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MB`
    console.log(`Leshan clients: ${n(clients.count)} stock Leshan ${leshanVersion} clients (CoAP/UDP, objects 0 1 3 3303; each with its own Californium ` +
      `endpoint, socket and threads; object model and sensor ticker shared) in one JVM (-XX:+UseSerialGC -Xmx${clients.heapMb}m), registered to our server ` +
      `in ${clients.registerSeconds.toFixed(1)} s (${clients.registered}/${clients.count} registered at the measurement, ${clients.failures} failed attempts), idle ${LESHAN_CLIENTS_SETTLE_S} s`)
    console.log(`  per client = (the JVM after System.gc() x3 with ${n(clients.count)} clients - the same JVM after System.gc() x3 with 0 clients, ` +
      `one client having started and stopped) / ${n(clients.count)}: heap used (MemoryMXBean) ${mb(zero.heapUsedBytes)} -> ${mb(full.heapUsedBytes)}, ` +
      `RSS (VmRSS) ${mb(zero.rssBytes)} -> ${mb(full.rssBytes)}; also non-heap used ${mb(zero.nonHeapUsedBytes)} -> ${mb(full.nonHeapUsedBytes)}, ` +
      `heap committed ${mb(zero.heapCommittedBytes)} -> ${mb(full.heapCommittedBytes)}, threads ${zero.threads} -> ${full.threads}`)
    console.log(`  before any client had started: heap used ${mb(cold.heapUsedBytes)}, RSS ${mb(cold.rssBytes)}, threads ${cold.threads}`)
  }
}

async function main (): Promise<void> {
  const o = { devices: options.devices, rate: options.rate, seconds: options.seconds }
  const progress = (line: string): void => { process.stderr.write(`${line}\n`) }
  const started = new Date()
  const load0 = loadavg()
  const kafka = options.kafka === false ? undefined : await startEdgeKafka({ name: `bench-lwm2m-${process.pid}`, progress })
  const runs: RunResult[] = []
  try {
    const targets: Target[] = [kafka !== undefined ? 'ours+kafka' : 'ours', ...(kafka !== undefined ? ['ours' as const] : []), ...(options.leshan ? ['leshan' as const] : [])]
    for (const target of targets) runs.push(await run(target, { ...o, ...(kafka !== undefined ? { kafka: kafka.bootstrap } : {}) }, progress))
  } finally {
    await kafka?.stop()
  }
  const clients = options.leshan && options.leshanClients > 0 ? await measureLeshanClients(options.leshanClients, progress) : undefined
  console.log(`bench:lwm2m  ${started.toISOString()}  ${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}, Node ${process.version}, load average ${load0.map(l => l.toFixed(2)).join(' ')} at the start`)
  console.log(`each run: ${o.devices.toLocaleString('en-US')} devices x ${o.rate}/s, SenML CBOR with the fleetlab trace, ${PATH} observed; measured ${o.seconds} s after 3 s of settling; ` +
    'server and simulator each in its own process, CPU from /proc (1.00 core = one core busy); runs one after the other')
  console.log('')
  report(runs, o, clients)
}

if (options.role === 'server') await serverRole(typeof options.kafka === 'string' ? options.kafka : undefined)
else if (options.role === 'sim') await simRole(options.port ?? 0, options.count ?? 0, options.rate)
else await main()
