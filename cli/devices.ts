// `fleetlab devices`: a fleet of virtual LWM2M devices against any LWM2M server (ours, Leshan, Coiote, ThingsBoard).
// Flags are validated once, every problem reported at once naming its flag (exit 2). Progress once a second on
// stderr, a summary on stdout at the end; Ctrl-C deregisters every device, prints the summary and exits 130.
import { isIPv4 } from 'node:net'
import { Command } from 'commander'
import { InvalidConfigError } from '../lib/errors.ts'
import { Fleet, fleetProblems } from '../simulator/fleet.ts'
import type { FleetOptions, StopResult } from '../simulator/fleet.ts'
import { parseGeneratorSpec } from '../simulator/generators.ts'
import type { GeneratorSpec } from '../simulator/generators.ts'
import { LatencyHistogram } from '../lib/metrics/histogram.ts'
import { sensorObjectIds } from '../simulator/lwm2m/options.ts'
import type { NotifyFormat } from '../simulator/lwm2m/options.ts'
import { defaultPlacement } from '../simulator/placement.ts'
import { randomSeed } from '../lib/random.ts'
import { COAP_SERVER_EXPECTED, parseCoapServer } from '../lib/schema/net.ts'
import { formatRate, parseCount, parseDuration, parseRate } from '../lib/units.ts'
import type { CliContext } from './context.ts'
import { EXIT_INTERRUPTED, exitCodes } from './exit-codes.ts'
import { formatBytes } from './format.ts'

/** The flags as commander hands them over: strings, validated by parseDevicesOptions. */
export interface RawDevicesOptions {
  server?: string
  count: string
  rate: string
  duration: string
  lifetime: string
  format: string
  seed?: string
  endpointPrefix: string
  objects: string
  registrationRate: string
  generator: string[]
  confirmable?: boolean
  trace: boolean
  sourceAddress?: string
  devicesPerAddress: string
  json?: boolean
}

export interface DevicesConfig {
  readonly fleet: FleetOptions<'lwm2m'>
  readonly durationMs: number
  readonly json: boolean
}

const FORMATS: Record<string, NotifyFormat> = { tlv: 11542, 'senml-json': 110, 'senml-cbor': 112 }
const MAX_DEVICES = 1_000_000

