import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ServiceFailedError } from '../../lib/errors.ts'
import { jvmOptions, log4jConfig } from '../jvm.ts'
import type { ServiceSpec } from '../runtime/types.ts'

const run = promisify(execFile)

export interface BrokerOptions {
  platform: string
  service: string
  /** The platform's own folder: <dir>/<service>/ holds data, config and the log. */
  dir: string
  host: string
  port: number
  controllerPort: number
  heapMb: number
  java: string
  classpath: string
  /** Read-only paths the JVM needs (jar cache). */
  readonlyPaths: string[]
}

/** server.properties of a single combined KRaft broker+controller (no ZooKeeper). */
export function brokerProperties (o: BrokerOptions, dataDir: string): string {
  const props: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${o.host}:${o.controllerPort}`,
    listeners: `PLAINTEXT://${o.host}:${o.port},CONTROLLER://${o.host}:${o.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${o.host}:${o.port}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': dataDir,
    'num.partitions': 1,
    'default.replication.factor': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 8,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 4,
    'group.initial.rebalance.delay.ms': 0,
    'auto.create.topics.enable': 'true',
    // A lab run is short; keep disk bounded on long soaks.
    'log.retention.hours': 6,
    'log.segment.bytes': 64 * 1024 * 1024,
    'num.network.threads': 2,
    'num.io.threads': 4,
    'num.recovery.threads.per.data.dir': 1,
    'background.threads': 2,
  }
  return Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n'
}

/**
 * Writes a fresh config and formats a fresh data dir (StorageTool) on the host, then returns the
 * spec the runtime starts. Every `platform up` starts from empty brokers.
 */
export async function prepareBroker (o: BrokerOptions): Promise<ServiceSpec> {
  const home = join(o.dir, o.service)
  const dataDir = join(home, 'data')
  await rm(home, { recursive: true, force: true })
  await mkdir(dataDir, { recursive: true })
  const propsPath = join(home, 'server.properties')
  const log4jPath = join(home, 'log4j.properties')
  await writeFile(propsPath, brokerProperties(o, dataDir))
  await writeFile(log4jPath, log4jConfig())
  const clusterId = kraftClusterId()
  try {
    await run(o.java, ['-Xmx128m', '-XX:TieredStopAtLevel=1', `-Dlog4j.configuration=file:${log4jPath}`, '-cp', o.classpath,
      'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsPath, '--ignore-formatted'], { timeout: 60_000 })
  } catch (err) {
    const e = err as { stderr?: string, message: string }
    throw new ServiceFailedError(o.service, `formatting the KRaft data dir failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' ')}`, { cause: err })
  }
  return {
    platform: o.platform,
    service: o.service,
    command: [o.java, ...jvmOptions(o.heapMb, log4jPath), '-cp', o.classpath, 'kafka.Kafka', propsPath],
    cwd: home,
    writablePaths: [home],
    readonlyPaths: o.readonlyPaths,
    ports: { kafka: o.port, controller: o.controllerPort },
    logFile: join(home, 'service.log'),
    stopTimeoutMs: 15_000,
  }
}

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding (what `StorageTool random-uuid` prints).
 * Like Kafka's own Uuid.randomUuid, never one starting with '-': StorageTool would read it as an option.
 */
export function kraftClusterId (): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url')
    if (!id.startsWith('-')) return id
  }
}
