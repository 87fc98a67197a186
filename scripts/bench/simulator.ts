// Benchmark of the virtual LWM2M devices (issue 3, "Figures"), not a test:
//   1. idle: 20,000 devices register (capped by the file descriptors this process may open), then sit idle for 5 s:
//      memory per registered idle device (goal < 10 KB; bench:lwm2m measures Leshan's Java clients beside it), idle CPU;
//   2. notify: 10,000 devices notify once a second each for 20 s: notifications/s achieved, send lateness p50/p99
//      (from the intended send time), CPU of the simulator process (goal <= 1 core), memory per device.
// Three processes, so the simulator is measured alone: this one orchestrates, a sink child plays the LWM2M server
// (registers devices, observes /3303/0/5700, counts notifications and gaps in their Observe numbers), and a
// simulator child per phase runs the fleet with --expose-gc. All traffic stays on 127.0.0.0/8. `npm run
// bench:simulator`; --help lists the options. The children are this script with the hidden --role sink [--observe
// <path>] and --role sim --port <p> --count <n> (and --seconds, --rate, --format).
import { createSocket } from 'node:dgram'
import type { RemoteInfo } from 'node:dgram'
import { fileURLToPath } from 'node:url'
import { Option } from 'commander'
import { formatBytes, table } from '../../cli/format.ts'
import { Code, OptionNumber, decode, encode, encodeUint, observe, stringOption, uriPath } from '../../lib/coap/index.ts'
import { parseContentFormat } from '../../lib/lwm2m/content-format.ts'
import { sleep } from '../../lib/time.ts'
import { Fleet } from '../../simulator/fleet.ts'
import { descriptorBudget } from '../../simulator/placement.ts'
import type { NotifyFormat } from '../../simulator/lwm2m/options.ts'
import { InvalidConfigError } from '../../lib/errors.ts'
import { benchCommand, choiceArg, countArg, numberArg, parseBench } from '../lib/bench-options.ts'
import { ask, exited, forkRole, gcMemory, nextMessage, tallyFleet } from '../lib/bench-process.ts'

const self = fileURLToPath(import.meta.url)
/** The goals (issue 3); "met" is decided from these and nothing else. */
const GOALS = {
  /** Notifications/s: at least this fraction of the devices x rate. */
  rateFraction: 0.99,
  simulatorCores: 1,
  latenessP99Ms: 10,
  idleDeviceBytes: 10 * 1024,
}
const NOTIFY_FORMATS: readonly NotifyFormat[] = [110, 112, 11542]

/** A content format the devices can notify in (lib/lwm2m/content-format.ts names or numbers), kept as given. */
function formatArg (value: string): string {
  let id: number | undefined
  try { id = parseContentFormat(value) } catch { id = undefined }
  if (id === undefined || !(NOTIFY_FORMATS as readonly number[]).includes(id)) {
    throw new InvalidConfigError([`--format: expected senml-json, senml-cbor or tlv (or ${NOTIFY_FORMATS.join(', ')}), got ${value}`])
  }
  return value
}

