import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { InterruptedError, PlatformStateError } from '../lib/errors.ts'
import { platformDir } from '../lib/home.ts'
import { formatDuration } from '../lib/time.ts'
import { bootstrapOf, enabledDatastores, partitionedTopics } from './config.ts'
import type { PlatformConfig } from './config.ts'
import { datastorePorts, datastores } from './datastores/index.ts'
import { probeTopics, waitForBroker, waitForCoap, waitForMirror } from './health.ts'
import { javaBinary, kafkaClasspath } from './jvm.ts'
import { prepareBroker } from './kafka/broker.ts'
import { createKafkaClient } from './kafka/index.ts'
import { lwm2mServiceSpec, readyProbe } from './lwm2m-server/service.ts'
import { prepareMirror } from './mirror/mirror.ts'
import { assertPortsFree } from './ports.ts'
import { readState, removeState, writeState } from './state.ts'
import type { PlatformState } from './state.ts'
import type { Runtime, ServiceInstance } from './runtime/types.ts'

export const services = { edge: 'edge-kafka', cloud: 'cloud-kafka', mirror: 'mirror', lwm2m: 'lwm2m-server' } as const

export interface PlatformContext {
  home: string
  runtime: Runtime
  /** Progress lines for people (stderr in the CLI). */
  progress: (line: string) => void
  /** Aborted on Ctrl-C: `platformUp` stops waiting, stops what it started and throws InterruptedError. */
  signal?: AbortSignal
}

export interface UpResult {
  state: PlatformState
  /** Milliseconds from the call to every service healthy. */
  healthyMs: number
  steps: Array<{ service: string, ms: number }>
}

const BROKER_TIMEOUT_MS = 90_000
const MIRROR_TIMEOUT_MS = 90_000
const LWM2M_TIMEOUT_MS = 60_000
const DATASTORE_TIMEOUT_MS = 60_000

/**
 * Starts (or connects to) edge Kafka and cloud Kafka, then MirrorMaker 2 between them and the LWM2M server at
 * the edge, and the enabled datastores (InfluxDB, PostgreSQL) beside the brokers, and returns once each really
 * works: brokers answer metadata, probe records cross the mirror both ways, the LWM2M server answers a CoAP ping,
 * a datastore answers its own protocol. A datastore not installed yet is installed first (apt-get, as root).
 * On any failure, whatever this call started is stopped again.
 */
