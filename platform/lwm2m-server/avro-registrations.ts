// Registration events as the zeelos records of iot.<gw>.registrations: NEW on Register, UPDATE on Update (only the
// fields the Update carried, the others null), DELETE on De-register and on expiry (`expired` tells them apart).
import { parseLinkFormat } from '../../lib/lwm2m/link-format.ts'
import { AvroNames } from './avro/types.ts'
import type { AvroBnd, AvroLink, AvroRegistrationResponse } from './avro/types.ts'
import type { Registration, RegistrationChanges } from './registration-store.ts'

export interface RegistrationSource {
  /** zeelos's server id: which LWM2M server (gateway) saw the event. */
  serverId: string
  /** The address and port the server listens on (regAddr, regPort). */
  address: string
  port: number
}

/**
 * zeelos's binding enum knows UDP, SMS and queue mode (LWM2M 1.0 style "UQ"); LWM2M 1.1 has queue mode as its own
 * parameter and adds T and N, which the enum cannot say: such a binding is published as U.
 */
export function bindingEnum (binding: string, queueMode: boolean): AvroBnd {
  const u = binding.includes('U')
  const s = binding.includes('S')
  if (u && s) return queueMode ? 'UQS' : 'US'
  if (s && !u) return queueMode ? 'SQ' : 'S'
  return queueMode ? 'UQ' : 'U'
}

/** The link-format payload as zeelos links: attribute values as written, `rt` quoted as Leshan keeps it. */
export function avroLinks (objectLinks: string): AvroLink[] {
  let links
  try {
    links = parseLinkFormat(objectLinks)
  } catch {
    return []
  }
  return links.map(l => {
    const at: Record<string, string> = {}
    for (const [k, v] of l.params) at[k] = v === true ? '' : k === 'rt' || v.includes(' ') ? `"${v}"` : v
    return { url: l.uri, at }
  })
}

export function registrationNew (reg: Registration, source: RegistrationSource): AvroRegistrationResponse {
  return {
    kind: 'NEW',
    body: {
      [AvroNames.AvroRegistrationNew]: {
        ep: reg.endpoint,
        serverId: source.serverId,
        regDate: reg.registeredAt,
        address: reg.address,
        port: reg.port,
        regAddr: source.address,
        regPort: source.port,
        lt: reg.lifetimeS,
        sms: reg.smsNumber ?? null,
        ver: reg.lwm2mVersion,
        bnd: bindingEnum(reg.binding, reg.queueMode),
        regId: reg.id,
        links: avroLinks(reg.objectLinks),
        attributes: null,
        root: reg.links?.rootPath ?? '/',
        lastUp: reg.updatedAt,
      },
    },
  }
}

export function registrationUpdate (reg: Registration, changes: RegistrationChanges, source: RegistrationSource): AvroRegistrationResponse {
  return {
    kind: 'UPDATE',
    body: {
      [AvroNames.AvroRegistrationUpdate]: {
        ep: reg.endpoint,
        serverId: source.serverId,
        regId: reg.id,
        address: reg.address,
        port: reg.port,
        lt: changes.lifetimeS ?? null,
        sms: changes.smsNumber ?? null,
        bnd: changes.binding !== undefined ? bindingEnum(changes.binding, reg.queueMode) : null,
        links: changes.objectLinks !== undefined ? avroLinks(changes.objectLinks) : null,
        attributes: null,
        lastUp: reg.updatedAt,
      },
    },
  }
}

export function registrationDelete (reg: Registration, source: RegistrationSource, expired: boolean, now: number): AvroRegistrationResponse {
  return {
    kind: 'DELETE',
    body: { [AvroNames.AvroRegistrationDelete]: { ep: reg.endpoint, serverId: source.serverId, expired, lastUp: now } },
  }
}
