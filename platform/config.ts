import { readFile } from 'node:fs/promises'
import { InvalidConfigError } from '../lib/errors.ts'
import { datastoreNames } from './datastores/types.ts'
import type { DatastoreName } from './datastores/types.ts'
import { parseBootstrap } from './kafka/client.ts'

/**
 * What `platform up` starts or connects to. A broker with `bootstrap` set is external: the lab checks it
 * and never starts or stops it (users bring their own clusters that way).
 */
export interface BrokerConfig {
  port: number
  controllerPort: number
  heapMb: number
  bootstrap?: string[]
}

/** fleetlab's LWM2M server at the edge, bridged to the edge Kafka as gateway `gateway`. */
export interface Lwm2mConfig {
  enabled: boolean
  /** UDP port devices register at. */
  port: number
  gateway: string
  /** TCP port of its Prometheus endpoint (GET /metrics on the host); absent or 0: none. Runs turn it on. */
  metricsPort?: number
}

/** A database the sinks write to (platform/datastores/), started with the platform when enabled. */
export interface DatastoreConfig {
  enabled: boolean
  /** TCP port (InfluxDB binds port + 1 too, for its RPC service). */
  port: number
}

export interface PlatformConfig {
  name: string
  host: string
  edge: BrokerConfig
  cloud: BrokerConfig
  mirror: { enabled: boolean, refreshSeconds: number, heapMb: number }
  lwm2m: Lwm2mConfig
  /**
   * Partitions of the gateway's observations and registrations topics, on the edge and in the cloud: the most
   * sink consumers one group can use. Records are keyed by endpoint, so one device's records keep their order.
   */
  partitions: number
  /** InfluxDB and PostgreSQL: off unless a sink needs them (runs turn on what their sinks name). */
  datastores: Record<DatastoreName, DatastoreConfig>
}

export const defaultPlatformConfig: PlatformConfig = {
  name: 'default',
  host: '127.0.0.1',
  edge: { port: 29092, controllerPort: 29093, heapMb: 384 },
  cloud: { port: 39092, controllerPort: 39093, heapMb: 384 },
  mirror: { enabled: true, refreshSeconds: 3, heapMb: 256 },
  lwm2m: { enabled: true, port: 5683, gateway: 'gw1' },
  partitions: 12,
  datastores: { influxdb: { enabled: false, port: 8086 }, postgres: { enabled: false, port: 5432 } },
}

/** The same keys a platform config file takes, flattened from CLI flags. */
export interface PlatformOverrides {
  name?: string
  edgePort?: number
  cloudPort?: number
  edgeBootstrap?: string
  cloudBootstrap?: string
  lwm2mPort?: number
  gateway?: string
  /** false: no LWM2M server. */
  lwm2m?: boolean
  /** The LWM2M server's Prometheus port. */
  lwm2mMetricsPort?: number
  partitions?: number
  /** Datastores to start (on top of those the file enables). */
  datastores?: readonly string[]
  /** Their ports, by name. */
  datastorePorts?: Partial<Record<DatastoreName, number>>
}

type Shape = { [key: string]: 'number' | 'string' | 'boolean' | 'bootstrap' | 'gateway' | Shape }
const fileShape: Shape = {
  name: 'string',
  host: 'string',
  edge: { port: 'number', controllerPort: 'number', heapMb: 'number', bootstrap: 'bootstrap' },
  cloud: { port: 'number', controllerPort: 'number', heapMb: 'number', bootstrap: 'bootstrap' },
  mirror: { enabled: 'boolean', refreshSeconds: 'number', heapMb: 'number' },
  lwm2m: { enabled: 'boolean', port: 'number', gateway: 'gateway', metricsPort: 'number' },
  partitions: 'number',
  datastores: Object.fromEntries(datastoreNames.map(n => [n, { enabled: 'boolean', port: 'number' }])),
}

/** A gateway id becomes part of topic names (iot.<gw>.observations): Kafka's legal characters, no dots. */
const GATEWAY = /^[A-Za-z0-9_-]{1,64}$/

/** Validates a parsed config file: unknown keys and wrong types are all reported at once, with their paths. */
export function validatePlatformFile (value: unknown): Partial<PlatformConfig> {
  const problems: string[] = []
  check(value, fileShape, '', problems)
  if (problems.length > 0) throw new InvalidConfigError(problems)
  const v = value as Record<string, Record<string, unknown>>
  for (const side of ['edge', 'cloud'] as const) {
    const b = v[side]?.bootstrap
    if (typeof b === 'string') v[side]!.bootstrap = parseBootstrap(b)
  }
  return v as Partial<PlatformConfig>
}