export async function platformUp (ctx: PlatformContext, config: PlatformConfig): Promise<UpResult> {
  const t0 = Date.now()
  const { runtime, home, progress, signal } = ctx
  const checkpoint = (): void => { if (signal?.aborted === true) throw new InterruptedError() }
  const previous = await readState(home, config.name)
  const running = await runtime.list({ platform: config.name })
  if (running.length > 0 || (previous !== undefined && previous.runtime !== runtime.kind)) {
    throw new PlatformStateError(`platform '${config.name}' is already up (${previous?.runtime ?? runtime.kind} runtime, ${running.length} services)`,
      { hint: `run: fleetlab platform down${config.name === 'default' ? '' : ` --name ${config.name}`}` })
  }
  const [java, classpath] = await Promise.all([javaBinary(), kafkaClasspath(home)])
  const local = (['edge', 'cloud'] as const).filter(side => config[side].bootstrap === undefined)
  await assertPortsFree([
    ...local.flatMap(side => [
      { service: services[side], port: config[side].port },
      { service: `${services[side]} controller`, port: config[side].controllerPort },
    ]),
    ...(config.lwm2m.enabled ? [{ service: services.lwm2m, port: config.lwm2m.port, udp: true }] : []),
    ...(config.lwm2m.enabled && (config.lwm2m.metricsPort ?? 0) > 0 ? [{ service: `${services.lwm2m} metrics`, port: config.lwm2m.metricsPort! }] : []),
    ...enabledDatastores(config).flatMap(name => datastorePorts(name, config.datastores[name].port)
      .map(p => ({ service: p.what === 'rpc' ? `${name} ${p.what}` : name, port: p.port }))),
  ], config.host)
  for (const name of enabledDatastores(config)) {
    await datastores[name].ensureInstalled(progress)
    checkpoint()
  }

  const dir = platformDir(home, config.name)
  const readonlyPaths = [join(home, 'jvm')]
  const state: PlatformState = { name: config.name, runtime: runtime.kind, config, startedAt: t0 }
  await writeState(home, state)
  const steps: UpResult['steps'] = []
  try {
    const startDatastore = async (name: ReturnType<typeof enabledDatastores>[number]): Promise<void> => {
      const store = datastores[name]
      const port = config.datastores[name].port
      const spec = await store.prepare({ platform: config.name, dir, host: config.host, port })
      checkpoint()
      const instance = await runtime.start(spec)
      progress(`${name}: started (${runtime.kind} ${shortId(instance)}) on ${config.host}:${port}`)
      await store.waitHealthy({ host: config.host, port, timeoutMs: DATASTORE_TIMEOUT_MS, logFile: spec.logFile, alive: isAlive(runtime, instance), signal })
      steps.push({ service: name, ms: Date.now() - t0 })
      progress(`${name}: healthy after ${formatDuration(Date.now() - t0)}`)
    }
    // settled together: on a failure or Ctrl-C everything started finishes starting first, so the clean-up sees it
    const first = await Promise.allSettled([...enabledDatastores(config).map(startDatastore), ...(['edge', 'cloud'] as const).map(async side => {
      const service = services[side]
      const bootstrap = bootstrapOf(config, side)
      if (config[side].bootstrap !== undefined) {
        progress(`${service}: external at ${bootstrap.join(',')}, checking`)
        await waitForBroker(service, bootstrap, { timeoutMs: 15_000, signal })
      } else {
        const spec = await prepareBroker({ platform: config.name, service, dir, host: config.host, port: config[side].port,
          controllerPort: config[side].controllerPort, heapMb: config[side].heapMb, java, classpath, readonlyPaths })
        checkpoint()
        const instance = await runtime.start(spec)
        progress(`${service}: started (${runtime.kind} ${shortId(instance)}) on ${bootstrap.join(',')}`)
        await waitForBroker(service, bootstrap, { timeoutMs: BROKER_TIMEOUT_MS, logFile: spec.logFile, alive: isAlive(runtime, instance), signal })
      }
      steps.push({ service, ms: Date.now() - t0 })
      progress(`${service}: healthy after ${formatDuration(Date.now() - t0)}`)
    })])
    const failed = first.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed !== undefined) throw failed.reason

    const edge = createKafkaClient({ bootstrap: bootstrapOf(config, 'edge'), clientId: 'fleetlab-up' })
    const cloud = createKafkaClient({ bootstrap: bootstrapOf(config, 'cloud'), clientId: 'fleetlab-up' })
    try {
      // Probe topics exist on both sides before MirrorMaker's first topic scan, so it picks them up at once.
      await Promise.all([edge.createTopics([{ name: probeTopics.up }, { name: probeTopics.down }]),
        cloud.createTopics([{ name: probeTopics.up }, { name: probeTopics.down }])])
      // The gateway's data topics get their partitions before the LWM2M server creates them with one, on both sides:
      // MirrorMaker 2 writes partition p at the edge into partition p in the cloud. External clusters keep theirs.
      if (config.lwm2m.enabled) {
        const topics = partitionedTopics(config.lwm2m.gateway).map(name => ({ name, partitions: config.partitions }))
        await Promise.all(local.map(side => (side === 'edge' ? edge : cloud).createTopics(topics)))
      }
      const startMirror = async (): Promise<void> => {
        const spec = await prepareMirror({ platform: config.name, service: services.mirror, dir, edgeBootstrap: bootstrapOf(config, 'edge'),
          cloudBootstrap: bootstrapOf(config, 'cloud'), refreshSeconds: config.mirror.refreshSeconds, heapMb: config.mirror.heapMb, tasks: config.partitions,
          java, classpath, readonlyPaths })
        checkpoint()
        const instance = await runtime.start(spec)
        progress(`mirror: started (${runtime.kind} ${shortId(instance)}), waiting for probe records to cross both ways`)
        const crossed = await waitForMirror(edge, cloud, { timeoutMs: MIRROR_TIMEOUT_MS, logFile: spec.logFile, alive: isAlive(runtime, instance), signal })
        steps.push({ service: services.mirror, ms: Date.now() - t0 })
        progress(`mirror: healthy after ${formatDuration(Date.now() - t0)} (edge->cloud ${formatDuration(crossed.upMs)}, cloud->edge ${formatDuration(crossed.downMs)})`)
      }
      const startLwm2m = async (): Promise<void> => {
        const spec = lwm2mServiceSpec({ platform: config.name, service: services.lwm2m, dir, host: config.host, port: config.lwm2m.port,
          gateway: config.lwm2m.gateway, kafka: bootstrapOf(config, 'edge'), ...(config.lwm2m.metricsPort !== undefined ? { metricsPort: config.lwm2m.metricsPort } : {}) })
        checkpoint()
        const ready = await readyProbe(spec)
        const instance = await runtime.start(spec)
        progress(`${services.lwm2m}: started (${runtime.kind} ${shortId(instance)}) on coap://${config.host}:${config.lwm2m.port}, gateway ${config.lwm2m.gateway}`)
        await waitForCoap(services.lwm2m, config.host, config.lwm2m.port, { timeoutMs: LWM2M_TIMEOUT_MS, logFile: spec.logFile, alive: isAlive(runtime, instance), ready, signal })
        steps.push({ service: services.lwm2m, ms: Date.now() - t0 })
        progress(`${services.lwm2m}: healthy after ${formatDuration(Date.now() - t0)}`)
      }
      const started = await Promise.allSettled([
        config.mirror.enabled ? startMirror() : Promise.resolve(),
        config.lwm2m.enabled ? startLwm2m() : Promise.resolve(),
      ])
      const failedService = started.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failedService !== undefined) throw failedService.reason
    } finally {
      await Promise.all([edge.close(), cloud.close()])
    }
  } catch (err) {
    progress(err instanceof InterruptedError ? 'interrupted; stopping what was started' : 'start-up failed; stopping what was started')
    await platformDown(ctx, config.name, { keepLogs: true })
    throw err
  }
  state.healthyAt = Date.now()
  await writeState(home, state)
  return { state, healthyMs: state.healthyAt - t0, steps }
}

