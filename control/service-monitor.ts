// ServiceMonitor (docs/control.md): CPU %, resident memory, replicas and, where the runtime can tell, network
// bytes per service (replicas summed), and the lab's own process (service 'runner'), into the runner's metric stream.
//
// It reads what the runtime streams: Runtime.watchStats per instance (a docker stats stream per container, one /proc
// timer for all processes), started when an instance appears in Runtime.list and stopped when it leaves. The list is
// polled every second for those comings and goings; the readings themselves cost no request. Gauges are written every
// second from the latest reading of each replica: a slow engine makes readings older, never the runner late.
import type { Runtime, ServiceInstance, ServiceStatsSample, StatsWatch } from '../platform/runtime/types.ts'
import type { MetricsRecorder } from '../lib/metrics/recorder.ts'
import type { Monitor } from './monitor.ts'

/** Metric names of a service's readings. */
export const serviceMetric = {
  cpu: (service: string): string => `service.${service}.cpu_pct`,
  memory: (service: string): string => `service.${service}.mem_mb`,
  replicas: (service: string): string => `service.${service}.replicas`,
  /** Counters: bytes per second, only for services whose runtime sees their own interfaces (not host networking). */
  networkRx: (service: string): string => `service.${service}.net_rx_bytes`,
  networkTx: (service: string): string => `service.${service}.net_tx_bytes`,
} as const

/** The latest figures of one service, replicas summed. */
export interface ServiceReading {
  cpuPercent: number
  memoryBytes: number
  replicas: number
  /** Epoch ms of the oldest reading behind the figures; undefined while a replica has none yet. */
  at: number | undefined
}

interface Watched {
  instance: ServiceInstance
  watch: StatsWatch | undefined
  latest: ServiceStatsSample | undefined
}

const LIST_MS = 1000

export class ServiceMonitor implements Monitor {
  readonly #runtime: Runtime
  readonly #platform: string
  readonly #recorder: MetricsRecorder
  readonly #onGone: (instance: ServiceInstance) => void
  /** By instanceKey: a replica started anew is another instance, with a watch of its own. */
  readonly #watched = new Map<string, Watched>()
  readonly #gone = new Set<string>()
  #instances: ServiceInstance[] = []
  #timer: NodeJS.Timeout | undefined
  #listing = false
  #cpu0 = process.cpuUsage()
  #at0 = performance.now()

  /** `onGone`: an instance that ran is no longer listed, or its stats say it stopped (told once per instance). */
  constructor (runtime: Runtime, platform: string, recorder: MetricsRecorder, onGone: (instance: ServiceInstance) => void = () => {}) {
    this.#runtime = runtime
    this.#platform = platform
    this.#recorder = recorder
    this.#onGone = onGone
  }

  start (): void {
    this.#tick()
    this.#timer = setInterval(() => this.#tick(), LIST_MS)
  }

  async stop (): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    for (const w of this.#watched.values()) w.watch?.stop()
    this.#watched.clear()
  }

  /** The latest reading per service, replicas summed. */
  snapshot (): Map<string, ServiceReading> {
    const out = new Map<string, ServiceReading>()
    for (const inst of this.#instances) {
      const r = this.#watched.get(instanceKey(inst))?.latest
      const s = out.get(inst.service) ?? { cpuPercent: 0, memoryBytes: 0, replicas: 0, at: Number.POSITIVE_INFINITY }
      if (r?.running !== false) s.replicas++
      if (r !== undefined) { s.cpuPercent += r.cpuPercent; s.memoryBytes += r.memoryBytes }
      s.at = r === undefined || s.at === undefined ? undefined : Math.min(s.at, r.at)
      out.set(inst.service, s)
    }
    return out
  }

  #tick (): void {
    // The runner itself: CPU since the last tick, RSS now.
    const now = performance.now()
    const cpu = process.cpuUsage(this.#cpu0)
    const elapsed = now - this.#at0
    this.#cpu0 = process.cpuUsage()
    this.#at0 = now
    // a reading over a sliver of time is noise (the first tick comes right after start)
    if (elapsed >= 500) this.#recorder.gauge(serviceMetric.cpu('runner'), (cpu.user + cpu.system) / 1000 / elapsed * 100, 'max')
    this.#recorder.gauge(serviceMetric.memory('runner'), process.memoryUsage().rss / 1048576, 'max')
    for (const [service, s] of this.snapshot()) {
      this.#recorder.gauge(serviceMetric.cpu(service), s.cpuPercent, 'max')
      this.#recorder.gauge(serviceMetric.memory(service), s.memoryBytes / 1048576, 'max')
      this.#recorder.gauge(serviceMetric.replicas(service), s.replicas, 'max')
    }
    if (!this.#listing) {
      this.#listing = true
      this.#runtime.list({ platform: this.#platform })
        .then(list => this.#listed(list))
        .catch(() => {})
        .finally(() => { this.#listing = false })
    }
  }

  #listed (list: ServiceInstance[]): void {
    if (this.#timer === undefined) return
    const listed = new Set(list.map(instanceKey))
    for (const [k, w] of this.#watched) {
      if (listed.has(k)) continue
      w.watch?.stop()
      this.#watched.delete(k)
      this.#lost(w.instance)
    }
    this.#instances = list
    for (const inst of list) this.#watch(inst)
  }

  #watch (inst: ServiceInstance): void {
    const k = instanceKey(inst)
    if (this.#watched.has(k)) return
    const w: Watched = { instance: inst, watch: undefined, latest: undefined }
    this.#watched.set(k, w)
    w.watch = this.#runtime.watchStats(inst, s => {
      if (this.#watched.get(k) !== w) return
      this.#countNetwork(inst.service, w.latest, s)
      w.latest = s
      if (!s.running) this.#lost(inst)
    })
  }

  /** Bytes since the replica's previous reading, as per-second counters (the readings come once a second). */
  #countNetwork (service: string, previous: ServiceStatsSample | undefined, s: ServiceStatsSample): void {
    const rx = delta(previous?.networkRxBytes, s.networkRxBytes)
    const tx = delta(previous?.networkTxBytes, s.networkTxBytes)
    if (rx !== undefined) this.#recorder.counter(serviceMetric.networkRx(service), rx)
    if (tx !== undefined) this.#recorder.counter(serviceMetric.networkTx(service), tx)
  }

  #lost (inst: ServiceInstance): void {
    const k = instanceKey(inst)
    if (this.#gone.has(k) || this.#timer === undefined) return
    this.#gone.add(k)
    this.#onGone(inst)
  }
}

function instanceKey (inst: ServiceInstance): string {
  return `${inst.service}#${inst.replica}@${inst.id}`
}

/** Growth of a cumulative counter; undefined when either end is unknown or it went back (interfaces reset). */
function delta (before: number | null | undefined, after: number | null): number | undefined {
  if (before === undefined || before === null || after === null || after < before) return undefined
  return after - before
}
