// The one contract every service the lab starts goes through (docs/architecture.md). Monitors and the autoscaler
// see only this interface, so the docker and process implementations are interchangeable.

export const runtimeKinds = ['docker', 'process'] as const
export type RuntimeKind = (typeof runtimeKinds)[number]

export interface ServiceSpec {
  /** Platform instance name; every service of one platform shares it (label `fleetlab.platform`). */
  platform: string
  /** Service name, e.g. `edge-kafka` (label `fleetlab.service`). */
  service: string
  /** argv; argv[0] is an absolute path of a host executable (java, node). Containers see the host's runtimes read-only. */
  command: string[]
  env?: Record<string, string>
  /** Absolute working directory. Must be inside one of `writablePaths`. */
  cwd: string
  /** Host paths the service writes (data, logs); read-write in containers. */
  writablePaths: string[]
  /** Host paths the service only reads (jar cache, the project); read-only in containers. */
  readonlyPaths: string[]
  /** Named TCP/UDP ports the service listens on (host networking), for display and status. */
  ports: Record<string, number>
  /** stdout and stderr go here. `{replica}` is replaced by the replica number. */
  logFile: string
  /** SIGTERM (or stopSignal), then this long before SIGKILL. Default 10 s. */
  stopTimeoutMs?: number
  /**
   * The signal that stops the service cleanly, when SIGTERM does not (PostgreSQL: SIGTERM waits for every client
   * to disconnect, SIGINT disconnects them and checkpoints). Default SIGTERM.
   */
  stopSignal?: 'SIGTERM' | 'SIGINT' | 'SIGQUIT'
  /**
   * A system user (from the host's /etc/passwd) to run as, for a server that refuses root (PostgreSQL). Absent: the
   * invoking user. The writable paths must belong to it; running as another user needs root.
   */
  user?: string
}

export interface ServiceInstance {
  platform: string
  service: string
  replica: number
  runtime: RuntimeKind
  /** pid (process runtime) or container id (docker runtime). */
  id: string
  ports: Record<string, number>
  /** Epoch ms. */
  startedAt: number
}

export interface ServiceStats {
  running: boolean
  /** Percent of one core, as `docker stats` and `top` show it (200 = two cores busy). */
  cpuPercent: number
  /** Resident memory in bytes. */
  memoryBytes: number
}

/** One reading of a watched instance (Runtime.watchStats). */
export interface ServiceStatsSample extends ServiceStats {
  /** Epoch ms of the reading. */
  at: number
  /**
   * Bytes received and sent on the instance's own network interfaces since it started, summed over them. null when the
   * runtime cannot tell its traffic from the host's: host-network containers (the lab's default) have no interfaces
   * of their own, and /proc/<pid>/net/dev counts a whole network namespace, not a process.
   */
  networkRxBytes: number | null
  networkTxBytes: number | null
}

export interface StatsWatch {
  /** Ends the watch; no sample is delivered after it. Stopping twice is not an error. */
  stop (): void
}

/** The last sample of a watch: the instance no longer runs. */
export function stoppedSample (at: number): ServiceStatsSample {
  return { at, running: false, cpuPercent: 0, memoryBytes: 0, networkRxBytes: null, networkTxBytes: null }
}

export interface ListFilter {
  platform?: string
  service?: string
}

export interface Runtime {
  readonly kind: RuntimeKind
  /** Starts one replica (default 0). Fails if that replica already runs. Returns once the process or container runs. */
  start (spec: ServiceSpec, replica?: number): Promise<ServiceInstance>
  /** SIGTERM, wait up to the timeout, then SIGKILL; resolves once it is gone. Stopping a gone instance is not an error. */
  stop (instance: ServiceInstance, options?: { timeoutMs?: number }): Promise<void>
  /** Starts or stops replicas of `spec.service` until exactly `replicas` run (highest replica numbers stop first). */
  scale (spec: ServiceSpec, replicas: number): Promise<ServiceInstance[]>
  /** Running instances of the lab, sorted by service then replica. */
  list (filter?: ListFilter): Promise<ServiceInstance[]>
  /** CPU over a short sampling interval and resident memory. A gone instance reports running: false. */
  stats (instance: ServiceInstance): Promise<ServiceStats>
  /**
   * Readings about once a second (CPU over the time since the previous one) until the instance stops, then one sample
   * with running: false and no more; an instance already gone gets that one soon after. Never calls back synchronously.
   * Cheap enough to hold for every instance of a lab at once: one stream per container, one timer for all processes.
   */
  watchStats (instance: ServiceInstance, onSample: (sample: ServiceStatsSample) => void): StatsWatch
  /** Stops and removes every trace of a platform's services (stopped containers, stale records); returns how many. */
  sweep (platform: string): Promise<number>
  /** Releases clients and sockets; services keep running. */
  close (): Promise<void>
}

export const labels = {
  platform: 'fleetlab.platform',
  service: 'fleetlab.service',
  replica: 'fleetlab.replica',
  ports: 'fleetlab.ports',
} as const

export function logFileFor (spec: ServiceSpec, replica: number): string {
  return spec.logFile.replaceAll('{replica}', String(replica))
}

export function sortInstances (instances: ServiceInstance[]): ServiceInstance[] {
  return instances.sort((a, b) => a.service.localeCompare(b.service) || a.replica - b.replica)
}
