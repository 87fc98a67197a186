// Eclipse Leshan as real, independent LWM2M software for interop tests and side-by-side benchmarks.
//
// Leshan's demo applications are not on Maven Central; its libraries are. scripts/setup fetches leshan-server-cf and
// leshan-client-cf 2.0.0-M15 and compiles a thin harness on them (scripts/jvm/leshan/src, package dev.fleetlab.leshan)
// into $FLEETLAB_HOME/jvm/leshan-2.0.0-M15/{lib,classes}. This module starts and stops those JVMs.
//
//   const server = await startLeshanServer()                     // free ports unless coapPort/httpPort are given
//   t.after(() => server.stop())
//   server.coapUrl                                               // 'coap://127.0.0.1:<port>': point devices here
//   await server.clients()                                       // [{ endpoint, registrationId, address, objectLinks, ... }]
//   await server.read(ep, '/3/0', { format: 'TLV' })             // { code: 'CONTENT', success: true, content: { '/3/0/0': ... } }
//   const since = (await server.events()).at(-1)?.seq ?? 0
//   await server.observe(ep, '/3303/0/5700', { format: 'SENML_JSON' })
//   await server.waitForEvent(e => e.type === 'NOTIFICATION' && e.endpoint === ep, { since })
//   await server.cancelObserve(ep, '/3303/0/5700', { active: true })
//   await server.stats()                                         // { notifications, notificationsLastSecond, cpuMs, ... }
//
//   const client = await startLeshanClient({ endpoint: 'leshan-1', serverUrl: 'coap://127.0.0.1:5683' })
//   t.after(() => client.stop())                                 // resolves once registered; stop() deregisters
//
//   const clients = await startLeshanClients({ serverUrl })      // one JVM hosting many stock Leshan clients
//   await clients.resize(200)                                    // { running: 200, registered: 200, failures: 0, ms }
//   await clients.memory()                                       // heap after System.gc(), RSS, threads of that JVM
//
// The server's full HTTP API (also usable with curl) is in ControlApi.java; LeshanControlApi (control-api.ts) is its
// client, and every method of it is on the started server. Events: REGISTRATION, UPDATED, DEREGISTRATION, NOTIFICATION
// (endpoint, path, value as { path: value }, timestampMs when the device sent a SenML time, receivedAtMs, trace) and
// NOTIFICATION_ERROR (a notification Leshan could not decode, with Leshan's message).
//
// fleetlab trace records: stock Leshan rejects a single-path SenML notification carrying records outside the observed
// path, so the trace our virtual devices append (/33000/0/..., lib/lwm2m/trace.ts) makes it fail with "Invalid path
// [/33000/0/0] for resource, it should start by /3303/0/5700": observe() itself rejects (LeshanApiError 502) when the
// first response is traced, later notifications become NOTIFICATION_ERROR events. `fleetlabTrace: true` takes those
// records out before Leshan decodes (and reports them as `trace` on the event); without it the server is stock Leshan.
// Object 33000 is in the server's models either way, so an Observe-Composite of [path, '/33000/0'] from a device that
// registers </33000/0> is valid for stock Leshan (not covered by this module's tests).
//
// SenML CBOR and whole numbers: Leshan decodes SenML CBOR strictly (LwM2mNodeSenMLDecoder, permissiveNumberConversion
// false), so a Float resource sent as a CBOR integer (21.0 encoded as 21, which RFC 8428 allows) is refused with
// "Floating-point number expected but was 21 (java.lang.Long)". SenML JSON is decoded permissively.
//
// Each JVM ends when stop() is called, on SIGTERM, or when its stdin closes: a crashed test leaves no JVM behind.
import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { access } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { ServiceFailedError, SetupMissingError, TimeoutError } from '../../lib/errors.ts'
import { fleetlabHome } from '../../lib/home.ts'
import { javaBinary } from '../jvm.ts'
import { LeshanControlApi } from './control-api.ts'

/** Pinned in scripts/jvm/leshan/pom.xml (test/platform/leshan/harness.test.ts checks they agree). */
export const leshanVersion = '2.0.0-M15'

export function leshanDir (home: string): string {
  return join(home, 'jvm', `leshan-${leshanVersion}`)
}

/** The harness classpath, or a SetupMissingError when setup has not built it. */
export async function leshanClasspath (home: string = fleetlabHome()): Promise<string> {
  const dir = leshanDir(home)
  try {
    await access(join(dir, 'classes', 'dev', 'fleetlab', 'leshan', 'InteropServer.class'))
    await access(join(dir, 'lib', `leshan-server-cf-${leshanVersion}.jar`))
  } catch {
    throw new SetupMissingError(`the Leshan harness is not built in ${dir}`,
      'run: npm run setup (it fetches the Leshan jars from Maven Central and compiles scripts/jvm/leshan/src)')
  }
  return `${join(dir, 'classes')}:${join(dir, 'lib')}/*`
}