interface Options {
  idle: number, notify: number, seconds: number, rate: number, format: string
  role: 'main' | 'sink' | 'sim', observe?: string, port?: number, count?: number
}
const options = parseBench<Options>(benchCommand('simulator',
  'the virtual LWM2M devices, measured alone in their own process against a minimal LWM2M server that counts: an idle ' +
  'phase (devices register, then sit idle for 5 s: memory per registered idle device, idle CPU) and a notify phase (every ' +
  'device notifies at --rate for --seconds: notifications/s, send lateness, the simulator\'s CPU, memory per device)')
  .option('--idle <n>', 'devices of the idle phase (capped by the file descriptors this process may open)', countArg('--idle', 1), 20_000)
  .option('--notify <n>', 'devices of the notify phase', countArg('--notify', 1), 10_000)
  .option('--seconds <s>', 'seconds measured in the notify phase', numberArg('--seconds'), 20)
  .option('--rate <n>', 'notifications per second of each device', numberArg('--rate'), 1)
  .option('--format <format>', 'notification format: senml-json, senml-cbor or tlv (or a content format number)', formatArg, 'senml-cbor')
  .addOption(new Option('--role <role>', 'internal: the process\'s part').argParser(choiceArg('--role', ['main', 'sink', 'sim'] as const)).default('main').hideHelp())
  .addOption(new Option('--observe <path>', 'internal: the sink role observes this path on every device').hideHelp())
  .addOption(new Option('--port <port>', 'internal: the sim role\'s server port').argParser(countArg('--port', 1, 65_535, 'a port 1-65535')).hideHelp())
  .addOption(new Option('--count <n>', 'internal: the sim role\'s devices').argParser(countArg('--count', 0)).hideHelp())
  .addHelpText('after', `
Columns: devices, registration seconds, notifications/s, send lateness p50/p99/max (from the intended send time), late
notifications, the simulator's CPU, heap+external and RSS per device, failed registrations; then the notifications
lost and the gaps in their Observe numbers. Goals (met or MISSED): >= the devices x rate notifications/s (-${Math.round((1 - GOALS.rateFraction) * 100)} %), the
simulator's CPU <= ${GOALS.simulatorCores} core, lateness p99 < ${GOALS.latenessP99Ms} ms, idle memory < ${GOALS.idleDeviceBytes / 1024} KB per device (bench:lwm2m measures Leshan's Java clients' memory beside it).`))
const { role } = options

// ---- the sink: a minimal LWM2M server that counts ----

interface SinkStats { registered: number, deregistered: number, observed: number, notifications: number, gaps: number, cpuMs: number }

function sink (observePath: string | undefined): void {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 })
  let nextId = 1
  let mid = 1
  const stats: SinkStats = { registered: 0, deregistered: 0, observed: 0, notifications: 0, gaps: 0, cpuMs: 0 }
  const lastObserve = new Map<number, number>() // token -> last Observe value
  const pathOptions = (observePath ?? '').split('/').filter(s => s !== '').map(s => stringOption(OptionNumber.URI_PATH, s))
  let token = 1
  socket.on('message', (buf: Buffer, r: RemoteInfo) => {
    let msg
    try { msg = decode(buf) } catch { return }
    if (msg.code === Code.CONTENT) {
      const t = msg.token.length === 4 ? msg.token.readUInt32BE(0) : -1
      const obs = observe(msg)
      const last = lastObserve.get(t)
      if (msg.type === 'ACK') stats.observed++
      else stats.notifications++
      if (last !== undefined && obs !== undefined && obs !== ((last + 1) & 0xffffff)) stats.gaps++
      if (obs !== undefined) lastObserve.set(t, obs)
      if (msg.type === 'CON') socket.send(encode({ type: 'ACK', code: 0, messageId: msg.messageId }), r.port, r.address)
      return
    }
    if (msg.type === 'ACK' || msg.type === 'RST') return
    const path = uriPath(msg)
    let code: number = Code.NOT_FOUND
    let options = [] as ReturnType<typeof stringOption>[]
    if (msg.code === Code.POST && path.length === 1) {
      code = Code.CREATED
      options = [stringOption(OptionNumber.LOCATION_PATH, 'rd'), stringOption(OptionNumber.LOCATION_PATH, (nextId++).toString(36))]
      stats.registered++
    } else if (msg.code === Code.POST) code = Code.CHANGED
    else if (msg.code === Code.DELETE) { code = Code.DELETED; stats.deregistered++ }
    socket.send(encode({ type: 'ACK', code, messageId: msg.messageId, token: msg.token, options }), r.port, r.address)
    if (code === Code.CREATED && observePath !== undefined) {
      const tk = Buffer.allocUnsafe(4)
      tk.writeUInt32BE(token++, 0)
      mid = (mid + 1) & 0xffff
      socket.send(encode({ type: 'CON', code: Code.GET, messageId: mid, token: tk, options: [{ number: OptionNumber.OBSERVE, value: encodeUint(0) }, ...pathOptions] }), r.port, r.address)
    }
  })
  socket.bind(0, '127.0.0.1', () => process.send!({ port: socket.address().port }))
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'stats') {
      const u = process.cpuUsage()
      process.send!({ ...stats, cpuMs: (u.user + u.system) / 1000 })
    } else if (m.cmd === 'exit') socket.close(() => process.exit(0))
  })
}

