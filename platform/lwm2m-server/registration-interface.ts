// The LWM2M Client Registration Interface over CoAP (LWM2M 1.1 §6.2 operations, transport §8.2.x / Table 6.2.1-1):
//   Register    POST   /rd?ep={name}&lt={s}&lwm2m={v}&b={binding}&sms={msisdn}&Q   payload: link-format   -> 2.01 Location-Path rd/{id}
//   Update      POST   /rd/{id}?lt=&b=&sms=                                     payload: optional     -> 2.04
//   De-register DELETE /rd/{id}                                                                        -> 2.02
// A bad parameter or payload is 4.00 with a diagnostic payload (RFC 7252 §5.5.2) naming every problem; an unknown
// registration id 4.04; an LWM2M version the server does not speak 4.12 (§6.2.1).
import type { IncomingMessage, OutgoingMessage } from 'coap'
import { isLwm2mFormatError } from '../../lib/lwm2m/errors.ts'
import { parseRegistrationLinks } from '../../lib/lwm2m/registration-links.ts'
import type { RegistrationLinks } from '../../lib/lwm2m/registration-links.ts'
import type { Counters } from './metrics.ts'
import type { Registration, RegistrationChanges, RegistrationStore } from './registration-store.ts'

export interface RegistrationEvents {
  registered (registration: Registration, replaced: Registration | undefined): void
  updated (registration: Registration, changes: RegistrationChanges): void
  deregistered (registration: Registration): void
}

export interface RegistrationContext {
  store: RegistrationStore
  metrics: Counters
  events: RegistrationEvents
}

/** LWM2M 1.1 §5.3.1 default lifetime when the client sends none. */
export const DEFAULT_LIFETIME_S = 86_400
const SUPPORTED_MAJOR = '1'
const LINK_FORMAT = 40

type Reply = (code: string, diagnostic?: string, locationPath?: string[]) => void

/** Handles one request the node-coap Server received; anything outside /rd is 4.04. */
export function handleRegistrationRequest (ctx: RegistrationContext, req: IncomingMessage, res: OutgoingMessage): void {
  const reply: Reply = (code, diagnostic, locationPath) => {
    res.code = code
    if (locationPath !== undefined) res.setOption('Location-Path', locationPath.map(s => Buffer.from(s)))
    res.end(diagnostic !== undefined ? Buffer.from(diagnostic) : undefined)
  }
  const path = optionStrings(req, 'Uri-Path')
  if (path[0] !== 'rd' || path.length > 2) {
    ctx.metrics.inc('lwm2m.rd.not_found')
    return reply('4.04', `no resource at /${path.join('/')}; the registration interface is /rd`)
  }
  const method = req.method
  if (path.length === 1 && method === 'POST') return register(ctx, req, reply)
  if (path.length === 2 && method === 'POST') return update(ctx, req, path[1]!, reply)
  if (path.length === 2 && method === 'DELETE') return deregister(ctx, path[1]!, reply)
  ctx.metrics.inc('lwm2m.rd.method_not_allowed')
  reply('4.05', `${method} is not allowed on /${path.join('/')} (Register: POST /rd, Update: POST /rd/{id}, De-register: DELETE /rd/{id})`)
}

function register (ctx: RegistrationContext, req: IncomingMessage, reply: Reply): void {
  const query = queryOf(req)
  const problems: string[] = []
  const endpoint = query.get('ep')
  if (endpoint === undefined || endpoint === '') problems.push('ep: the endpoint client name is missing')
  const lifetimeS = parseLifetime(query.get('lt'), problems) ?? DEFAULT_LIFETIME_S
  const binding = parseBinding(query.get('b'), problems) ?? 'U'
  const version = query.get('lwm2m') ?? '1.0'
  if (!/^[0-9]+\.[0-9]+$/.test(version)) problems.push(`lwm2m: expected a version such as 1.1, got ${JSON.stringify(version)}`)
  const links = parsePayload(req, problems, true)
  if (problems.length > 0) return reject(ctx, reply, problems)
  if (version.split('.')[0] !== SUPPORTED_MAJOR) {
    ctx.metrics.inc('lwm2m.rd.unsupported_version')
    return reply('4.12', `lwm2m: version ${version} is not supported (1.x is)`)
  }
  const sms = query.get('sms')
  const { registration, replaced } = ctx.store.add({
    endpoint: endpoint!,
    lifetimeS,
    lwm2mVersion: version,
    binding: binding.replace('Q', ''),
    ...(sms !== undefined && sms !== '' ? { smsNumber: sms } : {}),
    // LWM2M 1.1 moved queue mode from the binding ("UQ") to its own parameter "Q".
    queueMode: query.has('Q') || binding.includes('Q'),
    objectLinks: links!.text,
    links: links!.parsed,
    address: req.rsinfo.address,
    port: req.rsinfo.port,
  })
  ctx.metrics.inc('lwm2m.register')
  if (replaced !== undefined) ctx.metrics.inc('lwm2m.register.replaced')
  reply('2.01', undefined, ['rd', registration.id])
  ctx.events.registered(registration, replaced)
}

