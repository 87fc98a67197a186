// The naming and address rules every layer checks the same way: a gateway id, a platform name, a port, a host:port
// broker list, a coap:// server, a listen address. One rule each, as a plain predicate or parser (for code that checks
// by hand: the CLI's flags, a unit's config payload) and as a schema field (experiment files, the platform config
// file), with one wording of what is expected. Where a value breaks a rule is the caller's to say (field or flag).
import { z } from 'zod'
import { parseCount } from '../units.ts'

/** A gateway id becomes part of topic names (iot.<gateway>.observations): Kafka's legal characters, no dots. */
const GATEWAY_ID = /^[A-Za-z0-9_-]{1,64}$/
export const GATEWAY_ID_EXPECTED = "a gateway id of 1-64 letters, digits, '_' or '-' (it names the topics iot.<gateway>.*)"
export const isGatewayId = (value: unknown): value is string => typeof value === 'string' && GATEWAY_ID.test(value)

/** A platform's name prefixes its containers, processes and state folder. */
const PLATFORM_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/
export const PLATFORM_NAME_EXPECTED = "a name of 1-40 lower-case letters, digits and '-', starting with a letter or digit"
export const isPlatformName = (value: unknown): value is string => typeof value === 'string' && PLATFORM_NAME.test(value)

export const MAX_PORT = 65535
/** A service the platform starts on port p binds p + 1 too (a Kafka controller, InfluxDB's RPC service). */
export const MAX_SERVICE_PORT = MAX_PORT - 1

export const portExpected = (min = 1, max = MAX_PORT): string => `a port ${min}-${max}`
export const isPort = (value: unknown, min = 1, max = MAX_PORT): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
/** A port given as text ("29092"); undefined when it is not one. */
export const parsePort = (text: string, min = 1, max = MAX_PORT): number | undefined => parseCount(text, min, max)

const HOST_PORT = /^([^\s:/[\]]+):(\d{1,5})$/

/** `host:port` with a host name or IPv4 address and a port 1-65535. */
export function parseHostPort (text: string): { host: string, port: number } | undefined {
  const m = HOST_PORT.exec(text.trim())
  if (m === null) return undefined
  const port = Number(m[2])
  return isPort(port) ? { host: m[1]!, port } : undefined
}

export const BOOTSTRAP_EXPECTED = 'host:port brokers, a list or a comma-separated string such as "10.0.0.5:9092,10.0.0.6:9092"'

/** Kafka brokers as `["h:p", ...]` or `"h:p,h:p"`; undefined when the list is empty or one entry is not host:port. */
export function parseBootstrapList (value: unknown): string[] | undefined {
  const list = typeof value === 'string' ? value.split(',').map(s => s.trim()).filter(s => s !== '') : value
  if (!Array.isArray(list) || list.length === 0) return undefined
  const out: string[] = []
  for (const entry of list) {
    if (typeof entry !== 'string' || parseHostPort(entry) === undefined) return undefined
    out.push(entry.trim())
  }
  return out
}

export const COAP_SERVER_EXPECTED = 'the LWM2M server as coap://host:port (port 5683 when left out)'

/** `coap://host[:port][/]`; IPv6 literals and coaps:// are not supported (the caller may say why). */
export function parseCoapServer (text: string): { host: string, port: number } | undefined {
  const m = /^coap:\/\/([^\s:/[\]]+)(?::(\d{1,5}))?\/?$/.exec(text.trim())
  if (m === null) return undefined
  const port = m[2] === undefined ? 5683 : Number(m[2])
  return isPort(port) ? { host: m[1]!, port } : undefined
}

export const LISTEN_EXPECTED = '[host]:port with a port 0-65535 (0: any free port), such as :9464, 0.0.0.0:9464 or [::1]:9464'

/** Where a server listens: `:port` or a bare port (host 127.0.0.1), `host:port`, `[ipv6]:port`; port 0 asks for any free one. */
export function parseListenAddress (text: string, defaultHost = '127.0.0.1'): { host: string, port: number } | undefined {
  const m = /^(?:(?:\[([^\]\s]+)\]|([^\s:/[\]]*)):)?(\d{1,5})$/.exec(text.trim())
  if (m === null) return undefined
  const port = Number(m[3])
  if (!isPort(port, 0)) return undefined
  const host = m[1] ?? m[2] ?? ''
  return { host: host === '' ? defaultHost : host, port }
}

// Schema fields for the rules above (zod, like every field in lib/schema/fields.ts): one issue each, "expected ...".

const custom = <T>(parse: (v: unknown) => T | undefined, expected: string): z.ZodEffects<z.ZodType<unknown>, T, unknown> =>
  z.custom<unknown>(() => true).transform((v, ctx) => {
    const out = parse(v)
    if (out === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${expected}` })
      return z.NEVER
    }
    return out
  })

export const gatewayIdField = (): z.ZodEffects<z.ZodType<unknown>, string, unknown> => custom(v => isGatewayId(v) ? v : undefined, GATEWAY_ID_EXPECTED)
export const platformNameField = (): z.ZodEffects<z.ZodType<unknown>, string, unknown> => custom(v => isPlatformName(v) ? v : undefined, PLATFORM_NAME_EXPECTED)
/** A port as a number or numeric text. */
export const portField = (max = MAX_PORT): z.ZodEffects<z.ZodType<unknown>, number, unknown> =>
  custom(v => typeof v === 'string' ? parsePort(v, 1, max) : isPort(v, 1, max) ? v : undefined, portExpected(1, max))
export const bootstrapField = (): z.ZodEffects<z.ZodType<unknown>, string[], unknown> => custom(parseBootstrapList, BOOTSTRAP_EXPECTED)
/** `coap://host:port` or `{ host, port }`. */
export const coapServerField = (): z.ZodEffects<z.ZodType<unknown>, { host: string, port: number }, unknown> => custom(v => {
  if (typeof v === 'string') return parseCoapServer(v)
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined
  const o = v as Record<string, unknown>
  if (typeof o.host !== 'string' || o.host === '' || !isPort(o.port) || !Object.keys(o).every(k => k === 'host' || k === 'port')) return undefined
  return { host: o.host, port: o.port }
}, `${COAP_SERVER_EXPECTED} or { host, port }`)
