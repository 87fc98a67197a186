// A client of the Leshan harness server's HTTP control API (scripts/jvm/leshan/src/dev/fleetlab/leshan/ControlApi.java,
// modelled on the REST API of Leshan's server demo). Device answers come back as data, including LWM2M errors
// (`success: false, code: 'NOT_FOUND'`); only a failure of the API itself (unknown endpoint, no answer from the device
// in time, bad format name) throws a LeshanApiError.
import { ServiceFailedError, TimeoutError } from '../../lib/errors.ts'

/** Content-format names as Leshan spells them (org.eclipse.leshan.core.request.ContentFormat). */
export type LeshanFormat = 'TLV' | 'SENML_JSON' | 'SENML_CBOR' | 'TEXT' | 'JSON' | 'CBOR' | 'OPAQUE'

/** A value as the harness prints it: time as ISO-8601 text, opaque as hex, object links as "3:0". */
export type LeshanValue = string | number | boolean | null

/** A node flattened to path -> value, e.g. { '/3/0/0': 'fleetlab', '/3/0/11/0': 0 }: the same for every format. */
export type LeshanContent = Record<string, LeshanValue>

export interface LeshanRegistration {
  endpoint: string
  registrationId: string
  /** Source address of the device as the server saw it, "ip:port". */
  address: string
  lifetime: number
  lwm2mVersion: string
  bindingMode: string
  registrationDateMs: number
  lastUpdateMs: number
  /** The registration's CoRE links, e.g. ['</1/0>', '</3303>;ver=1.1', '</3303/0>']. */
  objectLinks: string[]
}

/** A device's answer: `code` is the LWM2M response code name (CONTENT, CHANGED, NOT_FOUND, ...). */
export interface LeshanResponse {
  code: string
  success: boolean
  error?: string
  /** Read, Observe: the node at the path. */
  content?: LeshanContent
  /** SenML base time of the value, when the device sent one. */
  timestampMs?: number
  /** Discover: CoRE links. */
  links?: string[]
}

/** The fleetlab trace found in a notification (server started with fleetlabTrace). */
export interface LeshanTrace { seq: number, sentAtMs: number, deviceId: string }

interface EventBase { seq: number, receivedAtMs: number, endpoint: string, registrationId: string }
export type LeshanEvent =
  | (EventBase & LeshanRegistration & { type: 'REGISTRATION' | 'UPDATED' })
  | (EventBase & LeshanRegistration & { type: 'DEREGISTRATION', expired: boolean })
  | (EventBase & { type: 'NOTIFICATION', path?: string, paths?: string[], value: LeshanContent, timestampMs?: number, trace?: LeshanTrace })
  | (EventBase & { type: 'NOTIFICATION_ERROR', path?: string, paths?: string[], error: string })

export type LeshanEventType = LeshanEvent['type']

export interface LeshanStats {
  /** Registrations now. */
  registrations: number
  registrationsTotal: number
  updates: number
  deregistrations: number
  notifications: number
  /** Notifications received during the last complete wall-clock second. */
  notificationsLastSecond: number
  /** Notifications Leshan could not decode (each also a NOTIFICATION_ERROR event). */
  notificationErrors: number
  /** Notifications whose fleetlab trace records were taken out before decoding (fleetlabTrace). */
  tracesStripped: number
  /** CPU time of the JVM process so far (all threads). */
  cpuMs: number
  heapUsedBytes: number
  uptimeMs: number
}

export interface LeshanModel { id: number, version: string, name: string, resources: Record<string, string> }

export interface RequestOptions {
  format?: LeshanFormat
  /** How long the server waits for the device, in seconds (default 5). */
  timeoutS?: number
}

/** The control API failed (HTTP status other than 200): `status` 404 unknown endpoint, 504 device silent, 400 bad input. */
export class LeshanApiError extends ServiceFailedError {
  readonly status: number
  constructor (status: number, message: string) {
    super('leshan-server', message)
    this.name = 'LeshanApiError'
    this.status = status
  }
}

export class LeshanControlApi {
  /** e.g. http://127.0.0.1:8080 */
  readonly url: string

  constructor (url: string) {
    this.url = url.replace(/\/$/, '')
  }

  clients (): Promise<LeshanRegistration[]> {
    return this.#json('GET', '/api/clients')
  }

  /** The registration of `endpoint`, or undefined when it is not registered. */
  async client (endpoint: string): Promise<LeshanRegistration | undefined> {
    try {
      return await this.#json<LeshanRegistration>('GET', this.#clientPath(endpoint, ''))
    } catch (err) {
      if (err instanceof LeshanApiError && err.status === 404) return undefined
      throw err
    }
  }

  read (endpoint: string, path: string, options: RequestOptions = {}): Promise<LeshanResponse> {
    return this.#json('GET', this.#clientPath(endpoint, path), options)
  }

  discover (endpoint: string, path: string, options: RequestOptions = {}): Promise<LeshanResponse> {
    return this.#json('GET', this.#clientPath(endpoint, `${path}/discover`), options)
  }

