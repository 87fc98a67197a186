import { randomBytes } from 'node:crypto'
import type { RegistrationLinks } from '../../lib/lwm2m/registration-links.ts'

/** One registered LWM2M client (LWM2M 1.1 §6.2.1 Register, §6.2.2 Update). */
export interface Registration {
  /** The registration id: the last Location-Path segment returned on Register (/rd/<id>). */
  id: string
  endpoint: string
  /** Seconds; the registration expires when this passes without an Update. */
  lifetimeS: number
  lwm2mVersion: string
  binding: string
  smsNumber?: string
  queueMode: boolean
  /** The CoRE link-format payload of the last Register or Update that carried one. */
  objectLinks: string
  /** `objectLinks` parsed: root path, announced content formats, objects and instances. */
  links?: RegistrationLinks
  /** Where the client's datagrams come from: requests to the device go back there. */
  address: string
  port: number
  registeredAt: number
  updatedAt: number
}

export type NewRegistration = Omit<Registration, 'id' | 'registeredAt' | 'updatedAt'>
export type RegistrationChanges = Partial<Pick<Registration, 'lifetimeS' | 'binding' | 'smsNumber' | 'objectLinks' | 'links' | 'address' | 'port'>>

/**
 * Registrations by id and by endpoint. A Register from an endpoint that is already registered replaces
 * the old registration (LWM2M 1.1 §6.2.1: the server removes the previous one). Expiry is a sweep over
 * all registrations: at 20,000 devices that is 20,000 comparisons a second, cheaper than a timer each.
 */
export class RegistrationStore {
  readonly #byId = new Map<string, Registration>()
  readonly #byEndpoint = new Map<string, Registration>()
  readonly #now: () => number

  constructor (now: () => number = Date.now) {
    this.#now = now
  }

  get size (): number {
    return this.#byId.size
  }

  add (fields: NewRegistration): { registration: Registration, replaced?: Registration } {
    const replaced = this.#byEndpoint.get(fields.endpoint)
    if (replaced !== undefined) this.#byId.delete(replaced.id)
    const now = this.#now()
    const registration: Registration = { ...fields, id: this.#newId(), registeredAt: now, updatedAt: now }
    this.#byId.set(registration.id, registration)
    this.#byEndpoint.set(registration.endpoint, registration)
    return replaced !== undefined ? { registration, replaced } : { registration }
  }

  update (id: string, changes: RegistrationChanges): Registration | undefined {
    const registration = this.#byId.get(id)
    if (registration === undefined) return undefined
    for (const [key, value] of Object.entries(changes)) {
      if (value !== undefined) (registration as unknown as Record<string, unknown>)[key] = value
    }
    registration.updatedAt = this.#now()
    return registration
  }

  remove (id: string): Registration | undefined {
    const registration = this.#byId.get(id)
    if (registration === undefined) return undefined
    this.#byId.delete(id)
    if (this.#byEndpoint.get(registration.endpoint) === registration) this.#byEndpoint.delete(registration.endpoint)
    return registration
  }

  byId (id: string): Registration | undefined {
    return this.#byId.get(id)
  }

  byEndpoint (endpoint: string): Registration | undefined {
    return this.#byEndpoint.get(endpoint)
  }

  all (): IterableIterator<Registration> {
    return this.#byId.values()
  }

  /** Removes and returns every registration whose lifetime passed without an update, plus `graceMs`. */
  expire (graceMs = 0): Registration[] {
    const now = this.#now()
    const expired: Registration[] = []
    for (const registration of this.#byId.values()) {
      if (registration.updatedAt + registration.lifetimeS * 1000 + graceMs <= now) expired.push(registration)
    }
    for (const registration of expired) this.remove(registration.id)
    return expired
  }

  #newId (): string {
    for (;;) {
      const id = randomBytes(5).toString('hex')
      if (!this.#byId.has(id)) return id
    }
  }
}
