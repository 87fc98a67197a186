// The runner's side of its units (virtual gateways and the sink): started through the Runtime, connected back over
// the control channel (lib/channel.ts), configured, steered, finished. Windows go to the SecondAssembler, events to
// the run's events file, reports are kept for the reconciliation.
import { ChannelServer } from '../../lib/channel.ts'
import type { UnitConnection, UnitMessage } from '../../lib/channel.ts'
import type { MetricWindowJSON } from '../../lib/metrics/window.ts'
import type { Runtime, ServiceInstance, ServiceSpec } from '../../platform/runtime/types.ts'
import type { GatewayConfig, GatewayReport, SinkConfig, SinkReport } from '../contracts.ts'

const CONNECT_TIMEOUT_MS = 60_000

export interface UnitHandlers {
  windows (unit: string, windows: MetricWindowJSON[]): void
  event (unit: string, atMs: number, kind: string, detail: string): void
  /** A unit died or sent `fatal` before it finished. */
  failed (unit: string, reason: string): void
}

interface Unit {
  readonly name: string
  readonly instance: ServiceInstance
  conn?: UnitConnection
  report?: unknown
  finished: boolean
  reported: Promise<unknown>
  resolveReport: (r: unknown) => void
}

export class Units {
  readonly channel: ChannelServer
  readonly #runtime: Runtime
  readonly #handlers: UnitHandlers
  readonly #units = new Map<string, Unit>()
  readonly #lastTarget = new Map<string, string>()

  private constructor (channel: ChannelServer, runtime: Runtime, handlers: UnitHandlers) {
    this.channel = channel
    this.#runtime = runtime
    this.#handlers = handlers
    channel.on('message', (conn: UnitConnection, m: UnitMessage) => this.#onMessage(conn, m))
    channel.on('gone', (conn: UnitConnection) => {
      const u = this.#units.get(conn.unit)
      if (u !== undefined && !u.finished) handlers.failed(conn.unit, 'its connection to the runner closed before it finished')
      u?.resolveReport(u.report)
    })
    channel.on('rejected', (reason: string) => handlers.event('runner', Date.now(), 'channel-rejected', reason))
  }

  static async open (runtime: Runtime, handlers: UnitHandlers): Promise<Units> {
    return new Units(await ChannelServer.listen(), runtime, handlers)
  }

  /** Starts a unit through the Runtime and waits until it has connected; `spec(env)` builds its ServiceSpec. */
  async start (name: string, replica: number, spec: (env: Record<string, string>) => ServiceSpec, config: GatewayConfig | SinkConfig): Promise<void> {
    const instance = await this.#runtime.start(spec(this.channel.envFor(name)), replica)
    let resolveReport: (r: unknown) => void = () => {}
    const reported = new Promise<unknown>(resolve => { resolveReport = resolve })
    const unit: Unit = { name, instance, finished: false, reported, resolveReport }
    this.#units.set(name, unit)
    let conn: UnitConnection
    try {
      conn = await this.channel.waitForUnit(name, CONNECT_TIMEOUT_MS)
    } catch (e) {
      throw new Error(`${(e as Error).message}; see its log (${spec({}).logFile.replaceAll('{replica}', String(replica))})`)
    }
    unit.conn = conn
    conn.send({ type: 'config', config })
  }

  /** Sends a gateway its target (skipped when unchanged). */
  target (name: string, devices: number, ratePerDevice: number, surge = false): void {
    const key = `${devices}/${ratePerDevice}/${surge}`
    if (this.#lastTarget.get(name) === key) return
    this.#lastTarget.set(name, key)
    this.#units.get(name)?.conn?.send({ type: 'target', devices, ratePerDevice, surge })
  }

  /** Asks the units to finish and waits (up to `timeoutMs`) for their reports; missing reports are undefined. */
  async finish (names: readonly string[], timeoutMs: number): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>()
    await Promise.all(names.map(async name => {
      const u = this.#units.get(name)
      if (u === undefined) return
      u.finished = true
      u.conn?.send({ type: 'finish' })
      let timer: NodeJS.Timeout | undefined
      const report = await Promise.race([u.reported, new Promise(resolve => { timer = setTimeout(resolve, timeoutMs) })])
      clearTimeout(timer)
      out.set(name, report ?? u.report)
    }))
    return out
  }

  gatewayReports (reports: Map<string, unknown>): GatewayReport[] {
    return [...reports.values()].filter((r): r is GatewayReport => typeof r === 'object' && r !== null && 'sent' in r)
  }

  sinkReport (reports: Map<string, unknown>): SinkReport | undefined {
    return [...reports.values()].find((r): r is SinkReport => typeof r === 'object' && r !== null && 'devices' in r && 'records' in r)
  }

  /** Stops whatever unit process or container is still there. */
  async stopAll (): Promise<void> {
    await Promise.all([...this.#units.values()].map(async u => {
      u.finished = true
      await this.#runtime.stop(u.instance, { timeoutMs: 5000 }).catch(() => {})
    }))
  }

  async close (): Promise<void> {
    await this.channel.close()
  }

  #onMessage (conn: UnitConnection, m: UnitMessage): void {
    const u = this.#units.get(conn.unit)
    switch (m.type) {
      case 'windows': this.#handlers.windows(conn.unit, m.windows); break
      case 'event': this.#handlers.event(conn.unit, m.atMs, m.kind, m.detail); break
      case 'report':
        if (u !== undefined) { u.report = m.report; u.resolveReport(m.report) }
        break
      case 'fatal':
        this.#handlers.failed(conn.unit, `${m.code}: ${m.message}`)
        u?.resolveReport(undefined)
        break
      default: break
    }
  }
}
