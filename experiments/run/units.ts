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
  /** A sink replica's batch arrivals (platform/sinks/arrivals.ts). */
  arrivals? (unit: string, arrivals: unknown): void
  /**
   * A replica of a scaled group went away without being asked to (killed from outside): not a failure of the run,
   * the group's control loop replaces it. `reported`: it sent its report first.
   */
  replicaGone? (unit: string, reported: boolean): void
}

/** A scaled service whose replicas connect as <prefix>-<replica> and all get the same config. */
interface Group {
  readonly prefix: string
  readonly config: SinkConfig
  /** Replicas asked to leave (scaled down): their goodbye is no failure. */
  readonly leaving: Set<string>
  /** Every report any replica sent, one per replica that ended cleanly. */
  readonly reports: unknown[]
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
  readonly #groups = new Map<string, Group>()
  /** Group replicas connected now, by unit name. */
  readonly #replicas = new Map<string, { group: Group, conn: UnitConnection, finished: boolean, reported: Promise<unknown>, resolveReport: (r: unknown) => void }>()

  private constructor (channel: ChannelServer, runtime: Runtime, handlers: UnitHandlers) {
    this.channel = channel
    this.#runtime = runtime
    this.#handlers = handlers
    channel.on('message', (conn: UnitConnection, m: UnitMessage) => this.#onMessage(conn, m))
    channel.on('unit', (conn: UnitConnection) => this.#onUnit(conn))
    channel.on('gone', (conn: UnitConnection) => {
      const r = this.#replicas.get(conn.unit)
      if (r !== undefined && r.conn === conn) {
        this.#replicas.delete(conn.unit)
        const leaving = r.group.leaving.delete(conn.unit)
        r.resolveReport(undefined)
        if (!r.finished && !leaving) handlers.replicaGone?.(conn.unit, false)
        return
      }
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

  /** Replicas that connect as `<prefix>-<n>` get `config` (the group's service is scaled through the Runtime). */
  serveGroup (prefix: string, config: SinkConfig): void {
    this.#groups.set(prefix, { prefix, config, leaving: new Set(), reports: [] })
    for (const conn of this.channel.units.values()) this.#onUnit(conn)
  }

  /** Connected replicas of a group, by replica number. */
  replicas (prefix: string): number[] {
    return [...this.#replicas.entries()].filter(([, r]) => r.group.prefix === prefix).map(([name]) => Number(name.slice(prefix.length + 1))).sort((a, b) => a - b)
  }

  /** Replicas about to be stopped on purpose (a scale down): their leaving is no failure. */
  leaving (prefix: string, replicas: readonly number[]): void {
    const g = this.#groups.get(prefix)
    for (const r of replicas) g?.leaving.add(`${prefix}-${r}`)
  }

  /** Waits until these replicas have connected (and got their config); the ones still missing after `timeoutMs`. */
  async waitForReplicas (prefix: string, replicas: readonly number[], timeoutMs: number): Promise<number[]> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const connected = new Set(this.replicas(prefix))
      const missing = replicas.filter(r => !connected.has(r))
      if (missing.length === 0 || Date.now() >= deadline) return missing
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }

  /** Asks every connected replica of the group to finish; their reports and those of replicas that left earlier. */
  async finishGroup (prefix: string, timeoutMs: number): Promise<unknown[]> {
    const g = this.#groups.get(prefix)
    if (g === undefined) return []
    const now = [...this.#replicas.values()].filter(r => r.group === g)
    for (const r of now) { r.finished = true; r.conn.send({ type: 'finish' }) }
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all(now.map(r => r.reported)), new Promise(resolve => { timer = setTimeout(resolve, timeoutMs) })])
    clearTimeout(timer)
    return [...g.reports]
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

  #onUnit (conn: UnitConnection): void {
    if (this.#replicas.has(conn.unit)) return
    for (const g of this.#groups.values()) {
      if (!new RegExp(`^${g.prefix}-\\d+$`).test(conn.unit)) continue
      let resolveReport: (r: unknown) => void = () => {}
      const reported = new Promise<unknown>(resolve => { resolveReport = resolve })
      this.#replicas.set(conn.unit, { group: g, conn, finished: false, reported, resolveReport })
      conn.send({ type: 'config', config: g.config })
      return
    }
  }

  #onMessage (conn: UnitConnection, m: UnitMessage): void {
    const u = this.#units.get(conn.unit)
    const r = this.#replicas.get(conn.unit)
    switch (m.type) {
      case 'windows': this.#handlers.windows(conn.unit, m.windows); break
      case 'event': this.#handlers.event(conn.unit, m.atMs, m.kind, m.detail); break
      case 'arrivals': this.#handlers.arrivals?.(conn.unit, m.arrivals); break
      case 'report':
        if (r !== undefined) { r.group.reports.push(m.report); r.resolveReport(m.report) }
        if (u !== undefined) { u.report = m.report; u.resolveReport(m.report) }
        break
      case 'fatal':
        this.#handlers.failed(conn.unit, `${m.code}: ${m.message}`)
        r?.resolveReport(undefined)
        u?.resolveReport(undefined)
        break
      default: break
    }
  }
}
