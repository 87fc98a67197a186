// The platform step of a run: start the embedded platform on free ports (its own name, so runs never collide), or
// connect to the external one the experiment names. Either way the run gets Kafka clients for both sides, the
// LWM2M server's address and the observations topic of its gateway id.
import { createKafkaClient } from '../../platform/kafka/index.ts'
import type { KafkaClient } from '../../platform/kafka/client.ts'
import { resolvePlatformConfig } from '../../platform/config.ts'
import { platformUp } from '../../platform/platform.ts'
import { findFreePortPair, udpPortFree } from '../../platform/ports.ts'
import type { Runtime } from '../../platform/runtime/types.ts'
import type { PlatformChoice } from '../contracts.ts'

export interface PlatformHandle {
  readonly edge: KafkaClient
  readonly cloud: KafkaClient
  readonly lwm2m: { readonly host: string, readonly port: number }
  /** iot.<gateway>.observations, at the edge and (mirrored, same name) in the cloud. */
  readonly observations: RegExp
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
  /** Called just before the embedded platform starts (so cleanup knows to take it down, whatever happens next). */
  readonly starting: () => void
}

/** Only the server's own topic: the platform's health probes use iot.fleetlab-probe.* and are not observations. */
export function observationsTopic (gateway: string): RegExp {
  return new RegExp(`^iot\\.${gateway.replace(/[^A-Za-z0-9_-]/g, '')}\\.observations$`)
}

export async function startOrConnect (o: PlatformStepOptions): Promise<PlatformHandle> {
  const clientId = `fleetlab-run-${o.runId}`
  const ext = o.choice.external
  if (ext !== undefined) {
    const edge = createKafkaClient({ bootstrap: ext.edgeBootstrap, clientId })
    const cloud = createKafkaClient({ bootstrap: ext.cloudBootstrap, clientId })
    await Promise.all([edge.describeCluster(), cloud.describeCluster()])
    return {
      edge, cloud, lwm2m: ext.lwm2m, observations: observationsTopic(ext.gateway),
      description: `external: edge ${ext.edgeBootstrap.join(',')}, cloud ${ext.cloudBootstrap.join(',')}, lwm2m coap://${ext.lwm2m.host}:${ext.lwm2m.port}`,
    }
  }
  const edgePort = o.choice.edgePort ?? await findFreePortPair(29100, 400)
  const cloudPort = o.choice.cloudPort ?? await findFreePortPair(39100, 400)
  let lwm2mPort = o.choice.lwm2mPort
  for (let port = 5700; lwm2mPort === undefined && port < 6700; port++) if (await udpPortFree(port)) lwm2mPort = port
  const config = resolvePlatformConfig({}, { name: o.name, edgePort, cloudPort, lwm2mPort, gateway: 'gw1' })
  o.progress(`platform ${o.name} (${o.runtime.kind} runtime): starting edge Kafka :${edgePort}, cloud Kafka :${cloudPort}, MirrorMaker 2, LWM2M server udp :${config.lwm2m.port}`)
  o.starting()
  const up = await platformUp({ home: o.home, runtime: o.runtime, progress: o.progress, signal: o.signal }, config)
  const edge = createKafkaClient({ bootstrap: [`${config.host}:${edgePort}`], clientId })
  const cloud = createKafkaClient({ bootstrap: [`${config.host}:${cloudPort}`], clientId })
  // The sink subscribes by pattern, which sees topics that exist: create the mirrored topic up front
  // (MirrorMaker 2 with the identity policy then writes into it).
  await cloud.createTopics([{ name: `iot.${config.lwm2m.gateway}.observations`, partitions: 1 }])
  return {
    edge, cloud, lwm2m: { host: config.host, port: config.lwm2m.port }, observations: observationsTopic(config.lwm2m.gateway),
    description: `${o.name} healthy in ${(up.healthyMs / 1000).toFixed(1)} s (${up.steps.map(s => `${s.service} ${(s.ms / 1000).toFixed(1)} s`).join(', ')})`,
  }
}