export interface LeshanServerOptions {
  /** 0 (default): a free port, reported as `coapPort`. */
  coapPort?: number
  /** 0 (default): a free port, reported in `url`. */
  httpPort?: number
  /** Address of both listeners (default 127.0.0.1). */
  host?: string
  /** Take fleetlab trace records out of single-path SenML notifications (see the header). Default false: stock Leshan. */
  fleetlabTrace?: boolean
  /** Events kept for events() (default 20,000, oldest dropped first); 0 keeps none, for benchmarks. */
  eventCapacity?: number
  /** UDP receive buffer to ask for on the CoAP socket (Californium's UDP_RECEIVE_BUFFER_SIZE); default: the OS's. */
  recvBufferBytes?: number
  heapMb?: number
  readyTimeoutMs?: number
  /** FLEETLAB_HOME (default: from the environment). */
  home?: string
}

export interface LeshanServer extends LeshanControlApi {
  /** The control API, e.g. http://127.0.0.1:41234 */
  readonly url: string
  readonly host: string
  readonly coapPort: number
  readonly httpPort: number
  /** coap://host:port, for devices. */
  readonly coapUrl: string
  /**
   * The CoAP socket's UDP receive buffer: `askedBytes` as given (undefined: the OS default), `gotBytes` what the socket
   * reported after Californium set it (DatagramSocket.getReceiveBufferSize()), undefined if the harness could not read
   * it. On Linux the kernel doubles what it grants (at most net.core.rmem_max) and the JDK halves what it reads back:
   * `gotBytes` is the grant, half of the kernel's sk_rcvbuf (what dgram's getRecvBufferSize() and ss -m show).
   */
  readonly coapRecvBuffer: { askedBytes?: number, gotBytes?: number }
  readonly pid: number
  /** The last lines the JVM printed (stdout and stderr). */
  output (): string
  stop (): Promise<void>
}

export interface LeshanClientOptions {
  endpoint: string
  /** coap://host:port of the LWM2M server. */
  serverUrl: string
  /** Registration lifetime in seconds (default 300). */
  lifetime?: number
  /** How often the 3303 Sensor Value changes (default 1000 ms). */
  periodMs?: number
  /** Source address to bind (default: any). */
  localAddress?: string
  heapMb?: number
  /** How long to wait for the registration (default 30 s). */
  registerTimeoutMs?: number
  home?: string
}

export interface LeshanClient {
  readonly endpoint: string
  /** The id the server gave (Location-Path /rd/<id>). */
  readonly registrationId: string
  readonly pid: number
  output (): string
  /** Resolves on the next line starting with `prefix` (REGISTERED, UPDATED, DEREGISTERED, REGISTRATION_FAILED ...). */
  waitForLine (prefix: string, timeoutMs?: number): Promise<string>
  /** Deregisters, then ends the JVM. */
  stop (): Promise<void>
}

export async function startLeshanServer (options: LeshanServerOptions = {}): Promise<LeshanServer> {
  const host = options.host ?? '127.0.0.1'
  const args = ['--host', host, '--coap-port', String(options.coapPort ?? 0), '--http-port', String(options.httpPort ?? 0),
    '--events', String(options.eventCapacity ?? 20_000)]
  if (options.fleetlabTrace === true) args.push('--fleetlab-trace')
  if (options.recvBufferBytes !== undefined) args.push('--recv-buffer', String(options.recvBufferBytes))
  const jvm = await startJvm('leshan-server', 'dev.fleetlab.leshan.InteropServer', args, options.heapMb ?? 256, options.home)
  try {
    const ready = await jvm.waitForLine('READY ', options.readyTimeoutMs ?? 30_000)
    const coap = /coap=(\S+):(\d+)/.exec(ready)
    const http = /http=(\S+):(\d+)/.exec(ready)
    if (coap === null || http === null) throw new ServiceFailedError('leshan-server', `unexpected READY line: ${ready}`)
    const url = `http://${http[1]!}:${http[2]!}`
    const got = Number(/recv-buffer=(-?\d+)/.exec(ready)?.[1] ?? -1)
    const api = new LeshanControlApi(url)
    return Object.assign(api, {
      host,
      coapPort: Number(coap[2]),
      httpPort: Number(http[2]),
      coapUrl: `coap://${coap[1]!}:${coap[2]!}`,
      coapRecvBuffer: { askedBytes: options.recvBufferBytes, gotBytes: got >= 0 ? got : undefined },
      pid: jvm.pid,
      output: () => jvm.output(),
      stop: () => jvm.stop(5_000),
    })
  } catch (err) {
    await jvm.stop(0)
    throw err
  }
}

