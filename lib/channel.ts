// The control channel between the runner and the units it starts through the Runtime (virtual gateways, sink
// consumers). Units run as detached processes or containers with host networking, so there is no parent IPC pipe:
// the runner listens on loopback TCP and each unit connects back, one JSON message per line (NDJSON).
// A unit proves it belongs to this run with the token the runner handed it (environment), so a stray unit of an
// earlier run that connects to a reused port is turned away.
//
// Messages are small: metric windows travel as MetricWindowJSON (histograms HDR-compressed, a few KB each).
import { createConnection, createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import type { MetricWindowJSON } from './metrics/window.ts'

/** Environment variables a unit reads to find its runner. */
export const CHANNEL_ENV = { address: 'FLEETLAB_RUNNER', token: 'FLEETLAB_RUNNER_TOKEN', unit: 'FLEETLAB_UNIT' } as const

/**
 * This unit's name from its environment. A scaled service's replicas share one spec: its unit name says where the
 * replica number (FLEETLAB_REPLICA, set by the Runtime) goes: sink-{replica}.
 */
export function unitName (env: NodeJS.ProcessEnv): string | undefined {
  return env[CHANNEL_ENV.unit]?.replaceAll('{replica}', env.FLEETLAB_REPLICA ?? '0')
}

export type UnitKind = 'gateway' | 'sink'

/** Unit -> runner. */
export type UnitMessage =
  | { type: 'hello', token: string, unit: string, kind: UnitKind, pid: number }
  /** Closed per-second windows (lib/metrics), oldest first. */
  | { type: 'windows', windows: MetricWindowJSON[] }
  /** Something worth a line in events.csv (registration storm done, an error). `atMs`: epoch ms. */
  | { type: 'event', atMs: number, kind: string, detail: string }
  /**
   * Sinks: the traced notifications one batch wrote, per endpoint as inclusive ranges [start, end, ...]
   * (platform/sinks/arrivals.ts), sent before the batch is committed.
   */
  | { type: 'arrivals', arrivals: Record<string, number[]> }
  /** The unit's final report, sent once after `finish`; its shape depends on the unit kind. */
  | { type: 'report', report: unknown }
  /** The unit cannot go on; it exits after sending this. */
  | { type: 'fatal', code: string, message: string }
  /** What time is it at the runner? `t0`: the unit's clock when asking (lib/clock.ts). Answered by the channel itself. */
  | { type: 'clock', t0: number }

/** Runner -> unit. */
export type RunnerMessage =
  /** Sent once after hello; its shape depends on the unit kind. */
  | { type: 'config', config: unknown }
  /** Gateways: run this many devices, each sampling at this rate (per second); surge: start the joiners all at once. */
  | { type: 'target', devices: number, ratePerDevice: number, surge?: boolean }
  /** Stop the work, flush the last windows, send `report`, then close and exit. */
  | { type: 'finish' }
  /** The answer to a unit's `clock`: its `t0` and the runner's clock when the question arrived. */
  | { type: 'clock', t0: number, t1: number }

export type ChannelMessage = UnitMessage | RunnerMessage

/** Splits a byte stream into JSON lines; a line that is not JSON is reported, never thrown into the stream. */
function lineReader (socket: Socket, onMessage: (m: unknown) => void, onBad: (line: string, error: Error) => void): void {
  let buffer = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    buffer += chunk
    let nl = buffer.indexOf('\n')
    while (nl >= 0) {
      const line = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      if (line.trim() !== '') {
        let parsed: unknown
        try { parsed = JSON.parse(line) } catch (e) { onBad(line, e as Error); nl = buffer.indexOf('\n'); continue }
        onMessage(parsed)
      }
      nl = buffer.indexOf('\n')
    }
  })
}

function write (socket: Socket, message: ChannelMessage): void {
  if (!socket.destroyed) socket.write(JSON.stringify(message) + '\n')
}

export interface UnitConnection {
  readonly unit: string
  readonly kind: UnitKind
  readonly pid: number
  send (message: RunnerMessage): void
}