export interface DownResult {
  stopped: ServiceInstance[]
  swept: number
}

/**
 * Stops what writes to the brokers first (the mirror, the LWM2M server: they would log errors for brokers going
 * away), then the brokers; sweeps what is left and removes the platform's state and data. `stopTimeoutMs`: how long
 * each service may take before it is killed (the runtime's default when absent).
 */
export async function platformDown (ctx: PlatformContext, name: string, options: { keepLogs?: boolean, stopTimeoutMs?: number } = {}): Promise<DownResult> {
  const { runtime, home, progress } = ctx
  const instances = await runtime.list({ platform: name })
  const clients: string[] = [services.mirror, services.lwm2m]
  const first = instances.filter(i => clients.includes(i.service))
  const rest = instances.filter(i => !first.includes(i))
  for (const group of [first, rest]) {
    await Promise.all(group.map(async i => {
      const t = Date.now()
      await runtime.stop(i, options.stopTimeoutMs !== undefined ? { timeoutMs: options.stopTimeoutMs } : undefined)
      progress(`${i.service}: stopped (${formatDuration(Date.now() - t)})`)
    }))
  }
  const swept = await runtime.sweep(name)
  const state = await readState(home, name)
  if (state !== undefined) for (const store of enabledDatastores(state.config)) await datastores[store].remove?.({ platform: name })
  await removeState(home, name)
  if (options.keepLogs !== true) await rm(platformDir(home, name), { recursive: true, force: true })
  return { stopped: instances, swept }
}

function isAlive (runtime: Runtime, instance: ServiceInstance): () => Promise<boolean> {
  return async () => (await runtime.list({ platform: instance.platform, service: instance.service }))
    .some(i => i.id === instance.id)
}

function shortId (instance: ServiceInstance): string {
  return instance.runtime === 'docker' ? instance.id.slice(0, 12) : `pid ${instance.id}`
}