/** Validates every flag; throws InvalidConfigError listing all problems, each naming its flag. */
export function parseDevicesOptions (raw: RawDevicesOptions, readFile?: (file: string) => string): DevicesConfig {
  const problems: string[] = []
  const bad = (flag: string, expected: string, got: string | undefined): void => { problems.push(`${flag}: expected ${expected}, got ${JSON.stringify(got ?? '')}`) }

  let host = ''
  let port = 5683
  if (raw.server === undefined) problems.push('--server: required, e.g. --server coap://127.0.0.1:5683')
  else {
    const server = parseCoapServer(raw.server)
    if (/^coaps:/.test(raw.server)) problems.push('--server: coaps:// (DTLS) is not supported yet; use coap://')
    else if (/^coap:\/\/\[/.test(raw.server.trim())) problems.push('--server: IPv6 servers are not supported yet; give an IPv4 address or a host name')
    else if (server === undefined) bad('--server', COAP_SERVER_EXPECTED, raw.server)
    else ({ host, port } = server)
  }
  const count = parseCount(raw.count, 1, MAX_DEVICES)
  if (count === undefined) bad('--count', `a whole number of devices 1-${MAX_DEVICES}`, raw.count)
  const rate = parseRate(raw.rate)
  if (rate === undefined || rate > 1000) bad('--rate', 'samples per device such as 1/s, 10/m or 0.2 (at most 1000/s)', raw.rate)
  const durationMs = parseDuration(raw.duration)
  if (durationMs === undefined || durationMs <= 0 || durationMs > 7 * 86_400_000) bad('--duration', 'a duration such as 30s, 5m or 2h (at most 7 days)', raw.duration)
  const lifetimeMs = parseDuration(raw.lifetime)
  if (lifetimeMs === undefined || lifetimeMs < 1000 || lifetimeMs % 1000 !== 0) bad('--lifetime', 'whole seconds of at least 1, such as 60 or 5m', raw.lifetime)
  const format = FORMATS[raw.format.trim().toLowerCase()]
  if (format === undefined) bad('--format', `one of ${Object.keys(FORMATS).join(', ')}`, raw.format)
  let seed = randomSeed()
  if (raw.seed !== undefined) {
    const s = parseCount(raw.seed, 0, 0xffffffff)
    if (s === undefined) bad('--seed', 'a whole number 0-4294967295', raw.seed)
    else seed = s
  }
  if (!/^[A-Za-z0-9._:@-]{0,48}$/.test(raw.endpointPrefix)) bad('--endpoint-prefix', 'up to 48 letters, digits and . _ : @ -', raw.endpointPrefix)
  const objects: Array<{ objectId: number, instances: number }> = []
  for (const part of raw.objects.split(',').map(p => p.trim()).filter(p => p !== '')) {
    const m = /^(\d+)(?::(\d+))?$/.exec(part)
    const objectId = Number(m?.[1])
    const instances = m?.[2] === undefined ? 1 : Number(m[2])
    if (m === null || !(sensorObjectIds as readonly number[]).includes(objectId)) bad('--objects', `a comma list of ${sensorObjectIds.join(', ')} (optionally :instances)`, part)
    else if (instances < 1 || instances > 16) bad('--objects', 'between 1 and 16 instances per object', part)
    else if (objects.some(o => o.objectId === objectId)) problems.push(`--objects: ${objectId} is listed twice`)
    else objects.push({ objectId, instances })
  }
  if (objects.length === 0 && !problems.some(p => p.startsWith('--objects'))) problems.push('--objects: at least one sensor object')
  const registrationRate = parseRate(raw.registrationRate)
  if (registrationRate === undefined || registrationRate <= 0) bad('--registration-rate', 'registrations per second such as 500/s', raw.registrationRate)
  const generators: Partial<Record<number, GeneratorSpec>> = {}
  for (const g of raw.generator) {
    const eq = g.indexOf('=')
    const objectId = Number(g.slice(0, eq))
    if (eq < 0 || !objects.some(o => o.objectId === objectId)) { bad('--generator', 'OBJECT=SPEC for an object in --objects, e.g. 3303=walk:min=15,max=30,step=0.2', g); continue }
    const parsed = parseGeneratorSpec(g.slice(eq + 1), readFile)
    for (const p of parsed.problems) problems.push(`--generator ${objectId}: ${p}`)
    if (parsed.spec !== undefined) generators[objectId] = parsed.spec
  }
  const perAddress = parseCount(raw.devicesPerAddress, 1, 28_000)
  if (perAddress === undefined) bad('--devices-per-address', 'a whole number 1-28000', raw.devicesPerAddress)
  if (raw.sourceAddress !== undefined && !isIPv4(raw.sourceAddress)) bad('--source-address', 'an IPv4 address such as 127.0.0.2', raw.sourceAddress)
  if (raw.sourceAddress?.startsWith('127.') === true && host !== '' && !/^(127\.|localhost$)/.test(host)) {
    problems.push(`--source-address: ${raw.sourceAddress} is a loopback address, which cannot reach the server ${host}`)
  }

  const placement = raw.sourceAddress !== undefined
    ? { firstAddress: raw.sourceAddress, perAddress: perAddress ?? 10_000 }
    : defaultPlacement(host, perAddress ?? 10_000)
  if (count !== undefined && registrationRate !== undefined && perAddress !== undefined) {
    for (const p of fleetProblems({ count, placement, registrationRate })) problems.push(`--count: ${p}`)
  }
  if (problems.length > 0) throw new InvalidConfigError(problems, { hint: 'run fleetlab devices --help for every flag and examples' })
  return {
    durationMs: durationMs!,
    json: raw.json === true,
    fleet: {
      protocol: 'lwm2m',
      driver: {
        server: { host, port }, lifetimeS: lifetimeMs! / 1000, ratePerS: rate!, format: format!, objects, generators,
        confirmable: raw.confirmable === true, trace: raw.trace, capacity: count!,
      },
      count: count!, endpointPrefix: raw.endpointPrefix, placement, registrationRate: registrationRate!, seed,
    },
  }
}

export interface DevicesSummary {
  devices: number
  everRegistered: number
  registrationFailures: number
  notificationsSent: number
  notificationsPerSecond: number
  late: number
  latenessMs: { p50: number | null, p99: number | null, max: number | null }
  deregistered: StopResult
  errors: Record<string, number>
  memoryPerDeviceBytes: number
  cpuCores: number
  seed: number
  seconds: number
  interrupted: boolean
}

const num = (v: number): number | null => Number.isFinite(v) ? Number(v.toFixed(3)) : null

/** Runs the fleet for the duration or until `signal` aborts; the summary of what happened. */
export async function runDevices (config: DevicesConfig, progress: (line: string) => void, signal: AbortSignal): Promise<DevicesSummary> {
  const { fleet: options } = config
  const rss0 = process.memoryUsage().rss
  const cpu0 = process.cpuUsage()
  const fleet = new Fleet(options)
  const counters = new Map<string, number>()
  const lateness = new LatencyHistogram()
  fleet.events.on('counter', (name: string, v: number) => counters.set(name, (counters.get(name) ?? 0) + v))
  fleet.events.on('histogram', (name: string, v: number) => { if (name === 'lwm2m.notify.lateness') lateness.record(v) })
  const get = (name: string): number => counters.get(name) ?? 0
  const errors = (): number => { let n = 0; for (const [k, v] of counters) if (k.startsWith('errors.')) n += v; return n }
  const start = performance.now()
  let peakRss = rss0
  let lastSent = 0
  fleet.start()
  const ticker = setInterval(() => {
    const sent = get('lwm2m.notify.sent')
    const c = fleet.counts
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
    progress(`[${Math.round((performance.now() - start) / 1000).toString().padStart(4)}s] registered ${c.registered}/${options.count}` +
      `  notifications ${sent - lastSent}/s  late ${get('lwm2m.notify.late')}  errors ${errors()}` +
      (c.registrationFailures > 0 ? `  registration failures ${c.registrationFailures}` : ''))
    lastSent = sent
  }, 1000)
  await new Promise<void>(resolve => {
    const timer = setTimeout(resolve, config.durationMs)
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
  })
  clearInterval(ticker)
  const seconds = (performance.now() - start) / 1000
  const cpu = process.cpuUsage(cpu0)
  const everRegistered = fleet.counts.everRegistered
  const registrationFailures = fleet.counts.registrationFailures
  progress(`stopping: deregistering ${fleet.counts.registered} devices`)
  const deregistered = await fleet.stop()
  return {
    devices: options.count,
    everRegistered,
    registrationFailures,
    notificationsSent: get('lwm2m.notify.sent'),
    notificationsPerSecond: num(get('lwm2m.notify.sent') / seconds) ?? 0,
    late: get('lwm2m.notify.late'),
    latenessMs: { p50: num(lateness.percentile(50)), p99: num(lateness.percentile(99)), max: num(lateness.max) },
    deregistered,
    errors: Object.fromEntries([...counters].filter(([k]) => k.startsWith('errors.'))),
    memoryPerDeviceBytes: Math.round((peakRss - rss0) / options.count),
    cpuCores: num((cpu.user + cpu.system) / 1000 / (seconds * 1000)) ?? 0,
    seed: options.seed,
    seconds: num(seconds) ?? 0,
    interrupted: signal.aborted,
  }
}

export function formatSummary (s: DevicesSummary): string {
  const ms = (v: number | null): string => v === null ? '-' : `${v.toFixed(2)} ms`
  const errors = Object.entries(s.errors)
  return [
    `devices            ${s.devices} (${s.everRegistered} registered, ${s.registrationFailures} registration failures)`,
    `notifications      ${s.notificationsSent} sent, ${formatRate(s.notificationsPerSecond)} over ${s.seconds.toFixed(1)} s`,
    `late (> 10 ms)     ${s.late}`,
    `lateness           p50 ${ms(s.latenessMs.p50)}, p99 ${ms(s.latenessMs.p99)}, max ${ms(s.latenessMs.max)} (from the intended send time)`,
    `stopped            ${s.deregistered.clean} cleanly (deregistered, or nothing to deregister), ${s.deregistered.unclean} without confirmation`,
    `errors             ${errors.length === 0 ? 'none' : errors.map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `memory per device  ${s.devices >= 1000 ? `${formatBytes(Math.max(0, s.memoryPerDeviceBytes))} (RSS growth / devices)` : '- (measured from 1,000 devices up)'}`,
    `simulator CPU      ${s.cpuCores.toFixed(2)} core`,
    `seed               ${s.seed} (repeat the run with --seed ${s.seed})`,
  ].join('\n')
}

const collect = (value: string, previous: string[]): string[] => [...previous, value]

export function devicesCommand (ctx: CliContext, setExit: (code: number) => void): Command {
  return new Command('devices')
    .description('run a fleet of virtual LWM2M devices against an LWM2M server (fleetlab\'s own, Leshan, Coiote, ThingsBoard, ...)')
    .option('--server <url>', 'the LWM2M server, coap://host:port (port 5683 when left out); required')
    .option('--count <n>', 'number of devices, each with its own UDP source address:port', '10')
    .option('--rate <rate>', 'sensor samples per device (1/s, 10/m, 0.5); each changed value an observer watches is a notification', '1/s')
    .option('--duration <d>', 'how long the fleet runs, registration included (30s, 5m, 1h)', '30s')
    .option('--lifetime <s>', 'registration lifetime in seconds; devices update at 80-90 % of it', '60')
    .option('--format <format>', `notifications and reads when the server sends no Accept: ${Object.keys(FORMATS).join(', ')} (TLV carries no trace)`, 'senml-json')
    .option('--seed <n>', 'seed of every random choice (values, phases, ids), so a run can be repeated; default: random, printed')
    .option('--endpoint-prefix <prefix>', 'endpoint names are the prefix and a zero-padded index', 'dev-')
    .option('--objects <list>', `IPSO sensor objects besides 1 Server and 3 Device: ${sensorObjectIds.join(', ')}; 3303:2 for two instances`, '3303')
    .option('--registration-rate <rate>', 'registrations started per second (a storm is paced so the server keeps up)', '500/s')
    .option('--generator <object=spec>', 'values of an object: walk:min=,max=,step=  sine:period=,amplitude=,offset=,noise=  csv:file=,column=  (repeatable)', collect, [])
    .option('--confirmable', 'send notifications as CON (retransmitted until acknowledged, RFC 7252 §4.8) instead of NON')
    .option('--no-trace', 'leave the fleetlab trace (/33000/0: sequence, send time, device id) out of SenML notifications')
    .option('--source-address <ip>', 'first source address; with a loopback server devices fill 127.0.0.1, 127.0.0.2, ... (default), else 0.0.0.0')
    .option('--devices-per-address <n>', 'devices per loopback source address before the next is used', '10000')
    .option('--json', 'print the summary as JSON on stdout')
    .addHelpText('after', `
Each device registers (POST /rd?ep=&lt=&lwm2m=1.1&b=U), updates before its lifetime ends, answers Read
(TLV, SenML JSON/CBOR, text), Write, Execute (/3/0/4 reboot, /33xx/0/5605 reset min/max), Discover,
Write-Attributes and Observe, notifies with pmin/pmax honoured, and deregisters on stop or Ctrl-C.
Notifications are due on a schedule (open model): lateness is measured from the intended send time and a
notification sent more than 10 ms late counts as late. SenML notifications carry the fleetlab trace
(device id, per-device sequence, intended send time) so the pipeline can reconcile what arrived.
The server decides what is observed (e.g. /3303/0/5700); a fleet nobody observes only registers and updates.
Exit codes: 0 done, 2 bad flags (each one named), 6 no device could register, 130 Ctrl-C (after deregistering).

Examples:
  fleetlab devices --server coap://127.0.0.1:5683 --count 1000 --rate 1/s --duration 60s
  fleetlab devices --server coap://leshan.lan:5683 --count 50 --objects 3303,3304 --format senml-cbor --seed 7
  fleetlab devices --server coap://127.0.0.1:5683 --count 20000 --registration-rate 1000/s --lifetime 300
  fleetlab devices --server coap://127.0.0.1:5683 --generator 3303=csv:file=temps.csv,column=1 --rate 10/m`)
    .action(async (raw: RawDevicesOptions) => {
      const config = parseDevicesOptions(raw)
      const abort = new AbortController()
      const onSignal = (): void => abort.abort()
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      try {
        const o = config.fleet
        ctx.stderr(`${o.count} LWM2M devices -> coap://${o.driver.server.host}:${o.driver.server.port}, ${formatRate(o.driver.ratePerS)} per device, ` +
          `registering at ${formatRate(o.registrationRate)}, seed ${o.seed}`)
        const summary = await runDevices(config, line => ctx.stderr(line), abort.signal)
        ctx.stdout(config.json ? JSON.stringify(summary, null, 2) : formatSummary(summary))
        if (summary.interrupted) setExit(EXIT_INTERRUPTED)
        else if (summary.everRegistered === 0) {
          const errors = Object.entries(summary.errors).map(([k, v]) => `${k} ${v}`).join(', ')
          ctx.stderr(`error: no device registered at coap://${o.driver.server.host}:${o.driver.server.port}${errors === '' ? '' : ` (${errors})`}`)
          ctx.stderr('hint: is an LWM2M server listening there? (fleetlab lwm2m serve starts one)')
          setExit(exitCodes.FLEETLAB_SERVICE_FAILED)
        }
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
    })
}