// ---- a simulator phase ----

interface PhaseResult {
  devices: number, registerSeconds: number, idleBytesPerDevice: number, rssPerDevice: number,
  notifications: number, seconds: number, cpuCores: number, p50: number, p99: number, max: number, late: number, failures: number, unclean: number
  /** Every notification of the run, the first responses to the observe requests included. */
  totalSent: number
}

async function simulate (port: number, count: number, seconds: number, rate: number, format: NotifyFormat): Promise<PhaseResult> {
  const before = gcMemory()
  const fleet = new Fleet({
    protocol: 'lwm2m',
    driver: { server: { host: '127.0.0.1', port }, lifetimeS: 300, ratePerS: rate, format, objects: [{ objectId: 3303, instances: 1 }], capacity: count },
    count, endpointPrefix: 'bench-', placement: { firstAddress: '127.0.0.1', perAddress: 10_000 }, registrationRate: 4000, seed: 7,
  })
  const tally = tallyFleet(fleet.events)
  const { lateness } = tally
  const t0 = performance.now()
  fleet.start()
  await fleet.allRegistered(120_000)
  const registerSeconds = (performance.now() - t0) / 1000
  await sleep(2000) // observations start, the storm settles
  const idle = gcMemory()
  // the forced collections above stall the loop for tens of ms: let the notifications due meanwhile go out first
  await sleep(1000)
  let notifications = 0
  let cpuCores = 0
  if (seconds > 0) {
    lateness.reset()
    tally.late = 0
    const sent0 = tally.sent
    const cpu0 = process.cpuUsage()
    const w0 = performance.now()
    await sleep(seconds * 1000)
    const cpu = process.cpuUsage(cpu0)
    const wall = performance.now() - w0
    notifications = tally.sent - sent0
    cpuCores = (cpu.user + cpu.system) / 1000 / wall
  }
  const failures = fleet.counts.registrationFailures
  const stopped = await fleet.stop()
  const totalSent = tally.sent
  return {
    devices: count, registerSeconds, idleBytesPerDevice: (idle.heap - before.heap) / count, rssPerDevice: (idle.rss - before.rss) / count,
    notifications, seconds, cpuCores, p50: lateness.percentile(50), p99: lateness.percentile(99), max: lateness.max, late: tally.late, failures, unclean: stopped.unclean,
    totalSent,
  }
}

// ---- orchestration ----

async function withSink<T> (observePath: string | undefined, run: (port: number, stats: () => Promise<SinkStats>) => Promise<T>): Promise<T> {
  const s = forkRole(self, ['--role', 'sink', ...(observePath !== undefined ? ['--observe', observePath] : [])])
  try {
    const { port } = await nextMessage<{ port: number }>(s)
    return await run(port, () => ask<SinkStats>(s, { cmd: 'stats' }))
  } finally {
    if (s.connected) s.send({ cmd: 'exit' })
    await exited(s)
  }
}

async function phase (port: number, count: number, seconds: number, rate: number, format: string): Promise<PhaseResult> {
  const p = forkRole(self, ['--role', 'sim', '--port', String(port), '--count', String(count), '--seconds', String(seconds), '--rate', String(rate), '--format', format], { gc: true })
  // registration (120 s at most), 3 s of settling, the measured seconds, then the fleet's stop
  try {
    return await nextMessage<PhaseResult>(p, (seconds + 300) * 1000)
  } finally {
    await exited(p)
  }
}

