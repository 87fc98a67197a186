// Monitors (DESIGN.md "control"): they poll what the lab runs and write readings into the runner's metric stream.
// They see only the Runtime and the Kafka client port, so the same monitors work on docker and process runtimes and
// against external clusters.
//
// - ServiceMonitor: CPU % and resident memory per service (replicas summed) through Runtime.stats, and the lab's
//   own process (service 'runner'). Docker's stats API takes about a second per container, so each service is
//   sampled in the background and the latest reading is recorded every second: a slow engine makes readings older,
//   never the runner late.
// - TopicMonitor: records appended to a set of topics (end offsets summed over partitions), as a per-second counter.
// - UdpDropsMonitor: datagrams the kernel dropped at a local UDP socket (the LWM2M server's), per second.
import { readFileSync } from 'node:fs'
import type { Runtime, ServiceInstance } from '../platform/runtime/types.ts'
import type { KafkaClient } from '../platform/kafka/client.ts'
import type { MetricsRecorder } from '../lib/metrics/recorder.ts'

export interface Monitor {
  start (): void
  stop (): Promise<void>
}

/** Metric names of a service's readings. */
export const serviceMetric = {
  cpu: (service: string): string => `service.${service}.cpu_pct`,
  memory: (service: string): string => `service.${service}.mem_mb`,
  replicas: (service: string): string => `service.${service}.replicas`,
} as const

interface Reading { cpuPercent: number, memoryBytes: number, running: boolean }

export class ServiceMonitor implements Monitor {
  readonly #runtime: Runtime
  readonly #platform: string
  readonly #recorder: MetricsRecorder
  readonly #latest = new Map<string, Reading>()
  readonly #sampling = new Set<string>()
  #instances: ServiceInstance[] = []
  #timer: NodeJS.Timeout | undefined
  #listing = false
  #cpu0 = process.cpuUsage()
  #at0 = performance.now()

  readonly #onGone: (instance: ServiceInstance) => void
  readonly #gone = new Set<string>()

  /** `onGone`: an instance that ran is no longer listed, or its stats say it stopped (told once per instance). */
  constructor (runtime: Runtime, platform: string, recorder: MetricsRecorder, onGone: (instance: ServiceInstance) => void = () => {}) {
    this.#runtime = runtime
    this.#platform = platform
    this.#recorder = recorder
    this.#onGone = onGone
  }

  start (): void {
    this.#tick()
    this.#timer = setInterval(() => this.#tick(), 1000)
  }

