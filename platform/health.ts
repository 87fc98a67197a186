import { createSocket } from 'node:dgram'
import { readFile } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { InterruptedError, ServiceFailedError, TimeoutError } from '../lib/errors.ts'
import { sleep } from '../lib/time.ts'
import { encodeEmpty } from '../lib/coap/message.ts'
import { createKafkaClient } from './kafka/index.ts'
import type { KafkaClient } from './kafka/index.ts'

export const probeTopics = {
  /** Mirrored edge -> cloud like any gateway's observations. */
  up: 'iot.fleetlab-probe.observations',
  /** Mirrored cloud -> edge like any gateway's management requests. */
  down: 'iot.fleetlab-probe.management.req',
} as const

export interface WaitOptions {
  timeoutMs: number
  /** Resolves false once the service's process or container is gone: fail at once instead of waiting out the timeout. */
  alive?: () => Promise<boolean>
  /** The service log, quoted in the error when the service dies. */
  logFile?: string
  /** Ctrl-C: stop waiting at once. */
  signal?: AbortSignal
  /**
   * Resolves true once the service itself says it is ready (waitForCoap): an answer on its port alone may come
   * from another process bound there first.
   */
  ready?: () => Promise<boolean>
}

/** Waits until the broker answers a metadata request with at least one broker. */
export async function waitForBroker (service: string, bootstrap: readonly string[], options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs
  let lastError = ''
  while (Date.now() < deadline) {
    const client = createKafkaClient({ bootstrap, clientId: 'fleetlab-health', connectionTimeoutMs: 1000, retries: 0 })
    try {
      const cluster = await client.describeCluster()
      if (cluster.brokers.length > 0) return
    } catch (err) {
      lastError = (err as Error).message
    } finally {
      await client.close()
    }
    await failIfDead(service, options)
    await sleep(250)
  }
  throw new TimeoutError(`${service} (${bootstrap.join(',')}) did not answer metadata within ${options.timeoutMs / 1000}s: ${lastError}`,
    { hint: options.logFile !== undefined ? `see ${options.logFile}` : 'check that the brokers are reachable from this machine' })
}

/**
 * Waits until a CoAP endpoint answers a CoAP ping (an Empty CON, RFC 7252 §4.3) with a Reset: the server's
 * socket is bound and its receive loop runs.
 */
export async function waitForCoap (service: string, host: string, port: number, options: WaitOptions): Promise<void> {
  const socket = createSocket('udp4')
  let answered = false
  socket.on('message', (_msg, from) => { if (from.port === port) answered = true })
  socket.on('error', () => { /* an ICMP port unreachable while the server starts: keep pinging */ })
  await new Promise<void>(resolve => socket.bind(0, resolve))
  const deadline = Date.now() + options.timeoutMs
  try {
    while (Date.now() < deadline) {
      socket.send(encodeEmpty('CON', Math.floor(Math.random() * 0x10000)), port, host)
      for (let i = 0; i < 5 && !answered; i++) await sleep(50)
      if (answered && (options.ready === undefined || await options.ready())) return
      await failIfDead(service, options)
      if (answered) await sleep(200)
    }
  } finally {
    socket.close()
  }
  throw new TimeoutError(`${service} (coap://${host}:${port}) did not answer a CoAP ping within ${options.timeoutMs / 1000}s`,
    { hint: options.logFile !== undefined ? `see ${options.logFile}` : undefined })
}

/** Probe records: a record produced at one side is counted on the other (by the topic's high watermark). */
export async function waitForMirror (edge: KafkaClient, cloud: KafkaClient, options: WaitOptions): Promise<{ upMs: number, downMs: number }> {
  const [upMs, downMs] = await Promise.all([
    probeCrossing(edge, cloud, probeTopics.up, options),
    probeCrossing(cloud, edge, probeTopics.down, options),
  ])
  return { upMs, downMs }
}

async function probeCrossing (from: KafkaClient, to: KafkaClient, topic: string, options: WaitOptions): Promise<number> {
  const before = total(await to.topicOffsets(topic))
  const producer = await from.producer()
  const started = Date.now()
  const deadline = started + options.timeoutMs
  let sentAt = 0
  try {
    while (Date.now() < deadline) {
      // Resend every few seconds: a record sent before MirrorMaker assigned the topic is still mirrored
      // (its source consumer starts at the earliest offset), but a resend costs nothing.
      if (Date.now() - sentAt > 5000) {
        await producer.send(topic, [{ key: 'probe', value: JSON.stringify({ probe: randomUUID(), sentAt: Date.now() }) }])
        sentAt = Date.now()
      }
      if (total(await to.topicOffsets(topic)) > before) return Date.now() - started
      await failIfDead('mirror', options)
      await sleep(100)
    }
  } finally {
    await producer.close()
  }
  throw new TimeoutError(`a probe record on ${topic} did not cross the mirror within ${options.timeoutMs / 1000}s`,
    { hint: options.logFile !== undefined ? `see ${options.logFile}` : undefined })
}

function total (offsets: Array<{ high: number }>): number {
  return offsets.reduce((sum, o) => sum + o.high, 0)
}

async function failIfDead (service: string, options: WaitOptions): Promise<void> {
  if (options.signal?.aborted === true) throw new InterruptedError()
  if (options.alive === undefined || await options.alive()) return
  const tail = options.logFile !== undefined ? await logTail(options.logFile) : ''
  throw new ServiceFailedError(service, `exited during start-up${tail !== '' ? `; last log lines:\n${tail}` : ''}`,
    { hint: options.logFile !== undefined ? `full log: ${options.logFile}` : undefined })
}

export async function logTail (path: string, lines = 8): Promise<string> {
  try {
    const all = (await readFile(path, 'utf8')).trimEnd().split('\n')
    const tail = all.slice(-lines)
    // A JVM that fails says why in an ERROR line and then logs its shutdown: show the cause, not only the shutdown.
    const causes = all.slice(0, -lines).filter(l => /\b(ERROR|FATAL)\b|Exception|already in use/.test(l)).slice(0, 4)
    return [...causes, ...(causes.length > 0 ? ['...'] : []), ...tail].map(l => `    ${l.length > 400 ? `${l.slice(0, 400)}...` : l}`).join('\n')
  } catch {
    return ''
  }
}
