// The LWM2M server's bridge to the edge Kafka of gateway <gw>, in zeelos-compatible Avro (avro/README.md), every
// record keyed by the endpoint (AvroKey), so one device's records stay in one partition, in order:
//   iot.<gw>.registrations    NEW / UPDATE / DELETE                     produced
//   iot.<gw>.observations     one AvroResponseObserve per notification  produced (ticket and observationId fixed
//                             per observation; the device's trace as extra resources: avro-mapping.ts)
//   iot.<gw>.management.req   AvroRequest                               consumed (group = server id)
//   iot.<gw>.management.rep   AvroResponse with the request's ticket    produced
// Producing goes through one batched producer (batch-producer.ts). A request is carried out without holding up the
// consumer (at most `maxPendingRequests` at once); a malformed one is counted, answered when it has a ticket, and
// never stops the consumer.
import type { KafkaClient, KafkaConsumer, KafkaProducer, IncomingRecord } from '../kafka/client.ts'
import { decodeKey, encodeKey, observationCodec, registrationCodec, requestCodec, responseCodec } from './avro/codec.ts'
import { readBody, genericBody } from './avro/records.ts'
import type { AvroRegistrationResponse, AvroRequest, AvroRequestKind, AvroResponse } from './avro/types.ts'
import { toAvroNode, withTrace } from './avro-mapping.ts'
import { registrationDelete, registrationNew, registrationUpdate } from './avro-registrations.ts'
import type { RegistrationSource } from './avro-registrations.ts'
import { BatchingProducer } from './batch-producer.ts'
import type { BatchOptions } from './batch-producer.ts'
import { carryOut, recoverRequestHeader } from './management-requests.ts'
import type { ReplyContent } from './management-requests.ts'
import type { Lwm2mServer, Lwm2mServerEvents, Notification } from './server.ts'
import { GATEWAY_ID_EXPECTED, isGatewayId } from '../../lib/schema/net.ts'

export interface BridgeTopics {
  registrations: string
  observations: string
  requests: string
  replies: string
}

export function bridgeTopics (gateway: string): BridgeTopics {
  return {
    registrations: `iot.${gateway}.registrations`,
    observations: `iot.${gateway}.observations`,
    requests: `iot.${gateway}.management.req`,
    replies: `iot.${gateway}.management.rep`,
  }
}

export interface KafkaBridgeOptions {
  server: Lwm2mServer
  kafka: KafkaClient
  /** Gateway id: the <gw> of the topic names. */
  gateway: string
  /** zeelos's serverId in every record, and the consumer group of management requests. Default `lwm2m-<gw>`. */
  serverId?: string
  batch?: BatchOptions
  /** Requests carried out at once before the consumer waits. Default 1000. */
  maxPendingRequests?: number
  log?: (line: string) => void
}

type Listeners = { [K in keyof Lwm2mServerEvents]?: (...args: Lwm2mServerEvents[K]) => void }

export class KafkaBridge {
  readonly topics: BridgeTopics
  readonly serverId: string
  readonly #o: KafkaBridgeOptions
  readonly #keys = new Map<string, Buffer>()
  readonly #pending = new Set<Promise<void>>()
  readonly #listeners: Listeners = {}
  #producer: KafkaProducer | undefined
  #batch: BatchingProducer | undefined
  #consumer: KafkaConsumer | undefined
  #lastErrorLog = 0

  constructor (options: KafkaBridgeOptions) {
    if (!isGatewayId(options.gateway)) throw new Error(`gateway: expected ${GATEWAY_ID_EXPECTED}, got ${JSON.stringify(options.gateway)}`)
    this.#o = options
    this.topics = bridgeTopics(options.gateway)
    this.serverId = options.serverId ?? `lwm2m-${options.gateway}`
  }

