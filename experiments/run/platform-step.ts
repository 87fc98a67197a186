// The platform step of a run: start the embedded platform on free ports (its own name, so runs never collide), or
// connect to the external one the experiment names. Either way the run gets Kafka clients for both sides, the
// LWM2M server's address and the observations topic of its gateway id.
import { createKafkaClient } from '../../platform/kafka/index.ts'
import type { KafkaClient } from '../../platform/kafka/client.ts'
import { resolvePlatformConfig } from '../../platform/config.ts'
import type { PlatformConfig } from '../../platform/config.ts'
import { PortInUseError } from '../../lib/errors.ts'
import { platformUp } from '../../platform/platform.ts'
import type { UpResult } from '../../platform/platform.ts'
import { datastoreUrl } from '../../platform/datastores/index.ts'
import type { DatastoreName } from '../../platform/datastores/index.ts'
import { findFreePortPair, findFreeUdpPort } from '../../platform/ports.ts'
import type { Runtime } from '../../platform/runtime/types.ts'
import type { PlatformChoice } from '../contracts.ts'

export interface PlatformHandle {
  readonly edge: KafkaClient
  readonly cloud: KafkaClient
  readonly lwm2m: { readonly host: string, readonly port: number }
  /** The embedded LWM2M server's Prometheus endpoint, http://host:port/metrics; none for an external server. */
  readonly lwm2mMetrics?: string
  /** iot.<gateway>.observations, at the edge and (mirrored, same name) in the cloud. */
  readonly observations: RegExp
  /** iot.<gateway>.registrations, likewise: what a registry sink reads. */
  readonly registrations: RegExp
  /** Partitions of the observations topic in the cloud: the most sink replicas that can share the work. */
  readonly partitions: number
  /** The datastores the embedded platform started for the run's sinks, by name: the URL their stores take. */
  readonly datastores: Readonly<Partial<Record<DatastoreName, string>>>
  /** For events.csv. */
  readonly description: string
}

export interface PlatformStepOptions {
  readonly choice: PlatformChoice
  readonly name: string
  readonly runId: string
  readonly home: string
  readonly runtime: Runtime
  readonly progress: (line: string) => void
  readonly signal: AbortSignal
  /** Databases the run's sinks write to: the embedded platform starts them (an external platform brings its own). */
  readonly datastores: readonly DatastoreName[]
  /** Called just before the embedded platform starts (so cleanup knows to take it down, whatever happens next). */
  readonly starting: () => Promise<void> | void
}

const PORT_ATTEMPTS = 3

/** Only the server's own topic: the platform's health probes use iot.fleetlab-probe.* and are not observations. */
export function observationsTopic (gateway: string): RegExp {
  return new RegExp(`^iot\\.${gateway.replace(/[^A-Za-z0-9_-]/g, '')}\\.observations$`)
}

export function registrationsTopic (gateway: string): RegExp {
  return new RegExp(`^iot\\.${gateway.replace(/[^A-Za-z0-9_-]/g, '')}\\.registrations$`)
}