/**
 * The runner's end. Events:
 * - 'unit' (conn: UnitConnection): a unit said hello with the right token;
 * - 'message' (conn: UnitConnection, message: UnitMessage);
 * - 'gone' (conn: UnitConnection): its connection closed;
 * - 'rejected' (reason: string): a connection was turned away or sent garbage.
 */
export class ChannelServer extends EventEmitter {
  readonly token = randomBytes(12).toString('hex')
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  readonly #units = new Map<string, UnitConnection>()
  readonly #now: () => number

  private constructor (server: Server, now: () => number) {
    super()
    this.#server = server
    this.#now = now
    server.on('connection', socket => this.#accept(socket))
  }

  /** Listens on `host` (default 127.0.0.1) at an ephemeral port; `now` is the run's clock that units set theirs by. */
  static async listen (host = '127.0.0.1', now: () => number = Date.now): Promise<ChannelServer> {
    const server = createServer()
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, host, () => { server.off('error', reject); resolve() })
    })
    return new ChannelServer(server, now)
  }

  /** host:port for units (CHANNEL_ENV.address). */
  get address (): string {
    const a = this.#server.address() as AddressInfo
    return `${a.address}:${a.port}`
  }

  /** Environment for a unit named `unit`. */
  envFor (unit: string): Record<string, string> {
    return { [CHANNEL_ENV.address]: this.address, [CHANNEL_ENV.token]: this.token, [CHANNEL_ENV.unit]: unit }
  }

  get units (): ReadonlyMap<string, UnitConnection> {
    return this.#units
  }

  /** Resolves with the unit's connection once it has said hello, or rejects after `timeoutMs`. */
  async waitForUnit (unit: string, timeoutMs: number): Promise<UnitConnection> {
    const known = this.#units.get(unit)
    if (known !== undefined) return known
    return await new Promise((resolve, reject) => {
      const onUnit = (conn: UnitConnection): void => {
        if (conn.unit !== unit) return
        clearTimeout(timer)
        this.off('unit', onUnit)
        resolve(conn)
      }
      const timer = setTimeout(() => { this.off('unit', onUnit); reject(new Error(`${unit} did not connect to the runner within ${timeoutMs} ms`)) }, timeoutMs)
      this.on('unit', onUnit)
    })
  }

  async close (): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    await new Promise<void>(resolve => this.#server.close(() => resolve()))
  }

  #accept (socket: Socket): void {
    this.#sockets.add(socket)
    socket.setNoDelay(true)
    let conn: UnitConnection | undefined
    const reject = (reason: string): void => { this.emit('rejected', reason); socket.destroy() }
    lineReader(socket, m => {
      const message = m as UnitMessage
      if (conn === undefined) {
        if (message.type !== 'hello') return reject(`first message was ${JSON.stringify((m as { type?: unknown }).type)}, not hello`)
        if (message.token !== this.token) return reject(`unit ${message.unit} gave a wrong token`)
        if (this.#units.has(message.unit)) return reject(`unit ${message.unit} is connected already`)
        conn = { unit: message.unit, kind: message.kind, pid: message.pid, send: msg => write(socket, msg) }
        this.#units.set(conn.unit, conn)
        this.emit('unit', conn)
        return
      }
      // the clock is answered here, at once: the time it takes to reach a handler would count as network delay
      if (message.type === 'clock') return write(socket, { type: 'clock', t0: message.t0, t1: this.#now() })
      this.emit('message', conn, message)
    }, (line, error) => this.emit('rejected', `unparseable line from ${conn?.unit ?? 'a unit'}: ${error.message} (${line.slice(0, 80)})`))
    socket.on('error', () => {})
    socket.on('close', () => {
      this.#sockets.delete(socket)
      if (conn !== undefined && this.#units.get(conn.unit) === conn) {
        this.#units.delete(conn.unit)
        this.emit('gone', conn)
      }
    })
  }
}

/**
 * A unit's end. Events: 'message' (message: RunnerMessage), 'close' (the runner went away).
 */
export class ChannelClient extends EventEmitter {
  readonly #socket: Socket
  /** Questions of askTime() waiting for their answer, by t0. */
  readonly #asked = new Map<number, { resolve: (t1: number) => void, reject: (err: Error) => void }>()

  private constructor (socket: Socket) {
    super()
    this.#socket = socket
    lineReader(socket, m => {
      const message = m as RunnerMessage
      if (message.type === 'clock') {
        this.#asked.get(message.t0)?.resolve(message.t1)
        this.#asked.delete(message.t0)
        return
      }
      this.emit('message', message)
    }, () => {})
    socket.on('error', () => {})
    socket.on('close', () => {
      for (const waiting of this.#asked.values()) waiting.reject(new Error('the runner went away'))
      this.#asked.clear()
      this.emit('close')
    })
  }

  /** The runner's clock for a question asked at `t0` (this unit's clock; lib/clock.ts). Rejects after `timeoutMs`. */
  async askTime (t0: number, timeoutMs = 2000): Promise<number> {
    if (this.#socket.destroyed) throw new Error('the runner went away')
    if (this.#asked.has(t0)) throw new Error(`a clock question at ${t0} is open already`)
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => { this.#asked.delete(t0); reject(new Error(`the runner did not tell its time within ${timeoutMs} ms`)) }, timeoutMs)
      this.#asked.set(t0, { resolve: t1 => { clearTimeout(timer); resolve(t1) }, reject: err => { clearTimeout(timer); reject(err) } })
      write(this.#socket, { type: 'clock', t0 })
    })
  }

  /** Connects to `address` (host:port) and says hello; retries refused connections until `timeoutMs`. */
  static async connect (address: string, hello: Omit<Extract<UnitMessage, { type: 'hello' }>, 'type' | 'pid'>, timeoutMs = 10_000): Promise<ChannelClient> {
    const colon = address.lastIndexOf(':')
    const host = address.slice(0, colon)
    const port = Number(address.slice(colon + 1))
    if (colon < 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`runner address must be host:port, got ${JSON.stringify(address)}`)
    const deadline = Date.now() + timeoutMs
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = createConnection({ host, port }, () => { s.off('error', reject); resolve(s) })
          s.once('error', reject)
        })
        socket.setNoDelay(true)
        const client = new ChannelClient(socket)
        client.send({ type: 'hello', ...hello, pid: process.pid })
        return client
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`cannot reach the runner at ${address}: ${(e as Error).message}`)
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    }
  }

  /** Connects with the address, token and unit name from the environment (CHANNEL_ENV). */
  static async fromEnv (kind: UnitKind, env: NodeJS.ProcessEnv = process.env): Promise<ChannelClient> {
    const address = env[CHANNEL_ENV.address]
    const token = env[CHANNEL_ENV.token]
    const unit = unitName(env)
    if (address === undefined || token === undefined || unit === undefined) {
      throw new Error(`${CHANNEL_ENV.address}, ${CHANNEL_ENV.token} and ${CHANNEL_ENV.unit} must be set: this ${kind} is started by the runner (fleetlab run)`)
    }
    return await ChannelClient.connect(address, { token, unit, kind })
  }

  send (message: UnitMessage): void {
    write(this.#socket, message)
  }

  /**
   * Sends and resolves once the message has been handed to the kernel: a unit killed after that still delivers it
   * (the kernel sends what its socket buffer holds), so a sink may commit what it told. Rejects when the runner is gone.
   */
  async sendFlushed (message: UnitMessage): Promise<void> {
    if (this.#socket.destroyed) throw new Error('the runner went away')
    await new Promise<void>((resolve, reject) => this.#socket.write(JSON.stringify(message) + '\n', err => { if (err != null) reject(err); else resolve() }))
  }

  /** Resolves once everything written has been flushed, then closes. */
  async close (): Promise<void> {
    if (this.#socket.destroyed) return
    await new Promise<void>(resolve => this.#socket.end(() => resolve()))
  }
}