  async stop (): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** The latest reading per service, replicas summed. */
  snapshot (): Map<string, { cpuPercent: number, memoryBytes: number, replicas: number }> {
    const out = new Map<string, { cpuPercent: number, memoryBytes: number, replicas: number }>()
    for (const inst of this.#instances) {
      const r = this.#latest.get(key(inst))
      const s = out.get(inst.service) ?? { cpuPercent: 0, memoryBytes: 0, replicas: 0 }
      if (r?.running !== false) s.replicas++
      if (r !== undefined) { s.cpuPercent += r.cpuPercent; s.memoryBytes += r.memoryBytes }
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
        .then(list => {
          const listed = new Set(list.map(key))
          for (const inst of this.#instances) if (!listed.has(key(inst))) this.#lost(inst)
          this.#instances = list
          for (const inst of list) this.#sample(inst)
        })
        .catch(() => {})
        .finally(() => { this.#listing = false })
    }
  }

  #lost (inst: ServiceInstance): void {
    const k = `${key(inst)}@${inst.id}`
    if (this.#gone.has(k) || this.#timer === undefined) return
    this.#gone.add(k)
    this.#onGone(inst)
  }

  #sample (inst: ServiceInstance): void {
    const k = key(inst)
    if (this.#sampling.has(k) || this.#timer === undefined) return
    this.#sampling.add(k)
    this.#runtime.stats(inst)
      .then(s => {
        this.#latest.set(k, s)
        if (!s.running) this.#lost(inst)
      })
      .catch(() => {})
      .finally(() => this.#sampling.delete(k))
  }
}

function key (inst: ServiceInstance): string {
  return `${inst.service}#${inst.replica}`
}

/** Sum of end offsets of the topics matching `pattern` (or of `topics` when given); missing topics count 0. */
export async function topicRecords (kafka: KafkaClient, pattern: RegExp, topics?: readonly string[]): Promise<number> {
  const names = topics ?? (await kafka.listTopics()).filter(t => pattern.test(t))
  const offsets = await Promise.all(names.map(t => kafka.topicOffsets(t)))
  return offsets.flat().reduce((sum, p) => sum + p.high, 0)
}

/** How often TopicMonitor lists the cluster's topics anew (the offsets themselves are read every second). */
const TOPIC_LIST_MS = 10_000

/** Records appended to the matching topics, as counter `name` per second. */
export class TopicMonitor implements Monitor {
  readonly #kafka: KafkaClient
  readonly #pattern: RegExp
  readonly #recorder: MetricsRecorder
  readonly #name: string
  #last: number | undefined
  #timer: NodeJS.Timeout | undefined
  #busy = false
  #topics: string[] | undefined
  #listedAt = 0
  /** Records in the topics at the last successful poll. */
  total = 0

  constructor (kafka: KafkaClient, pattern: RegExp, recorder: MetricsRecorder, name: string) {
    this.#kafka = kafka
    this.#pattern = pattern
    this.#recorder = recorder
    this.#name = name
  }

  start (): void {
    void this.poll()
    this.#timer = setInterval(() => { void this.poll() }, 1000)
  }

  /** One poll now; resolves with the total. */
  async poll (): Promise<number> {
    if (this.#busy) return this.total
    this.#busy = true
    try {
      if (this.#topics === undefined || Date.now() - this.#listedAt > TOPIC_LIST_MS) {
        this.#topics = (await this.#kafka.listTopics()).filter(t => this.#pattern.test(t))
        this.#listedAt = Date.now()
      }
      const total = await topicRecords(this.#kafka, this.#pattern, this.#topics)
      if (this.#last !== undefined && total > this.#last) this.#recorder.counter(this.#name, total - this.#last)
      this.#last = total
      this.total = total
    } catch {
      // a broker that does not answer for a second shows as no records that second; health is checked elsewhere
    } finally {
      this.#busy = false
    }
    return this.total
  }

  async stop (): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    while (this.#busy) await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/**
 * Datagrams the kernel dropped at the UDP sockets bound to local `port` (the `drops` column of /proc/net/udp and
 * /proc/net/udp6: a full receive buffer), summed; undefined when /proc cannot tell (not Linux, another namespace).
 */
export function udpSocketDrops (port: number): number | undefined {
  let found = false
  let drops = 0
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string
    try { text = readFileSync(file, 'utf8') } catch { continue }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      if (f.length < 13) continue
      const local = f[1]!
      if (parseInt(local.slice(local.lastIndexOf(':') + 1), 16) !== port) continue
      found = true
      drops += Number(f[f.length - 1])
    }
  }
  return found ? drops : undefined
}

/**
 * Datagrams the kernel dropped on this host because a UDP receive buffer was full (/proc/net/snmp Udp RcvbufErrors);
 * undefined when unreadable. A small file, unlike /proc/net/udp, which lists every device socket of a fleet.
 */
export function udpHostDrops (): number | undefined {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter(l => l.startsWith('Udp:'))
    const names = lines[0]!.split(/\s+/)
    const value = Number(lines[1]!.split(/\s+/)[names.indexOf('RcvbufErrors')])
    return Number.isFinite(value) ? value : undefined
  } catch {
    return undefined
  }
}

/**
 * Kernel UDP drops, as counter `name` per second (0 included, so a quiet second shows 0): host-wide from
 * /proc/net/snmp each second (cheap; on a loopback lab the LWM2M server's socket is where they happen), and exactly
 * at the server's socket (`port`, from /proc/net/udp) for the run's total, read at start and at stop only.
 */
export class UdpDropsMonitor implements Monitor {
  readonly #port: number
  readonly #recorder: MetricsRecorder
  readonly #name: string
  #first: number | undefined
  #last: number | undefined
  #timer: NodeJS.Timeout | undefined

  constructor (port: number, recorder: MetricsRecorder, name: string) {
    this.#port = port
    this.#recorder = recorder
    this.#name = name
  }

  #hostLast: number | undefined

  start (): void {
    this.#first = udpSocketDrops(this.#port)
    this.#hostLast = udpHostDrops()
    this.#timer = setInterval(() => this.#poll(), 1000)
  }

  #poll (): void {
    const now = udpHostDrops()
    if (now === undefined) return
    this.#recorder.counter(this.#name, Math.max(0, now - (this.#hostLast ?? now)))
    this.#hostLast = now
  }

  /** Drops at the server's socket between start and stop (undefined when the socket was not seen). */
  get total (): number | undefined {
    return this.#last === undefined || this.#first === undefined ? undefined : this.#last - this.#first
  }

  async stop (): Promise<void> {
    if (this.#timer === undefined) return
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#poll()
    this.#last = udpSocketDrops(this.#port)
  }
}