  /** Write (Replace) of one resource; the server types the text by its model of the object. */
  write (endpoint: string, path: string, value: string | number | boolean, options: RequestOptions = {}): Promise<LeshanResponse> {
    return this.#json('PUT', this.#clientPath(endpoint, path), options, String(value))
  }

  execute (endpoint: string, path: string, args?: string, options: RequestOptions = {}): Promise<LeshanResponse> {
    return this.#json('POST', this.#clientPath(endpoint, path), options, args)
  }

  /** Observe: the answer carries the current value; later values arrive as NOTIFICATION events. */
  observe (endpoint: string, path: string, options: RequestOptions = {}): Promise<LeshanResponse> {
    return this.#json('POST', this.#clientPath(endpoint, `${path}/observe`), options)
  }

  /** Passive by default (the server forgets the observation and resets the next notification); active also sends a Cancel-Observe. */
  cancelObserve (endpoint: string, path: string, options: RequestOptions & { active?: boolean } = {}): Promise<LeshanResponse | { cancelled: number }> {
    return this.#json('DELETE', this.#clientPath(endpoint, `${path}/observe`), options, undefined, options.active === true ? { active: '' } : {})
  }

  /** Observe-Composite (LWM2M 1.1 §6.4.3) of several paths, e.g. ['/3303/0/5700', '/33000/0']; SenML only (default SENML_CBOR). */
  observeComposite (endpoint: string, paths: readonly string[], options: RequestOptions = {}): Promise<LeshanResponse> {
    return this.#json('POST', this.#clientPath(endpoint, '/composite/observe'), options, undefined, { paths: paths.join(',') })
  }

  cancelObserveComposite (endpoint: string, paths: readonly string[]): Promise<{ cancelled: number }> {
    return this.#json('DELETE', this.#clientPath(endpoint, '/composite/observe'), {}, undefined, { paths: paths.join(',') })
  }

  /** Events with seq > since, oldest first. The log is bounded: a gap in seq means older events were dropped. */
  async events (since = 0): Promise<LeshanEvent[]> {
    const text = await this.#text('GET', `/api/events?since=${since}`)
    return text.split('\n').filter(line => line !== '').map(line => JSON.parse(line) as LeshanEvent)
  }

  /**
   * The first event after `since` that `match` accepts, polling every 100 ms; a TimeoutError quoting the last events
   * seen when none comes within `timeoutMs` (default 10 s).
   */
  async waitForEvent<E extends LeshanEvent = LeshanEvent> (match: (e: LeshanEvent) => e is E, options?: { since?: number, timeoutMs?: number }): Promise<E>
  async waitForEvent (match: (e: LeshanEvent) => boolean, options?: { since?: number, timeoutMs?: number }): Promise<LeshanEvent>
  async waitForEvent (match: (e: LeshanEvent) => boolean, options: { since?: number, timeoutMs?: number } = {}): Promise<LeshanEvent> {
    const timeoutMs = options.timeoutMs ?? 10_000
    const deadline = Date.now() + timeoutMs
    let since = options.since ?? 0
    const seen: string[] = []
    for (;;) {
      for (const e of await this.events(since)) {
        if (match(e)) return e
        since = e.seq
        seen.push(`${e.type} ${e.endpoint}${'path' in e && e.path !== undefined ? ` ${e.path}` : ''}${'error' in e ? `: ${e.error}` : ''}`)
      }
      if (Date.now() > deadline) {
        throw new TimeoutError(`no matching Leshan event within ${timeoutMs} ms; events seen: ${seen.length === 0 ? 'none' : seen.slice(-10).join('; ')}`)
      }
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }

  stats (): Promise<LeshanStats> {
    return this.#json('GET', '/api/stats')
  }

  models (): Promise<LeshanModel[]> {
    return this.#json('GET', '/api/models')
  }

  #clientPath (endpoint: string, path: string): string {
    const p = path === '' || path.startsWith('/') ? path : `/${path}`
    return `/api/clients/${encodeURIComponent(endpoint)}${p}`
  }

  async #json<T> (method: string, path: string, options: RequestOptions = {}, body?: string, extra: Record<string, string> = {}): Promise<T> {
    const query = new URLSearchParams(extra)
    if (options.format !== undefined) query.set('format', options.format)
    if (options.timeoutS !== undefined) query.set('timeout', String(options.timeoutS))
    const qs = query.toString()
    return JSON.parse(await this.#text(method, qs === '' ? path : `${path}?${qs}`, body)) as T
  }

  async #text (method: string, path: string, body?: string): Promise<string> {
    let res: Response
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        ...(body !== undefined ? { body, headers: { 'content-type': 'text/plain' } } : {}),
      })
    } catch (err) {
      throw new LeshanApiError(0, `${method} ${this.url}${path}: ${(err as Error).message}`)
    }
    const text = await res.text()
    if (res.status !== 200) {
      let message = text
      try { message = (JSON.parse(text) as { error?: string }).error ?? text } catch { /* not JSON */ }
      throw new LeshanApiError(res.status, `${method} ${path}: ${res.status} ${message}`)
    }
    return text
  }
}
