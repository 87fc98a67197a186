// Requests from the server to a device through node-coap's Agent (on the shared socket, coap-socket.ts): CON with
// node-coap's retransmission (RFC 7252 §4.2), Accept and Content-Format (§5.10), Observe register/deregister
// (RFC 7641 §2). Outcomes a device can cause (no answer, RST) are results, not exceptions: a load lab expects them.
import { ObserveReadStream } from 'coap'
import type { Agent, IncomingMessage, OutgoingMessage } from 'coap'
import { parseContentFormat } from '../../lib/lwm2m/content-format.ts'
import type { Counters } from './metrics.ts'

export type CoapMethod = 'GET' | 'POST' | 'PUT' | 'DELETE'

export interface DeviceRequest {
  method: CoapMethod
  /** "/3/0"; "/" for the root. */
  path: string
  /** Uri-Query, "pmin=10&pmax=60". */
  query?: string
  accept?: number
  contentFormat?: number
  payload?: Buffer
  /** 0 registers an observation, 1 deregisters the one with `token` (RFC 7641 §3.1, §3.6). */
  observe?: 0 | 1
  token?: Buffer
}

/**
 * response: the device answered (any code); reset: it answered RST; timeout: nothing within the timeout;
 * unknown-endpoint: no such registration; error: the request could not be sent.
 */
export type DeviceOutcome = 'response' | 'timeout' | 'reset' | 'unknown-endpoint' | 'error'

export interface DeviceReply {
  outcome: DeviceOutcome
  /** "2.05"; "" unless outcome is response. */
  code: string
  contentFormat?: number
  payload: Buffer
  /** The Observe option of the response: present when an observation was established. */
  observe?: number
  /** The request's token (the observation's id when observing). */
  token?: Buffer
  /** Location-Path of a Create response ("/3303/1" as ["3303", "1"]). */
  locationPath: string[]
  /** Why there is no response (timeout, reset, send error), for logs and error replies. */
  error?: string
}

export interface Target {
  address: string
  port: number
}

const EMPTY = Buffer.alloc(0)

export class DeviceRequester {
  readonly #agent: Agent
  readonly #metrics: Counters
  readonly #timeoutMs: number
  readonly #pending = new Set<(reply: DeviceReply) => void>()
  #closed = false

  constructor (agent: Agent, metrics: Counters, timeoutMs: number) {
    this.#agent = agent
    this.#metrics = metrics
    this.#timeoutMs = timeoutMs
  }

  /** Sends one CON request and waits for its response, at most `timeoutMs`. `kind` names the metric. */
  send (target: Target, request: DeviceRequest, kind: string, timeoutMs = this.#timeoutMs): Promise<DeviceReply> {
    this.#metrics.inc(`lwm2m.request.${kind}`)
    if (this.#closed) return Promise.resolve({ outcome: 'error', code: '', payload: EMPTY, locationPath: [], error: 'the server stopped' })
    return new Promise(resolve => {
      let settled = false
      const done = (reply: DeviceReply): void => {
        if (settled) return
        settled = true
        this.#pending.delete(done)
        clearTimeout(timer)
        if (reply.outcome !== 'response') this.#metrics.inc(`lwm2m.request.${reply.outcome}`)
        resolve(reply)
      }
      let req: OutgoingMessage
      try {
        req = this.#agent.request({
          hostname: target.address,
          port: target.port,
          method: request.method,
          pathname: request.path,
          confirmable: true,
          ...(request.query !== undefined && request.query !== '' ? { query: request.query } : {}),
          ...(request.accept !== undefined ? { accept: request.accept } : {}),
          ...(request.contentFormat !== undefined ? { contentFormat: request.contentFormat } : {}),
          ...(request.observe === 0 ? { observe: true } : request.observe === 1 ? { observe: 1 } : {}),
          ...(request.token !== undefined ? { token: request.token } : {}),
        })
      } catch (err) {
        resolve({ outcome: 'error', code: '', payload: EMPTY, locationPath: [], error: (err as Error).message })
        return
      }
      this.#pending.add(done)
      const timer = setTimeout(() => {
        this.#agent.abort(req)
        done({ outcome: 'timeout', code: '', payload: EMPTY, locationPath: [], error: `no response from ${target.address}:${target.port} within ${timeoutMs} ms` })
      }, timeoutMs)
      req.on('response', (res: IncomingMessage) => {
        // An observe response comes as node-coap's ObserveReadStream. Notifications are handled with lib/coap
        // (observations.ts), so its state in the Agent is dropped at once; nothing is sent to the device.
        if (res instanceof ObserveReadStream) res.close(false)
        done(replyOf(res))
      })
      req.on('error', (err: Error) => done({ outcome: 'error', code: '', payload: EMPTY, locationPath: [], error: err.message }))
      req.on('timeout', () => done({ outcome: 'timeout', code: '', payload: EMPTY, locationPath: [], error: 'node-coap gave up retransmitting' }))
      try {
        req.end(request.payload)
      } catch (err) {
        this.#agent.abort(req)
        done({ outcome: 'error', code: '', payload: EMPTY, locationPath: [], error: (err as Error).message })
      }
    })
  }

  /** Settles every request still waiting (as errors): the server is stopping. */
  close (): void {
    this.#closed = true
    for (const done of [...this.#pending]) done({ outcome: 'error', code: '', payload: EMPTY, locationPath: [], error: 'the server stopped' })
  }
}

function replyOf (res: IncomingMessage): DeviceReply {
  if (res.code === '0.00') return { outcome: 'reset', code: '', payload: EMPTY, locationPath: [], error: 'the device answered RST' }
  const packet = res._packet
  const observe = res.headers.Observe
  const locationPath: string[] = []
  for (const o of packet.options ?? []) if (o.name === 'Location-Path') locationPath.push(String(o.value))
  const format = formatOf(res.headers['Content-Format'])
  return {
    outcome: 'response',
    code: res.code,
    payload: packet.payload ?? EMPTY,
    ...(format !== undefined ? { contentFormat: format } : {}),
    ...(typeof observe === 'number' ? { observe } : {}),
    ...(packet.token !== undefined ? { token: packet.token } : {}),
    locationPath,
  }
}

/** node-coap reports a Content-Format by its media type name when it knows one, else by number. */
function formatOf (value: unknown): number | undefined {
  if (typeof value === 'number') return value
  if (typeof value !== 'string') return undefined
  try {
    return parseContentFormat(value)
  } catch {
    return undefined
  }
}
