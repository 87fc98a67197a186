import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { jvmOptions, log4jConfig } from '../jvm.ts'
import type { ServiceSpec } from '../runtime/types.ts'

export interface MirrorOptions {
  platform: string
  service: string
  dir: string
  edgeBootstrap: readonly string[]
  cloudBootstrap: readonly string[]
  refreshSeconds: number
  heapMb: number
  /** MirrorSourceConnector tasks (tasks.max): one per partition of the data topics, so no task copies for two. Default 1. */
  tasks?: number
  java: string
  classpath: string
  readonlyPaths: string[]
}

/** Data topics mirrored edge -> cloud: every `iot.` topic except management requests. */
export const edgeToCloudTopics = 'iot\\..*'
/** Management requests flow the other way only; with IdentityReplicationPolicy no topic may match both flows. */
export const cloudToEdgeTopics = 'iot\\..*\\.management\\.req'
/** MM2's default excludes (internal and replica topics), plus management requests. */
const edgeToCloudExcludes = '.*[\\-\\.]internal, .*\\.replica, __.*, iot\\..*\\.management\\.req'

export function mirrorProperties (o: MirrorOptions): string {
  const props: Record<string, string | number> = {
    clusters: 'edge, cloud',
    'edge.bootstrap.servers': o.edgeBootstrap.join(','),
    'cloud.bootstrap.servers': o.cloudBootstrap.join(','),
    'edge->cloud.enabled': 'true',
    'edge->cloud.topics': edgeToCloudTopics,
    'edge->cloud.topics.exclude': edgeToCloudExcludes,
    'cloud->edge.enabled': 'true',
    'cloud->edge.topics': cloudToEdgeTopics,
    // Names kept on both sides: iot.gw1.observations at the edge is iot.gw1.observations in the cloud.
    'replication.policy.class': 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy',
    // The default is 600 s: a new gateway's topics would appear in the cloud only after ten minutes.
    'refresh.topics.interval.seconds': o.refreshSeconds,
    'refresh.groups.enabled': 'false',
    'emit.checkpoints.enabled': 'false',
    'sync.group.offsets.enabled': 'false',
    'sync.topic.acls.enabled': 'false',
    'sync.topic.configs.enabled': 'false',
    'emit.heartbeats.enabled': 'false',
    'replication.factor': 1,
    'checkpoints.topic.replication.factor': 1,
    'heartbeats.topic.replication.factor': 1,
    'offset-syncs.topic.replication.factor': 1,
    'offset.storage.replication.factor': 1,
    'status.storage.replication.factor': 1,
    'config.storage.replication.factor': 1,
    'tasks.max': o.tasks ?? 1,
    // Single records, low latency: send as soon as a record arrives, commit source offsets often.
    'producer.override.linger.ms': 0,
    'offset.flush.interval.ms': 5000,
  }
  return Object.entries(props).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n'
}

export async function prepareMirror (o: MirrorOptions): Promise<ServiceSpec> {
  const home = join(o.dir, o.service)
  await rm(home, { recursive: true, force: true })
  await mkdir(home, { recursive: true })
  const propsPath = join(home, 'mm2.properties')
  const log4jPath = join(home, 'log4j.properties')
  await writeFile(propsPath, mirrorProperties(o))
  await writeFile(log4jPath, log4jConfig())
  return {
    platform: o.platform,
    service: o.service,
    command: [o.java, ...jvmOptions(o.heapMb, log4jPath), '-cp', o.classpath, 'org.apache.kafka.connect.mirror.MirrorMaker', propsPath],
    cwd: home,
    writablePaths: [home],
    readonlyPaths: o.readonlyPaths,
    ports: {},
    logFile: join(home, 'service.log'),
    stopTimeoutMs: 15_000,
  }
}
