// Monitors (docs/control.md): they poll what the lab runs and write readings into the runner's metric stream.
// They see only the Runtime and the Kafka client port, so the same monitors work on docker and process runtimes and
// against external clusters.
//
// - ServiceMonitor (service-monitor.ts): CPU %, resident memory and network per service (replicas summed) from
//   Runtime.watchStats streams, and the lab's own process (service 'runner').
// - TopicMonitor: records appended to a set of topics (end offsets summed over partitions), as a per-second counter.
// - UdpDropsMonitor: datagrams the kernel dropped at a local UDP socket (the LWM2M server's), per second.
import { readFileSync } from 'node:fs'
import type { KafkaClient } from '../platform/kafka/client.ts'
import type { MetricsRecorder } from '../lib/metrics/recorder.ts'

export type { Monitor } from './monitor.ts'
import type { Monitor } from './monitor.ts'

export { ServiceMonitor, serviceMetric } from './service-monitor.ts'
export type { ServiceReading } from './service-monitor.ts'

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
