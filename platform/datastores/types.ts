// The databases a sink writes to (InfluxDB for time series, PostgreSQL for the device registry), as services of the
// platform: installed from Debian's packages when a run or a test needs them, started through the Runtime like
// every other service (both runtimes: containers see the host's /usr and /etc read-only, so one install serves
// both), health-checked before the workload, listed by `platform status`. One small contract per database, a
// registry by name (datastores/index.ts).
import type { ServiceSpec } from '../runtime/types.ts'

export const datastoreNames = ['influxdb', 'postgres'] as const
export type DatastoreName = (typeof datastoreNames)[number]

export interface DatastoreOptions {
  platform: string
  /** The platform's folder; the datastore keeps its data and log under <dir>/<service>/. */
  dir: string
  host: string
  port: number
}

export interface HealthOptions {
  host: string
  port: number
  timeoutMs: number
  /** The service's log, quoted in the error when it does not come up. */
  logFile: string
  /** false once the process or container is gone: stop waiting at once. */
  alive: () => Promise<boolean>
  signal?: AbortSignal
}

export interface Datastore {
  readonly service: DatastoreName
  /** Debian packages it needs. */
  readonly packages: readonly string[]
  /** Default port (the experiment and the tests usually take a free one). */
  readonly defaultPort: number
  /** Installs the packages when missing (apt-get, as root), telling `progress`; a clear error naming the command otherwise. */
  ensureInstalled (progress: (line: string) => void): Promise<void>
  /** Writes its configuration and data folder and returns the spec to start (fresh data each time). */
  prepare (o: DatastoreOptions): Promise<ServiceSpec>
  /** Deletes what prepare kept outside the platform's folder (platform down; the folder itself goes anyway). */
  remove? (o: { platform: string }): Promise<void>
  /** Until it answers its own protocol (InfluxDB GET /ping 204, PostgreSQL a SELECT 1). */
  waitHealthy (o: HealthOptions): Promise<void>
}
