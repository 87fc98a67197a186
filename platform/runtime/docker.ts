import { readFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import Dockerode from 'dockerode'
import { RuntimeUnavailableError, ServiceFailedError } from '../../lib/errors.ts'
import { ensureBaseImage, hostMounts } from './docker-image.ts'
import { cpuPercent, memoryBytes, watchContainerStats } from './docker-stats.ts'
import { scaleService } from './scale.ts'
import { lookupSystemUser } from './system-user.ts'
import { labels, logFileFor, sortInstances } from './types.ts'
import type { ListFilter, Runtime, ServiceInstance, ServiceSpec, ServiceStats, ServiceStatsSample, StatsWatch } from './types.ts'

const DEFAULT_SOCKET = '/var/run/docker.sock'
const DEFAULT_STOP_TIMEOUT_MS = 10_000
const PING_TIMEOUT_MS = 3_000
const HINT = 'start dockerd, or use --runtime process'

export interface DockerConnection {
  /** Unix socket of the engine. Wins over `host`. */
  socketPath?: string
  /** A DOCKER_HOST value: unix:///path, tcp://host:port, ssh://user@host. Defaults to $DOCKER_HOST. */
  host?: string
}

/** Services as containers on the host network, seeing the host's /usr and /etc read-only (docker-image.ts). */
export class DockerRuntime implements Runtime {
  readonly kind = 'docker' as const
  readonly docker: Dockerode
  readonly #user: string | undefined

  constructor (docker: Dockerode) {
    this.docker = docker
    // Run as the invoking user so files in the writable paths belong to them, as with the process runtime.
    this.#user = process.getuid !== undefined && process.getgid !== undefined
      ? `${process.getuid()}:${process.getgid()}`
      : undefined
  }

  async start (spec: ServiceSpec, replica = 0): Promise<ServiceInstance> {
    const [file] = spec.command
    if (file === undefined) throw new ServiceFailedError(spec.service, 'empty command')
    const image = await ensureBaseImage(this.docker)
    const name = containerName(spec.platform, spec.service, replica)
    await this.#removeLeftover(spec, name, replica)

    const logFile = logFileFor(spec, replica)
    for (const dir of [dirname(logFile), ...spec.writablePaths, spec.cwd]) await mkdir(dir, { recursive: true })

    const stopSeconds = Math.ceil((spec.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS) / 1000)
    // As numbers: the name is the host's (/etc/passwd), and uid:gid needs no lookup inside the container.
    const asUser = spec.user !== undefined ? await lookupSystemUser(spec.service, spec.user) : undefined
    let container: Dockerode.Container
    try {
      container = await this.docker.createContainer({
        name,
        Image: image,
        // The image has no entrypoint; sh appends output to the host log file and `exec` leaves the service
        // as the direct child of tini, so SIGTERM reaches it.
        Cmd: ['/bin/sh', '-c', `exec "$0" "$@" >>${shellQuote(logFile)} 2>&1`, ...spec.command],
        Env: [...Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`), `FLEETLAB_REPLICA=${replica}`],
        WorkingDir: spec.cwd,
        User: asUser !== undefined ? `${asUser.uid}:${asUser.gid}` : this.#user,
        Labels: {
          [labels.platform]: spec.platform,
          [labels.service]: spec.service,
          [labels.replica]: String(replica),
          [labels.ports]: JSON.stringify(spec.ports),
        },
        StopTimeout: stopSeconds,
        // tini passes the stop signal on to the service
        ...(spec.stopSignal !== undefined ? { StopSignal: spec.stopSignal } : {}),
        HostConfig: {
          NetworkMode: 'host',
          // tini as pid 1: a process that is pid 1 itself ignores SIGTERM unless it installs a handler.
          Init: true,
          Mounts: mountsFor(spec),
        },
      })
    } catch (err) {
      throw new ServiceFailedError(spec.service, `cannot create container ${name}: ${messageOf(err)}`, { cause: err })
    }
    try {
      await container.start()
    } catch (err) {
      await container.remove({ force: true }).catch(() => {})
      throw new ServiceFailedError(spec.service, `cannot start container ${name}: ${messageOf(err)}`, { cause: err })
    }
    const info = await container.inspect()
    return {
      platform: spec.platform,
      service: spec.service,
      replica,
      runtime: 'docker',
      id: info.Id,
      ports: spec.ports,
      // Whole seconds, as list() sees them (Created in the container list is in seconds).
      startedAt: Math.floor(Date.parse(info.Created) / 1000) * 1000,
    }
  }

  async #removeLeftover (spec: ServiceSpec, name: string, replica: number): Promise<void> {
    try {
      const info = await this.docker.getContainer(name).inspect()
      if (info.State.Running) {
        throw new ServiceFailedError(spec.service, `replica ${replica} already runs (container ${name})`)
      }
      await ignoreStatus(this.docker.getContainer(name).remove({ force: true }), 404, 409)
    } catch (err) {
      if (statusOf(err) !== 404) throw err
    }
  }

  async stop (instance: ServiceInstance, options: { timeoutMs?: number } = {}): Promise<void> {
    const container = this.docker.getContainer(instance.id)
    const t = Math.ceil((options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS) / 1000)
    // 304: already stopped; 404: already gone; 409: removal already in progress.
    await ignoreStatus(container.stop({ t }), 304, 404)
    await ignoreStatus(container.remove({ force: true }), 404, 409)
  }

  scale (spec: ServiceSpec, replicas: number): Promise<ServiceInstance[]> {
    return scaleService(this, spec, replicas)
  }

  async list (filter: ListFilter = {}): Promise<ServiceInstance[]> {
    const containers = await this.docker.listContainers({ filters: { label: labelFilter(filter), status: ['running'] } })
    return sortInstances(containers.map(c => ({
      platform: c.Labels[labels.platform] ?? '',
      service: c.Labels[labels.service] ?? '',
      replica: Number(c.Labels[labels.replica] ?? 0),
      runtime: 'docker' as const,
      id: c.Id,
      ports: parsePorts(c.Labels[labels.ports]),
      startedAt: c.Created * 1000,
    })))
  }

  async stats (instance: ServiceInstance): Promise<ServiceStats> {
    const gone: ServiceStats = { running: false, cpuPercent: 0, memoryBytes: 0 }
    const container = this.docker.getContainer(instance.id)
    try {
      if (!(await container.inspect()).State.Running) return gone
      // stream: false makes the engine sample twice (about 1 s apart), which fills precpu_stats.
      const s = await container.stats({ stream: false })
      return { running: true, cpuPercent: cpuPercent(s), memoryBytes: memoryBytes(s) }
    } catch (err) {
      if (statusOf(err) === 404 || statusOf(err) === 409) return gone
      throw err
    }
  }

  /** One stats stream per container (docker-stats.ts); no request per reading. */
  watchStats (instance: ServiceInstance, onSample: (sample: ServiceStatsSample) => void): StatsWatch {
    return watchContainerStats(this.docker, instance.id, onSample)
  }

  /** Force-removes every container of the platform, running or not. Returns how many it removed. */
  async sweep (platform: string): Promise<number> {
    const containers = await this.docker.listContainers({ all: true, filters: { label: [`${labels.platform}=${platform}`] } })
    await Promise.all(containers.map(c => ignoreStatus(this.docker.getContainer(c.Id).remove({ force: true }), 404, 409)))
    return containers.length
  }

  async close (): Promise<void> {}
}

export async function createDockerRuntime (options: DockerConnection = {}, env: NodeJS.ProcessEnv = process.env): Promise<DockerRuntime> {
  let connection: Connection
  try {
    connection = connect(options, env)
  } catch (err) {
    if (err instanceof RuntimeUnavailableError) throw err
    throw new RuntimeUnavailableError(`cannot set up a docker client: ${messageOf(err)}`, { hint: HINT, cause: err })
  }
  await ping(connection, PING_TIMEOUT_MS)
  return new DockerRuntime(new Dockerode(connection.options))
}

/**
 * For picking a runtime when none was asked for. A set DOCKER_HOST counts as a choice of docker, so a wrong
 * value fails loudly in createDockerRuntime instead of silently falling back to processes.
 */
export async function dockerAvailable (env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (env.DOCKER_HOST !== undefined && env.DOCKER_HOST !== '') return true
  return ping(connect({ socketPath: DEFAULT_SOCKET }, env), 1_000).then(() => true, () => false)
}

export function containerName (platform: string, service: string, replica: number): string {
  return `fleetlab-${platform}-${service}-${replica}`.replace(/[^a-zA-Z0-9_.-]/g, '-')
}

interface Connection { options: Dockerode.DockerOptions, target: string }

function connect (options: DockerConnection, env: NodeJS.ProcessEnv): Connection {
  const host = options.socketPath === undefined ? (options.host ?? env.DOCKER_HOST) : undefined
  if (host === undefined || host === '' || host.startsWith('unix://')) {
    const socketPath = options.socketPath ?? (host !== undefined && host.length > 'unix://'.length ? host.slice(7) : DEFAULT_SOCKET)
    // host: undefined explicitly, because docker-modem merges in $DOCKER_HOST and a host wins over a socket.
    return { options: { socketPath, host: undefined }, target: `unix://${socketPath}` }
  }
  let url: URL
  try {
    url = new URL(host.includes('://') ? host : `tcp://${host}`)
  } catch (err) {
    throw new RuntimeUnavailableError(`DOCKER_HOST ${host} is not a URL like tcp://localhost:2375`, { hint: HINT, cause: err })
  }
  const protocol = url.protocol === 'ssh:' ? 'ssh' : url.port === '2376' || env.DOCKER_TLS_VERIFY === '1' ? 'https' : 'http'
  const certs = env.DOCKER_CERT_PATH
  const clientOptions: Dockerode.DockerOptions = {
    host: url.hostname,
    port: url.port === '' ? (protocol === 'ssh' ? 22 : 2375) : url.port,
    protocol,
    ...(protocol === 'ssh' ? { username: url.username, sshOptions: { agent: env.SSH_AUTH_SOCK } } : {}),
    ...(protocol === 'https' && certs !== undefined && certs !== ''
      ? { ca: readFileSync(join(certs, 'ca.pem')), cert: readFileSync(join(certs, 'cert.pem')), key: readFileSync(join(certs, 'key.pem')) }
      : {}),
  }
  return { options: clientOptions, target: host }
}

async function ping ({ options, target }: Connection, timeoutMs: number): Promise<void> {
  // A client of its own: its request timeout destroys a hung request, so nothing keeps the process alive.
  // The runtime's client has none, since stopping a container legitimately takes its whole stop timeout.
  const client = new Dockerode({ ...options, timeout: timeoutMs })
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    timer.unref()
  })
  try {
    await Promise.race([client.ping(), timeout])
  } catch (err) {
    throw new RuntimeUnavailableError(`the docker engine at ${target} does not answer: ${messageOf(err)}`, { hint: HINT, cause: err })
  } finally {
    clearTimeout(timer)
  }
}

function mountsFor (spec: ServiceSpec): Dockerode.MountSettings[] {
  const byTarget = new Map<string, boolean>()
  for (const path of hostMounts) byTarget.set(path, true)
  for (const path of spec.readonlyPaths) {
    if (!hostMounts.some(base => path === base || path.startsWith(`${base}/`))) byTarget.set(path, true)
  }
  // Writable wins when a path is listed both ways.
  for (const path of spec.writablePaths) byTarget.set(path, false)
  return [...byTarget].map(([path, readOnly]) => ({ Type: 'bind', Source: path, Target: path, ReadOnly: readOnly }))
}

function labelFilter (filter: ListFilter): string[] {
  return [
    filter.platform === undefined ? labels.platform : `${labels.platform}=${filter.platform}`,
    ...(filter.service === undefined ? [] : [`${labels.service}=${filter.service}`]),
  ]
}

function parsePorts (json: string | undefined): Record<string, number> {
  try {
    const value: unknown = JSON.parse(json ?? '{}')
    return typeof value === 'object' && value !== null ? value as Record<string, number> : {}
  } catch {
    return {}
  }
}

function shellQuote (value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`
}

function statusOf (err: unknown): number | undefined {
  return typeof err === 'object' && err !== null ? (err as { statusCode?: number }).statusCode : undefined
}

async function ignoreStatus (request: Promise<unknown>, ...codes: number[]): Promise<void> {
  try {
    await request
  } catch (err) {
    const code = statusOf(err)
    if (code === undefined || !codes.includes(code)) throw err
  }
}

function messageOf (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