function check (value: unknown, shape: Shape, path: string, problems: string[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${path || '(root)'}: expected an object`)
    return
  }
  for (const [key, v] of Object.entries(value)) {
    const p = path === '' ? key : `${path}.${key}`
    const want = shape[key]
    if (want === undefined) {
      problems.push(`${p}: unknown key (allowed: ${Object.keys(shape).join(', ')})`)
    } else if (typeof want === 'object') {
      check(v, want, p, problems)
    } else if (want === 'number') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) problems.push(`${p}: expected a positive whole number, got ${JSON.stringify(v)}`)
      else if (p.endsWith('ort') && v > 65535) problems.push(`${p}: expected a port 1-65535, got ${v}`)
    } else if (want === 'gateway') {
      if (typeof v !== 'string' || !GATEWAY.test(v)) problems.push(`${p}: expected a gateway id of letters, digits, '_' or '-', got ${JSON.stringify(v)}`)
    } else if (want === 'bootstrap') {
      const list = typeof v === 'string' ? parseBootstrap(v) : Array.isArray(v) ? v : undefined
      if (list === undefined || list.length === 0 || !list.every(s => typeof s === 'string' && /^[^:\s]+:\d{1,5}$/.test(s))) {
        problems.push(`${p}: expected host:port[,host:port...], got ${JSON.stringify(v)}`)
      }
    } else if (typeof v !== want) {
      problems.push(`${p}: expected a ${want}, got ${JSON.stringify(v)}`)
    }
  }
}

export async function loadPlatformFile (path: string): Promise<Partial<PlatformConfig>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new InvalidConfigError([`--config: cannot read ${path}: ${(err as Error).message}`])
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new InvalidConfigError([`${path}: not valid JSON: ${(err as Error).message}`])
  }
  return validatePlatformFile(parsed)
}

/** Defaults, then the file, then flags. */
export function resolvePlatformConfig (file: Partial<PlatformConfig> = {}, flags: PlatformOverrides = {}): PlatformConfig {
  const c: PlatformConfig = {
    name: file.name ?? defaultPlatformConfig.name,
    host: file.host ?? defaultPlatformConfig.host,
    edge: { ...defaultPlatformConfig.edge, ...file.edge },
    cloud: { ...defaultPlatformConfig.cloud, ...file.cloud },
    mirror: { ...defaultPlatformConfig.mirror, ...file.mirror },
    lwm2m: { ...defaultPlatformConfig.lwm2m, ...file.lwm2m },
    partitions: file.partitions ?? defaultPlatformConfig.partitions,
    datastores: Object.fromEntries(datastoreNames.map(n => [n, { ...defaultPlatformConfig.datastores[n], ...file.datastores?.[n] }])) as PlatformConfig['datastores'],
  }
  const problems: string[] = []
  if (flags.name !== undefined) c.name = flags.name
  if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(c.name)) problems.push(`name: expected lowercase letters, digits and '-', got ${JSON.stringify(c.name)}`)
  for (const [side, port, bootstrap] of [['edge', flags.edgePort, flags.edgeBootstrap], ['cloud', flags.cloudPort, flags.cloudBootstrap]] as const) {
    if (port !== undefined) {
      if (!Number.isInteger(port) || port < 1 || port > 65534) problems.push(`--${side}-port: expected a port 1-65534, got ${port}`)
      c[side].port = port
      c[side].controllerPort = port + 1
    }
    if (bootstrap !== undefined) {
      const list = parseBootstrap(bootstrap)
      if (list.length === 0 || !list.every(s => /^[^:\s]+:\d{1,5}$/.test(s))) problems.push(`--${side}-bootstrap: expected host:port[,host:port...], got ${JSON.stringify(bootstrap)}`)
      c[side].bootstrap = list
    }
  }
  if (flags.lwm2m === false) c.lwm2m.enabled = false
  if (flags.lwm2mPort !== undefined) {
    if (!Number.isInteger(flags.lwm2mPort) || flags.lwm2mPort < 1 || flags.lwm2mPort > 65535) problems.push(`--lwm2m-port: expected a port 1-65535, got ${flags.lwm2mPort}`)
    c.lwm2m.port = flags.lwm2mPort
  }
  if (flags.lwm2mMetricsPort !== undefined) {
    if (!Number.isInteger(flags.lwm2mMetricsPort) || flags.lwm2mMetricsPort < 1 || flags.lwm2mMetricsPort > 65535) problems.push(`--lwm2m-metrics-port: expected a port 1-65535, got ${flags.lwm2mMetricsPort}`)
    c.lwm2m.metricsPort = flags.lwm2mMetricsPort
  }
  if (flags.gateway !== undefined) {
    if (!GATEWAY.test(flags.gateway)) problems.push(`--gateway: expected a gateway id of letters, digits, '_' or '-', got ${JSON.stringify(flags.gateway)}`)
    c.lwm2m.gateway = flags.gateway
  }
  if (flags.partitions !== undefined) c.partitions = flags.partitions
  if (!Number.isInteger(c.partitions) || c.partitions < 1 || c.partitions > MAX_PARTITIONS) {
    problems.push(`partitions: expected a whole number 1-${MAX_PARTITIONS}, got ${JSON.stringify(c.partitions)}`)
  }
  for (const name of flags.datastores ?? []) {
    if (!(datastoreNames as readonly string[]).includes(name)) problems.push(`--datastores: unknown datastore ${JSON.stringify(name)} (known: ${datastoreNames.join(', ')})`)
    else c.datastores[name as DatastoreName].enabled = true
  }
  for (const [name, port] of Object.entries(flags.datastorePorts ?? {}) as Array<[DatastoreName, number]>) {
    if (!Number.isInteger(port) || port < 1 || port > 65534) problems.push(`--${name}-port: expected a port 1-65534, got ${port}`)
    c.datastores[name].port = port
  }
  if (problems.length > 0) throw new InvalidConfigError(problems)
  return c
}

/** The datastores a platform starts; a state file written before datastores existed has none. */
export function enabledDatastores (c: Pick<PlatformConfig, 'datastores'>): DatastoreName[] {
  return datastoreNames.filter(n => c.datastores?.[n]?.enabled === true)
}

/** More partitions than this only costs the brokers memory and MirrorMaker 2 tasks on one machine. */
export const MAX_PARTITIONS = 256

/** The topics of a gateway that get `partitions` partitions (management requests and replies keep one). */
export function partitionedTopics (gateway: string): string[] {
  return [`iot.${gateway}.observations`, `iot.${gateway}.registrations`]
}

export function bootstrapOf (c: PlatformConfig, side: 'edge' | 'cloud'): string[] {
  return c[side].bootstrap ?? [`${c.host}:${c[side].port}`]
}