function update (ctx: RegistrationContext, req: IncomingMessage, id: string, reply: Reply): void {
  if (ctx.store.byId(id) === undefined) {
    ctx.metrics.inc('lwm2m.rd.unknown_registration')
    return reply('4.04', `no registration /rd/${id} (expired or never made): register again`)
  }
  const query = queryOf(req)
  const problems: string[] = []
  const lifetimeS = parseLifetime(query.get('lt'), problems)
  const binding = parseBinding(query.get('b'), problems)
  const links = parsePayload(req, problems, false)
  if (problems.length > 0) return reject(ctx, reply, problems)
  const sms = query.get('sms')
  const changes: RegistrationChanges = {
    ...(lifetimeS !== undefined ? { lifetimeS } : {}),
    ...(binding !== undefined ? { binding: binding.replace('Q', '') } : {}),
    ...(sms !== undefined && sms !== '' ? { smsNumber: sms } : {}),
    ...(links !== undefined ? { objectLinks: links.text, links: links.parsed } : {}),
  }
  // The client may come back from a new address or port (NAT rebinding): requests follow it.
  const registration = ctx.store.update(id, { ...changes, address: req.rsinfo.address, port: req.rsinfo.port })!
  ctx.metrics.inc('lwm2m.update')
  reply('2.04')
  ctx.events.updated(registration, changes)
}

function deregister (ctx: RegistrationContext, id: string, reply: Reply): void {
  const registration = ctx.store.remove(id)
  if (registration === undefined) {
    ctx.metrics.inc('lwm2m.rd.unknown_registration')
    return reply('4.04', `no registration /rd/${id}`)
  }
  ctx.metrics.inc('lwm2m.deregister')
  reply('2.02')
  ctx.events.deregistered(registration)
}

function reject (ctx: RegistrationContext, reply: Reply, problems: string[]): void {
  ctx.metrics.inc('lwm2m.rd.bad_request')
  reply('4.00', problems.join('; '))
}

function parseLifetime (value: string | undefined, problems: string[]): number | undefined {
  if (value === undefined) return undefined
  const n = /^[0-9]{1,10}$/.test(value) ? Number(value) : Number.NaN
  if (!(n >= 1 && n <= 0xffffffff)) {
    problems.push(`lt: expected a lifetime in whole seconds (1-4294967295), got ${JSON.stringify(value)}`)
    return undefined
  }
  return n
}

/** U, S, T (TCP), N (non-IP) and Q (1.0 queue mode), each at most once (LWM2M 1.1 §6.2.1.1). */
function parseBinding (value: string | undefined, problems: string[]): string | undefined {
  if (value === undefined) return undefined
  if (!/^[USTNQ]{1,5}$/.test(value) || !/[USTN]/.test(value) || new Set(value).size !== value.length) {
    problems.push(`b: expected a binding made of U, S, T, N, Q, got ${JSON.stringify(value)}`)
    return undefined
  }
  return value
}

function parsePayload (req: IncomingMessage, problems: string[], required: boolean): { text: string, parsed: RegistrationLinks } | undefined {
  const payload = req.payload
  if (payload === undefined || payload.length === 0) {
    if (required) problems.push('payload: the link-format list of objects and instances (e.g. </1/0>,</3/0>) is missing')
    return undefined
  }
  const format = req.headers['Content-Format']
  if (format !== undefined && format !== 'application/link-format' && format !== LINK_FORMAT) {
    problems.push(`payload: Content-Format must be application/link-format (40), got ${String(format)}`)
    return undefined
  }
  try {
    return { text: payload.toString('utf8'), parsed: parseRegistrationLinks(payload) }
  } catch (err) {
    if (!isLwm2mFormatError(err)) throw err
    problems.push(`payload: ${err.message}`)
    return undefined
  }
}

/** Uri-Query options as key -> value; "Q" alone gives Q -> "". Each option is one parameter (RFC 7252 §6.5). */
function queryOf (req: IncomingMessage): Map<string, string> {
  const query = new Map<string, string>()
  for (const item of optionStrings(req, 'Uri-Query')) {
    const eq = item.indexOf('=')
    query.set(eq < 0 ? item : item.slice(0, eq), eq < 0 ? '' : item.slice(eq + 1))
  }
  return query
}

function optionStrings (req: IncomingMessage, name: string): string[] {
  const out: string[] = []
  for (const o of req._packet.options ?? []) {
    if (o.name === name && Buffer.isBuffer(o.value)) out.push(o.value.toString('utf8'))
  }
  return out
}