export async function startLeshanClient (options: LeshanClientOptions): Promise<LeshanClient> {
  const args = ['--endpoint', options.endpoint, '--server', options.serverUrl, '--lifetime', String(options.lifetime ?? 300),
    '--period-ms', String(options.periodMs ?? 1000)]
  if (options.localAddress !== undefined) args.push('--local-address', options.localAddress)
  const jvm = await startJvm(`leshan-client ${options.endpoint}`, 'dev.fleetlab.leshan.InteropClient', args, options.heapMb ?? 64, options.home)
  try {
    const line = await jvm.waitForLine('REGISTERED ', options.registerTimeoutMs ?? 30_000, 'REGISTRATION_FAILED')
    return {
      endpoint: options.endpoint,
      registrationId: line.slice('REGISTERED '.length).replace(/^\/rd\//, ''),
      pid: jvm.pid,
      output: () => jvm.output(),
      waitForLine: (prefix, timeoutMs = 30_000) => jvm.waitForLine(prefix, timeoutMs),
      // the JVM deregisters in its shutdown hook; a silent server costs Leshan's request timeout
      stop: () => jvm.stop(15_000),
    }
  } catch (err) {
    await jvm.stop(0)
    throw err
  }
}

export interface LeshanClientsOptions {
  /** coap://host:port of the LWM2M server. */
  serverUrl: string
  /** Endpoint names are `<prefix><index>` (default 'leshan-'). */
  prefix?: string
  /** Registration lifetime in seconds (default 300). */
  lifetime?: number
  /** How often each client's 3303 Sensor Value changes (default 1000 ms). */
  periodMs?: number
  /** Source address to bind (default: any). */
  localAddress?: string
  /** How long resize() waits for new clients to register (default 120 s). */
  registerTimeoutMs?: number
  /** Default 512. */
  heapMb?: number
  home?: string
}

/** What resize() ends with: clients running, of them registered now, registration failures and timeouts so far. */
export interface LeshanClientsState { running: number, registered: number, failures: number, ms: number }

/** The clients' JVM after three System.gc() (serial collector: full collections). */
export interface LeshanClientsMemory {
  clients: number
  registered: number
  /** MemoryMXBean: heap used after the collections, heap committed, non-heap used (metaspace, code cache). */
  heapUsedBytes: number
  heapCommittedBytes: number
  nonHeapUsedBytes: number
  /** VmRSS of the JVM (/proc/self/status); -1 where there is none. */
  rssBytes: number
  threads: number
}

export interface LeshanClients {
  readonly pid: number
  output (): string
  /** Starts clients `<prefix>0..` until `count` run, or deregisters and destroys the last ones; resolves once the new ones registered or registerTimeoutMs passed. */
  resize (count: number): Promise<LeshanClientsState>
  memory (): Promise<LeshanClientsMemory>
  /** Every client deregisters, then the JVM ends. */
  stop (): Promise<void>
}

/**
 * One JVM hosting many stock Leshan clients (InteropClients.java: each client as startLeshanClient's, with its own
 * Californium endpoint, socket and threads; the object model and the sensors' ticker shared), starting with none.
 */
export async function startLeshanClients (options: LeshanClientsOptions): Promise<LeshanClients> {
  const registerTimeoutMs = options.registerTimeoutMs ?? 120_000
  const args = ['--server', options.serverUrl, '--prefix', options.prefix ?? 'leshan-', '--lifetime', String(options.lifetime ?? 300),
    '--period-ms', String(options.periodMs ?? 1000), '--register-timeout-ms', String(registerTimeoutMs)]
  if (options.localAddress !== undefined) args.push('--local-address', options.localAddress)
  const jvm = await startJvm('leshan-clients', 'dev.fleetlab.leshan.InteropClients', args, options.heapMb ?? 512, options.home)
  const fields = (line: string): Record<string, number> =>
    Object.fromEntries([...line.matchAll(/(\w+)=(-?\d+)/g)].map(m => [m[1]!, Number(m[2])]))
  // one command at a time: each answer is the next line of its kind
  let queue: Promise<unknown> = Promise.resolve()
  const command = <T>(text: string, answer: string, timeoutMs: number, parse: (f: Record<string, number>) => T): Promise<T> => {
    const run = async (): Promise<T> => {
      const line = jvm.waitForLine(answer, timeoutMs, 'ERROR ')
      jvm.send(text)
      return parse(fields(await line))
    }
    const result = queue.then(run, run)
    queue = result.catch(() => {})
    return result
  }
  try {
    await jvm.waitForLine('READY', 30_000)
    return {
      pid: jvm.pid,
      output: () => jvm.output(),
      resize: count => command(`clients ${count}`, 'CLIENTS ', registerTimeoutMs + 120_000,
        f => ({ running: f.running!, registered: f.registered!, failures: f.failures!, ms: f.ms! })),
      memory: () => command('memory', 'MEMORY ', 60_000, f => ({
        clients: f.clients!, registered: f.registered!, heapUsedBytes: f.heapUsed!, heapCommittedBytes: f.heapCommitted!,
        nonHeapUsedBytes: f.nonHeapUsed!, rssBytes: f.rss!, threads: f.threads!,
      })),
      // deregistrations, 16 at a time, in the JVM's shutdown hook
      stop: () => jvm.stop(60_000),
    }
  } catch (err) {
    await jvm.stop(0)
    throw err
  }
}

interface Jvm {
  readonly pid: number
  output (): string
  /** Writes `line` and a newline to the JVM's stdin. */
  send (line: string): void
  /** The next line starting with `prefix`; rejects at once on a line starting with `failPrefix`, or when the JVM exits. */
  waitForLine (prefix: string, timeoutMs: number, failPrefix?: string): Promise<string>
  /** Closes stdin (the JVM exits through its shutdown hooks), SIGKILL after `graceMs`. */
  stop (graceMs: number): Promise<void>
}

const TAIL_LINES = 200

async function startJvm (name: string, mainClass: string, args: string[], heapMb: number, home?: string): Promise<Jvm> {
  const classpath = await leshanClasspath(home ?? fleetlabHome())
  const java = await javaBinary()
  const child: ChildProcessWithoutNullStreams = spawn(java, [
    '-Xms16m', `-Xmx${heapMb}m`,
    '-XX:+UseSerialGC', // one small process: the parallel collectors only add threads and RSS
    '-Xss512k',
    '-XX:MaxMetaspaceSize=96m',
    '-Djava.awt.headless=true',
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    '-cp', classpath, mainClass, ...args,
  ], { cwd: tmpdir(), stdio: 'pipe' })

  const tail: string[] = []
  const waiters = new Set<(line: string | undefined) => void>()
  let exitCode: number | null | undefined
  const exited = new Promise<void>(resolve => {
    child.once('error', err => { tail.push(`spawn error: ${err.message}`) })
    child.once('close', (code, signal) => {
      exitCode = code
      tail.push(`[exited with ${code !== null ? `code ${code}` : `signal ${String(signal)}`}]`)
      for (const w of waiters) w(undefined)
      resolve()
    })
  })
  const onLine = (line: string): void => {
    tail.push(line)
    if (tail.length > TAIL_LINES) tail.shift()
    for (const w of waiters) w(line)
  }
  // a write after the JVM ended (EPIPE) is its exit, which waitForLine reports
  child.stdin.on('error', () => {})
  createInterface({ input: child.stdout }).on('line', onLine)
  createInterface({ input: child.stderr }).on('line', onLine)
  const output = (): string => tail.join('\n')

  return {
    pid: child.pid ?? -1,
    output,
    send (line) {
      if (exitCode === undefined) child.stdin.write(`${line}\n`)
    },
    waitForLine (prefix, timeoutMs, failPrefix) {
      return new Promise<string>((resolve, reject) => {
        const done = (fn: () => void): void => { clearTimeout(timer); waiters.delete(waiter); fn() }
        const waiter = (line: string | undefined): void => {
          if (line === undefined) {
            done(() => reject(new ServiceFailedError(name, `exited before printing ${prefix.trim()}; its output:\n${output()}`)))
          } else if (line.startsWith(prefix)) {
            done(() => resolve(line))
          } else if (failPrefix !== undefined && line.startsWith(failPrefix)) {
            done(() => reject(new ServiceFailedError(name, `${line}; its output:\n${output()}`)))
          }
        }
        const timer = setTimeout(() => done(() => reject(new TimeoutError(
          `${name}: no ${prefix.trim()} line within ${timeoutMs} ms; its output:\n${output()}`))), timeoutMs)
        if (exitCode !== undefined) waiter(undefined)
        else waiters.add(waiter)
      })
    },
    async stop (graceMs) {
      if (exitCode !== undefined) return
      child.stdin.end()
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    },
  }
}
