import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { InvalidConfigError } from '../lib/errors.ts'
import { datastoreNames } from './datastores/types.ts'
import type { DatastoreName } from './datastores/types.ts'
import { count, strictObject } from '../lib/schema/fields.ts'
import { formatIssues } from '../lib/schema/issues.ts'
import { BOOTSTRAP_EXPECTED, bootstrapField, GATEWAY_ID_EXPECTED, gatewayIdField, isGatewayId, isPlatformName, isPort, MAX_SERVICE_PORT,
  parseBootstrapList, PLATFORM_NAME_EXPECTED, platformNameField, portExpected, portField } from '../lib/schema/net.ts'

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

/** More partitions than this only costs the brokers memory and MirrorMaker 2 tasks on one machine. */
export const MAX_PARTITIONS = 256

const heapMb = (): ReturnType<typeof count> => count(16, 65_536, 'a heap size in MB')
const brokerFile = strictObject({
  port: portField().optional(),
  controllerPort: portField().optional(),
  heapMb: heapMb().optional(),
  bootstrap: bootstrapField().optional(),
})
/** A platform config file (`platform up --config`): every key optional, the same field rules as experiment files. */
const fileSchema = strictObject({
  name: platformNameField().optional(),
  host: z.string().min(1).optional(),
  edge: brokerFile.optional(),
  cloud: brokerFile.optional(),
  mirror: strictObject({ enabled: z.boolean().optional(), refreshSeconds: count(1, 3600, 'seconds').optional(), heapMb: heapMb().optional() }).optional(),
  lwm2m: strictObject({ enabled: z.boolean().optional(), port: portField().optional(), gateway: gatewayIdField().optional(), metricsPort: portField().optional() }).optional(),
  partitions: count(1, MAX_PARTITIONS, 'partitions').optional(),
  datastores: strictObject(Object.fromEntries(datastoreNames.map(n =>
    [n, strictObject({ enabled: z.boolean().optional(), port: portField(MAX_SERVICE_PORT).optional() }).optional()]))).optional(),
})

/** What a platform config file may set. */
export interface PlatformFile {
  name?: string
  host?: string
  edge?: Partial<BrokerConfig>
  cloud?: Partial<BrokerConfig>
  mirror?: Partial<PlatformConfig['mirror']>
  lwm2m?: Partial<Lwm2mConfig>
  partitions?: number
  datastores?: Partial<Record<DatastoreName, Partial<DatastoreConfig>>>
}

/** Validates a parsed config file: unknown keys and wrong values are all reported at once, with their paths. */
export function validatePlatformFile (value: unknown): PlatformFile {
  const r = fileSchema.safeParse(value)
  if (!r.success) throw new InvalidConfigError(formatIssues(r.error.issues, value))
  return r.data as PlatformFile
}

export async function loadPlatformFile (path: string): Promise<PlatformFile> {
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
export function resolvePlatformConfig (file: PlatformFile = {}, flags: PlatformOverrides = {}): PlatformConfig {
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
  const bad = (what: string, expected: string, got: unknown): void => { problems.push(`${what}: expected ${expected}, got ${JSON.stringify(got)}`) }
  if (flags.name !== undefined) c.name = flags.name
  if (!isPlatformName(c.name)) bad(flags.name !== undefined ? '--name' : 'name', PLATFORM_NAME_EXPECTED, c.name)
  for (const [side, port, bootstrap] of [['edge', flags.edgePort, flags.edgeBootstrap], ['cloud', flags.cloudPort, flags.cloudBootstrap]] as const) {
    if (port !== undefined) {
      if (!isPort(port, 1, MAX_SERVICE_PORT)) bad(`--${side}-port`, portExpected(1, MAX_SERVICE_PORT), port)
      c[side].port = port
      c[side].controllerPort = port + 1
    }
    if (bootstrap !== undefined) {
      const list = parseBootstrapList(bootstrap)
      if (list === undefined) bad(`--${side}-bootstrap`, BOOTSTRAP_EXPECTED, bootstrap)
      else c[side].bootstrap = list
    }
  }
  if (flags.lwm2m === false) c.lwm2m.enabled = false
  if (flags.lwm2mPort !== undefined) {
    if (!isPort(flags.lwm2mPort)) bad('--lwm2m-port', portExpected(), flags.lwm2mPort)
    c.lwm2m.port = flags.lwm2mPort
  }
  if (flags.lwm2mMetricsPort !== undefined) {
    if (!isPort(flags.lwm2mMetricsPort)) bad('--lwm2m-metrics-port', portExpected(), flags.lwm2mMetricsPort)
    c.lwm2m.metricsPort = flags.lwm2mMetricsPort
  }
  if (flags.gateway !== undefined) {
    if (!isGatewayId(flags.gateway)) bad('--gateway', GATEWAY_ID_EXPECTED, flags.gateway)
    c.lwm2m.gateway = flags.gateway
  }
  if (flags.partitions !== undefined) c.partitions = flags.partitions
  if (!Number.isInteger(c.partitions) || c.partitions < 1 || c.partitions > MAX_PARTITIONS) bad('partitions', `a whole number 1-${MAX_PARTITIONS}`, c.partitions)
  for (const name of flags.datastores ?? []) {
    if (!(datastoreNames as readonly string[]).includes(name)) problems.push(`--datastores: unknown datastore ${JSON.stringify(name)} (known: ${datastoreNames.join(', ')})`)
    else c.datastores[name as DatastoreName].enabled = true
  }
  for (const [name, port] of Object.entries(flags.datastorePorts ?? {}) as Array<[DatastoreName, number]>) {
    if (!isPort(port, 1, MAX_SERVICE_PORT)) bad(`--${name}-port`, portExpected(1, MAX_SERVICE_PORT), port)
    c.datastores[name].port = port
  }
  if (problems.length > 0) throw new InvalidConfigError(problems)
  return c
}

/** The datastores a platform starts; a state file written before datastores existed has none. */
export function enabledDatastores (c: Pick<PlatformConfig, 'datastores'>): DatastoreName[] {
  return datastoreNames.filter(n => c.datastores?.[n]?.enabled === true)
}

/** The topics of a gateway that get `partitions` partitions (management requests and replies keep one). */
export function partitionedTopics (gateway: string): string[] {
  return [`iot.${gateway}.observations`, `iot.${gateway}.registrations`]
}

export function bootstrapOf (c: PlatformConfig, side: 'edge' | 'cloud'): string[] {
  return c[side].bootstrap ?? [`${c.host}:${c[side].port}`]
}