export async function startOrConnect (o: PlatformStepOptions): Promise<PlatformHandle> {
  const clientId = `fleetlab-run-${o.runId}`
  const ext = o.choice.external
  if (ext !== undefined) {
    const edge = createKafkaClient({ bootstrap: ext.edgeBootstrap, clientId })
    const cloud = createKafkaClient({ bootstrap: ext.cloudBootstrap, clientId })
    await Promise.all([edge.describeCluster(), cloud.describeCluster()])
    // external clusters keep their topics as they are: the partition count there caps the sink's replicas
    const topic = `iot.${ext.gateway}.observations`
    const partitions = (await cloud.topicOffsets(topic)).length
    return {
      edge, cloud, lwm2m: ext.lwm2m, observations: observationsTopic(ext.gateway), registrations: registrationsTopic(ext.gateway), partitions: Math.max(1, partitions), datastores: {},
      description: `external: edge ${ext.edgeBootstrap.join(',')}, cloud ${ext.cloudBootstrap.join(',')}, lwm2m coap://${ext.lwm2m.host}:${ext.lwm2m.port}; ` +
        (partitions > 0 ? `${topic} has ${partitions} partition${partitions === 1 ? '' : 's'} in the cloud` : `${topic} does not exist in the cloud yet (counted as 1 partition)`),
    }
  }
  const { up, config: c } = await startEmbedded(o)
  const edge = createKafkaClient({ bootstrap: [`${c.host}:${c.edge.port}`], clientId })
  const cloud = createKafkaClient({ bootstrap: [`${c.host}:${c.cloud.port}`], clientId })
  // platformUp created the observations topic on both sides with its partitions, so the sink's pattern sees it at once
  return {
    edge, cloud, lwm2m: { host: c.host, port: c.lwm2m.port }, observations: observationsTopic(c.lwm2m.gateway), registrations: registrationsTopic(c.lwm2m.gateway), partitions: c.partitions,
    datastores: Object.fromEntries(o.datastores.map(n => [n, datastoreUrl(n, c.host, c.datastores[n].port)])),
    ...(c.lwm2m.metricsPort !== undefined ? { lwm2mMetrics: `http://${c.host}:${c.lwm2m.metricsPort}/metrics` } : {}),
    description: `${o.name} healthy in ${(up.healthyMs / 1000).toFixed(1)} s (${up.steps.map(s => `${s.service} ${(s.ms / 1000).toFixed(1)} s`).join(', ')})`,
  }
}

/**
 * Starts the embedded platform. Ports are checked free when chosen but only taken when the services bind them,
 * seconds later, so another platform starting beside this one can take one first: when the ports are ours to
 * choose, choose again (up to PORT_ATTEMPTS times).
 */
async function startEmbedded (o: PlatformStepOptions): Promise<{ up: UpResult, config: PlatformConfig }> {
  const chosen = o.choice.edgePort === undefined || o.choice.cloudPort === undefined || o.choice.lwm2mPort === undefined
  for (let attempt = 1; ; attempt++) {
    // below Linux's ephemeral range (32768-60999), so no client connection takes a port between the check and the bind
    const edgePort = o.choice.edgePort ?? await findFreePortPair(29100, 400)
    const cloudPort = o.choice.cloudPort ?? await findFreePortPair(30000, 400)
    const lwm2mPort = o.choice.lwm2mPort ?? await findFreeUdpPort(5700, 1000)
    const lwm2mMetricsPort = await findFreePortPair(32000, 300)
    const datastorePorts: Partial<Record<DatastoreName, number>> = {}
    // InfluxDB binds port + 1 too (a pair); PostgreSQL one port
    for (const [i, name] of o.datastores.entries()) datastorePorts[name] = await findFreePortPair(31000 + 500 * i, 200)
    const config = resolvePlatformConfig({}, { name: o.name, edgePort, cloudPort, lwm2mPort, gateway: 'gw1', ...(o.choice.partitions !== undefined ? { partitions: o.choice.partitions } : {}),
      datastores: o.datastores, datastorePorts, lwm2mMetricsPort })
    o.progress(`platform ${o.name} (${o.runtime.kind} runtime): starting edge Kafka :${edgePort}, cloud Kafka :${cloudPort}, MirrorMaker 2, LWM2M server udp :${lwm2mPort}, ${config.partitions} partitions` +
      o.datastores.map(n => `, ${n} :${datastorePorts[n]}`).join(''))
    await o.starting()
    try {
      return { up: await platformUp({ home: o.home, runtime: o.runtime, progress: o.progress, signal: o.signal }, config), config }
    } catch (err) {
      const taken = err instanceof PortInUseError || /already in use/.test((err as Error).message)
      if (!chosen || !taken || attempt >= PORT_ATTEMPTS || o.signal.aborted) throw err
      o.progress(`a port was taken while the platform started (${(err as Error).message.split('\n')[0]}): trying other ports`)
    }
  }
}