  async start (): Promise<void> {
    const { kafka, server } = this.#o
    const t = this.topics
    await kafka.createTopics([t.registrations, t.observations, t.requests, t.replies].map(name => ({ name })))
    this.#producer = await kafka.producer()
    const metrics = server.metrics
    this.#batch = new BatchingProducer(this.#producer, metrics, {
      ...this.#o.batch,
      onError: (err, topic, n) => this.#logError(`kafka: ${n} records to ${topic} failed: ${err.message}`),
    })
    server.addGauge('lwm2m.kafka.queue', () => this.#batch?.queued ?? 0)
    const { address, port } = server.address()
    const source: RegistrationSource = { serverId: this.serverId, address, port }
    const l = this.#listeners
    l.registered = reg => this.#guard(() => this.#registration(reg.endpoint, registrationNew(reg, source)))
    l.updated = (reg, changes) => this.#guard(() => this.#registration(reg.endpoint, registrationUpdate(reg, changes, source)))
    l.deregistered = reg => this.#guard(() => { this.#registration(reg.endpoint, registrationDelete(reg, source, false, Date.now())); this.#keys.delete(reg.endpoint) })
    l.expired = reg => this.#guard(() => { this.#registration(reg.endpoint, registrationDelete(reg, source, true, Date.now())); this.#keys.delete(reg.endpoint) })
    l.notification = n => this.#guard(() => this.#notification(n))
    for (const [event, fn] of Object.entries(l)) server.on(event as 'registered', fn as never)
    this.#consumer = await kafka.consume({
      groupId: this.serverId,
      topics: [t.requests],
      // A request written before this group first joined is still carried out.
      fromBeginning: true,
      onRecord: record => this.#request(record),
    })
  }

  /** Stops consuming, waits for the requests under way (at most `graceMs`), flushes and closes the producer. */
  async stop (graceMs = 2000): Promise<void> {
    await this.#consumer?.close()
    this.#consumer = undefined
    await Promise.race([Promise.allSettled([...this.#pending]), new Promise(resolve => setTimeout(resolve, graceMs).unref())])
    for (const [event, fn] of Object.entries(this.#listeners)) this.#o.server.off(event as 'registered', fn as never)
    await this.#batch?.close()
    await this.#producer?.close()
    this.#producer = undefined
  }

  #key (ep: string): Buffer {
    let key = this.#keys.get(ep)
    if (key === undefined) this.#keys.set(ep, key = encodeKey(ep))
    return key
  }

  #registration (ep: string, record: AvroRegistrationResponse): void {
    this.#o.server.metrics.inc(`lwm2m.bridge.registrations.${record.kind}`)
    this.#batch?.add(this.topics.registrations, { key: this.#key(ep), value: registrationCodec.encode(record) })
  }

  #notification (n: Notification): void {
    const o = n.observation
    // The first response to an Observe from management.req is in its reply; an auto-observe has no reply.
    if (n.initial && !o.auto) return
    const metrics = this.#o.server.metrics
    if (n.node === undefined) {
      metrics.inc('lwm2m.bridge.observations.undecodable')
      return
    }
    let content = toAvroNode(o.path, n.node)
    if (n.trace !== undefined) content = withTrace(content, o.path, n.trace)
    const value = observationCodec.encode({
      ticket: o.ticket,
      observationId: o.id,
      serverId: this.serverId,
      ep: o.endpoint,
      path: o.pathText,
      // The time of the reading (the device's send time when traced), not of publishing: zeelos's sink uses it.
      timestamp: n.trace?.sentAtMs ?? n.receivedAt,
      rep: { code: 'CONTENT', kind: 'observe', body: readBody(content) },
    })
    metrics.inc('lwm2m.bridge.observations')
    this.#batch?.add(this.topics.observations, { key: this.#key(o.endpoint), value })
  }

  async #request (record: IncomingRecord): Promise<void> {
    const max = this.#o.maxPendingRequests ?? 1000
    while (this.#pending.size >= max) await Promise.race(this.#pending)
    const work = this.#handle(record).catch(err => this.#logError(`management request failed: ${(err as Error).message}`))
    this.#pending.add(work)
    void work.finally(() => this.#pending.delete(work))
  }

  async #handle (record: IncomingRecord): Promise<void> {
    const metrics = this.#o.server.metrics
    const value = record.value ?? Buffer.alloc(0)
    let req: AvroRequest
    try {
      req = requestCodec.decode(value, record.topic)
    } catch {
      const h = recoverRequestHeader(value)
      const reason = h.badKind === true ? 'kind' : 'avro'
      metrics.inc(`lwm2m.bridge.malformed.${reason}`)
      if (h.ticket === undefined) return
      let ep = h.ep ?? ''
      if (ep === '' && record.key !== null) try { ep = decodeKey(record.key) } catch { /* no endpoint to key the reply by */ }
      const why = reason === 'kind' ? 'an unknown request kind' : 'not an AvroRequest'
      this.#reply(h.ticket, ep, h.path ?? '', h.kind ?? 'read', { code: 'BAD_REQUEST', body: genericBody(`malformed request (${why})`) })
      return
    }
    metrics.inc(`lwm2m.bridge.request.${req.payload.kind}`)
    const content = await carryOut(this.#o.server, req)
    if (content.malformed !== undefined) metrics.inc(`lwm2m.bridge.malformed.${content.malformed}`)
    this.#reply(req.ticket, req.ep, req.payload.path, req.payload.kind, content)
  }

  #reply (ticket: string, ep: string, path: string, kind: AvroRequestKind, content: ReplyContent): void {
    const reply: AvroResponse = { ticket, serverId: this.serverId, ep, path, timestamp: Date.now(), rep: { code: content.code, kind, body: content.body } }
    this.#o.server.metrics.inc(`lwm2m.bridge.reply.${content.code}`)
    this.#batch?.add(this.topics.replies, { key: this.#key(ep), value: responseCodec.encode(reply) })
  }

  /** A record that cannot be encoded (a value Avro cannot hold) is counted and logged, never thrown into the server. */
  #guard (fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.#logError(`kafka bridge: ${(err as Error).message}`)
    }
  }

  /** At most one line a second, so a broker outage does not flood the log. */
  #logError (line: string): void {
    this.#o.server.metrics.inc('lwm2m.bridge.errors')
    const now = Date.now()
    if (now - this.#lastErrorLog < 1000) return
    this.#lastErrorLog = now
    this.#o.log?.(line)
  }
}