async function main (): Promise<void> {
  const { idle: idleCount, notify: notifyCount, seconds, rate, format } = options
  // a child has the same limit as this process, minus what Node and tsx themselves hold
  const budget = descriptorBudget(100)
  const idleDevices = Math.min(idleCount, budget.free)
  console.log(`fleetlab simulator bench, Node ${process.version}, ${(await import('node:os')).cpus().length} CPUs, RLIMIT_NOFILE ${budget.limit}`)
  if (idleDevices < idleCount) console.log(`note: ${idleCount} devices asked, ${idleDevices} fit this process's file descriptor limit (one socket each)`)

  const idle = await withSink(undefined, async (port, stats) => {
    const r = await phase(port, idleDevices, 5, rate, format)
    return { r, s: await stats() }
  })
  const notify = await withSink('/3303/0/5700', async (port, stats) => {
    const r = await phase(port, notifyCount, seconds, rate, format)
    const s = await stats()
    return { r, received: s.notifications + s.observed, gaps: s.gaps }
  })

  const kb = (b: number): string => `${(b / 1024).toFixed(1)} KB`
  console.log('')
  console.log(table(['PHASE', 'DEVICES', 'REGISTER (s)', 'NOTIFY/S', 'LATENESS P50', 'P99', 'MAX', 'LATE', 'SIM CPU', 'HEAP+EXT/DEV', 'RSS/DEV', 'REG FAIL'], [
    ['idle (5 s)', idle.r.devices, idle.r.registerSeconds.toFixed(1), '-', '-', '-', '-', '-', `${idle.r.cpuCores.toFixed(2)} core`, kb(idle.r.idleBytesPerDevice), kb(idle.r.rssPerDevice), idle.r.failures],
    [`notify ${rate}/s x ${seconds}s`, notify.r.devices, notify.r.registerSeconds.toFixed(1), Math.round(notify.r.notifications / seconds),
      `${notify.r.p50.toFixed(2)} ms`, `${notify.r.p99.toFixed(2)} ms`, `${notify.r.max.toFixed(1)} ms`, notify.r.late, `${notify.r.cpuCores.toFixed(2)} core`,
      kb(notify.r.idleBytesPerDevice), kb(notify.r.rssPerDevice), notify.r.failures],
  ]))
  console.log('')
  console.log(`notify run: simulator sent ${notify.r.totalSent} notifications (first responses included), the sink received ${notify.received} ` +
    `(${notify.r.totalSent - notify.received} lost), ${notify.gaps} gaps in Observe numbers; idle run: ${idle.s.deregistered}/${idle.r.devices} deregistered`)
  const perDevice = Math.max(idle.r.rssPerDevice, idle.r.idleBytesPerDevice)
  console.log(`fleetlab: ${kb(perDevice)} per idle registered device (RSS), ${formatBytes(perDevice * 20_000)} for 20,000 devices (Leshan's Java clients, measured: npm run bench:lwm2m)`)
  const offered = rate * notifyCount
  const goals = [
    [`>= ${offered.toLocaleString('en-US')} notifications/s (-${Math.round((1 - GOALS.rateFraction) * 100)} %)`, notify.r.notifications / seconds >= offered * GOALS.rateFraction],
    [`simulator CPU <= ${GOALS.simulatorCores} core`, notify.r.cpuCores <= GOALS.simulatorCores],
    [`lateness p99 < ${GOALS.latenessP99Ms} ms`, notify.r.p99 < GOALS.latenessP99Ms],
    [`idle memory < ${GOALS.idleDeviceBytes / 1024} KB per device`, perDevice < GOALS.idleDeviceBytes],
  ] as const
  console.log(`goals: ${goals.map(([g, ok]) => `${g}: ${ok ? 'met' : 'MISSED'}`).join('; ')}`)
}

if (role === 'sink') sink(options.observe)
else if (role === 'sim') {
  const format = parseContentFormat(options.format) as NotifyFormat
  simulate(options.port ?? 0, options.count ?? 0, options.seconds, options.rate, format)
    .then(r => process.send!(r, () => process.exit(0)))
    .catch(err => { console.error(err); process.exit(1) })
} else {
  await main()
}
