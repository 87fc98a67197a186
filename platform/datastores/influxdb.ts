// InfluxDB 1.x as a platform datastore: the time series the `influxdb` sink store writes (zeelos wrote its
// observations to InfluxDB through a Kafka Connect sink, shared/reference/zeelos-avro/connect-influxdb-sink.json).
// Debian's `influxdb` package (1.6.7 on bookworm) gives /usr/bin/influxd; each prepare writes a config of its own
// and an empty meta/data/wal folder under <dir>/influxdb/, and the service is influxd itself in the foreground.
//
// Ports: the datastore uses `port` (HTTP: /ping, /write, /query) and `port + 1` (influxd's RPC service for backup
// and restore, which always listens; its default 8088 would collide between two platforms). The ifql RPC service
// (default :8082) is turned off. Take a port pair (test/helpers.ts freePortPair), as for a Kafka broker.
//
// SIGTERM (the Runtime's stop) is a clean shutdown: influxd closes its shards and exits within a second or so.
import { execFile } from 'node:child_process'
import { constants } from 'node:fs'
import { access, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { InterruptedError, ServiceFailedError, SetupMissingError, TimeoutError } from '../../lib/errors.ts'
import { sleep } from '../../lib/time.ts'
import { logTail } from '../health.ts'
import type { ServiceSpec } from '../runtime/types.ts'
import type { Datastore, DatastoreOptions, HealthOptions } from './types.ts'

export const influxdBinary = '/usr/bin/influxd'
const installCommand = 'apt-get install -y --no-install-recommends influxdb'
/** What influxd logs once its HTTP listener is bound: `msg="Listening on HTTP" log_id=... service=httpd addr=127.0.0.1:8086`. */
function listening (log: string, host: string, port: number): boolean {
  return log.split('\n').some(l => l.includes('msg="Listening on HTTP"') && l.includes(` addr=${hostPort(host, port)} `))
}

/** host:port as influxd's bind-address wants it (an IPv6 host in brackets). */
function hostPort (host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`
}

/** The base URL the sink store is given: http://host:port. */
export function influxUrl (host: string, port: number): string {
  return `http://${hostPort(host, port)}`
}

/** The two ports a datastore on `port` binds: HTTP and the RPC (backup/restore) service. */
export function influxPorts (port: number): { http: number, rpc: number } {
  return { http: port, rpc: port + 1 }
}

function toml (s: string): string {
  return JSON.stringify(s) // a TOML basic string has JSON's escapes
}

/** The whole config: every setting the lab relies on is written out, nothing is left to /etc/influxdb/influxdb.conf. */
export function influxConfig (folder: string, host: string, port: number): string {
  const ports = influxPorts(port)
  return `# Written by fleetlab (platform/datastores/influxdb.ts) for one platform; rewritten at every start.
reporting-disabled = true
# Debian's 1.6 build spells the usage report setting this way; both are set so neither build phones home.
reporting-enabled = false
# The RPC service for backup and restore (always on in 1.x): port + 1, so platforms side by side never share 8088.
bind-address = ${toml(hostPort(host, ports.rpc))}

[meta]
  dir = ${toml(join(folder, 'meta'))}
  logging-enabled = false

[data]
  dir = ${toml(join(folder, 'data'))}
  wal-dir = ${toml(join(folder, 'wal'))}
  # A write is answered once the WAL holds it (handed to the kernel); fsync follows within 100 ms. A killed influxd
  # loses nothing it acknowledged; only a crash of the whole machine could, and the data is new at every start.
  wal-fsync-delay = "100ms"
  query-log-enabled = false
  # A load test may register more devices than the 1.x guards allow (100,000 values of the ep tag, a million
  # series): a write past them would be a partial write, not a measurement. Memory grows with the series instead.
  max-series-per-database = 0
  max-values-per-tag = 0

[monitor]
  # No _internal database written every 10 s beside the run's points.
  store-enabled = false

[http]
  enabled = true
  bind-address = ${toml(hostPort(host, ports.http))}
  auth-enabled = false
  # No log line per request (thousands of writes a second).
  log-enabled = false
  suppress-write-log = true
  write-tracing = false
  pprof-enabled = false

[ifql]
  enabled = false

[logging]
  level = "info"
  suppress-logo = true

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false
`
}

async function installed (): Promise<boolean> {
  return await access(influxdBinary, constants.X_OK).then(() => true, () => false)
}

export const influxdb: Datastore = {
  service: 'influxdb',
  packages: ['influxdb'],
  defaultPort: 8086,

  async ensureInstalled (progress) {
    if (await installed()) return
    const aptGet = '/usr/bin/apt-get'
    const canInstall = process.getuid?.() === 0 && await access(aptGet, constants.X_OK).then(() => true, () => false)
    if (!canInstall) {
      throw new SetupMissingError(`InfluxDB is not installed (no ${influxdBinary})`, `run as root: ${installCommand}`)
    }
    progress("influxdb: installing Debian's influxdb (apt-get), once")
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    const args = ['install', '-y', '--no-install-recommends', 'influxdb']
    try {
      try {
        await run(aptGet, args, env)
      } catch (err) {
        // No package lists yet (a fresh image), or stale ones naming a version the mirror no longer has.
        progress(`influxdb: apt-get install failed (${lastLine((err as Error).message)}); running apt-get update first`)
        await run(aptGet, ['update'], env)
        await run(aptGet, args, env)
      }
    } catch (err) {
      throw new SetupMissingError(`installing InfluxDB failed: ${lastLine((err as Error).message)}`, `run as root: apt-get update && ${installCommand}`)
    }
    // Where services may start (no policy-rc.d saying 101), the package's postinst starts its own influxd on the
    // defaults 8086/8088 (through its init script: there is no systemd here); the lab runs its own per platform, so
    // the one the install just started goes, or the first platform on the default port would find it there.
    await run('/usr/sbin/invoke-rc.d', ['influxdb', 'stop'], env).catch(() => { /* not started (policy-rc.d), or no init system */ })
    for (const pid of await packageDaemons()) {
      progress(`influxdb: stopping the influxd the package started (pid ${pid})`)
      try { process.kill(pid, 'SIGTERM') } catch { /* gone already */ }
    }
    if (!await installed()) throw new SetupMissingError(`apt-get installed influxdb but ${influxdBinary} is missing`, `run as root: ${installCommand}`)
    progress(`influxdb: installed (${(await run(influxdBinary, ['version'], env).catch(() => '')).trim()})`)
  },

  async prepare (o: DatastoreOptions): Promise<ServiceSpec> {
    if (!await installed()) throw new SetupMissingError(`InfluxDB is not installed (no ${influxdBinary})`, `run as root: ${installCommand}`)
    const folder = join(o.dir, 'influxdb')
    await rm(folder, { recursive: true, force: true })
    await mkdir(folder, { recursive: true })
    const configFile = join(folder, 'influxdb.conf')
    await writeFile(configFile, influxConfig(folder, o.host, o.port))
    const ports = influxPorts(o.port)
    return {
      platform: o.platform,
      service: 'influxdb',
      command: [influxdBinary, '-config', configFile],
      cwd: folder,
      writablePaths: [folder],
      readonlyPaths: [],
      // The RPC port (port + 1) is bound too, but only `http` is a service anyone talks to.
      ports: { http: ports.http },
      logFile: join(folder, 'service.log'),
      stopTimeoutMs: 10_000,
    }
  },

  async waitHealthy (o: HealthOptions): Promise<void> {
    const url = `${influxUrl(o.host, o.port)}/ping`
    const deadline = Date.now() + o.timeoutMs
    let lastError = ''
    while (Date.now() < deadline) {
      if (o.signal?.aborted === true) throw new InterruptedError()
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(1000) })
        await res.arrayBuffer()
        if (res.status === 204) {
          // An answer alone may come from another influxd holding the port (ours then exits "address already in use"):
          // ours says in its own log that it listens.
          if (listening(await readFile(o.logFile, 'utf8').catch(() => ''), o.host, o.port)) return
          lastError = `something answers ${url}, but ${o.logFile} does not say "Listening on HTTP" there (another influxd on the port?)`
        } else {
          lastError = `GET /ping answered ${res.status}`
        }
      } catch (err) {
        lastError = causeOf(err)
      }
      if (!await o.alive()) {
        const tail = await logTail(o.logFile)
        throw new ServiceFailedError('influxdb', `exited during start-up${tail !== '' ? `; last log lines:\n${tail}` : ''}`, { hint: `full log: ${o.logFile}` })
      }
      await sleep(Math.min(200, Math.max(0, deadline - Date.now())), o.signal)
    }
    const tail = await logTail(o.logFile)
    throw new TimeoutError(`influxdb (${url}) did not answer 204 within ${o.timeoutMs / 1000}s: ${lastError}${tail !== '' ? `; last log lines:\n${tail}` : ''}`,
      { hint: `full log: ${o.logFile}` })
  },
}

/**
 * influxd processes on the package's defaults (8086/8088): started without -config, or with the package's own
 * /etc/influxdb/influxdb.conf. The lab's own always name a config under a platform's folder.
 */
export async function packageDaemons (): Promise<number[]> {
  const pids: number[] = []
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(a => a !== '')
    if (argv[0] === undefined || !argv[0].endsWith('influxd')) continue
    const at = argv.indexOf('-config')
    if (at < 0 || argv[at + 1] === '/etc/influxdb/influxdb.conf') pids.push(Number(entry))
  }
  return pids
}

/** fetch's "fetch failed" hides the reason in `cause` (ECONNREFUSED ...). */
function causeOf (err: unknown): string {
  const e = err as Error & { cause?: { code?: string, message?: string } }
  return e.cause?.code ?? e.cause?.message ?? e.message
}

function lastLine (text: string): string {
  return text.trim().split('\n').filter(l => l.trim() !== '').at(-1) ?? text
}

function run (file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err === null) resolve(stdout)
      else reject(new Error(`${[file, ...args].join(' ')}: ${stderr.trim() !== '' ? stderr.trim() : err.message}`))
    })
  })
}
