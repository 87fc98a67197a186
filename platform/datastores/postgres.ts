// PostgreSQL as a platform datastore: the device registry (and, optionally, the observations) the `postgres` sink
// store writes; zeelos kept its registry in OrientDB. Debian's server binaries (/usr/lib/postgresql/<version>/bin),
// a fresh cluster under <dir>/postgres/data per prepare, the `postgres` binary itself as the service (not pg_ctl,
// which daemonizes: the Runtime must own the postmaster to stop it and read its CPU and memory).
//
// The server refuses to run as root. As root, the spec runs it as Debian's `postgres` system user
// (ServiceSpec.user) and the folder is chowned to it; as anyone else it runs as that user, who owns the folder.
// A folder that user cannot reach (root's home is mode 700, and FLEETLAB_HOME defaults to ~/.cache/fleetlab) keeps
// only the log: the cluster goes to <tmpdir>/fleetlab-postgres/<platform>/, which `remove` (platform down) deletes.
//
// The Runtime stops it with SIGINT (ServiceSpec.stopSignal), PostgreSQL's fast shutdown: open sessions are ended
// and the server checkpoints. SIGTERM, its smart shutdown, would wait for every client (a sink replica killed from
// outside leaves its pooled connections open until they time out); past stopTimeoutMs the Runtime's SIGKILL takes
// the whole process group (the backends are in it), and the next prepare starts fresh anyway.
import { execFile, spawn } from 'node:child_process'
import { access, appendFile, chown, mkdir, readFile, readdir, rm, stat } from 'node:fs/promises'
import { constants } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import pg from 'pg'
import { InterruptedError, ServiceFailedError, SetupMissingError, TimeoutError } from '../../lib/errors.ts'
import { sleep } from '../../lib/time.ts'
import { logTail } from '../health.ts'
import { findPasswdEntry } from '../runtime/system-user.ts'
import type { SystemUser } from '../runtime/system-user.ts'
import type { ServiceSpec } from '../runtime/types.ts'
import type { Datastore, DatastoreOptions, HealthOptions } from './types.ts'

/** The database prepare creates; every store of the lab writes to it. */
export const postgresDatabase = 'fleetlab'
/** initdb's superuser, trusted from this machine only (a lab on one host: no passwords to hand around). */
export const postgresUser = 'postgres'
/** The Debian package's system user the server runs as when the lab runs as root. */
const systemUserName = 'postgres'

const serverRoot = '/usr/lib/postgresql'
const installCommand = 'apt-get update && apt-get install -y postgresql'
/** Where a cluster goes when the platform's folder is out of the postgres user's reach. */
export function fallbackFolder (platform: string): string {
  return join(tmpdir(), 'fleetlab-postgres', platform)
}

/** sun_path of struct sockaddr_un is 108 bytes with its NUL (unix(7)). */
const maxSocketPath = 107

/** The newest installed server's bin folder (/usr/lib/postgresql/15/bin), or undefined. */
export async function postgresBinDir (root = serverRoot): Promise<string | undefined> {
  const versions = await readdir(root).catch(() => [] as string[])
  const sorted = versions.filter(v => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a))
  for (const v of sorted) {
    const bin = join(root, v, 'bin')
    try {
      await access(join(bin, 'postgres'), constants.X_OK)
      await access(join(bin, 'initdb'), constants.X_OK)
      return bin
    } catch { /* a version with only the client installed */ }
  }
  return undefined
}

/** The URL the stores are given: postgres://postgres@host:port/fleetlab. */
export function postgresUrl (host: string, port: number, database = postgresDatabase): string {
  return `postgres://${postgresUser}@${host.includes(':') ? `[${host}]` : host}:${port}/${database}`
}

export const postgres: Datastore = {
  service: 'postgres',
  packages: ['postgresql'],
  defaultPort: 5432,

  async ensureInstalled (progress) {
    if (await postgresBinDir() !== undefined) return
    if (process.getuid?.() !== 0) {
      throw new SetupMissingError(`PostgreSQL server is not installed (no ${serverRoot}/<version>/bin/postgres)`, `run as root: ${installCommand}`)
    }
    progress('installing PostgreSQL (apt-get install postgresql)')
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    try {
      await streamed('/usr/bin/apt-get', ['update'], env, progress)
      await streamed('/usr/bin/apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], env, progress)
    } catch (err) {
      throw new SetupMissingError(`installing PostgreSQL failed: ${(err as Error).message}`, `run as root: ${installCommand}`)
    }
    // The package creates its own cluster on 5432 and starts it where services may start; the lab runs its own.
    const clusters = await run('/usr/bin/pg_lsclusters', ['--no-header']).catch(() => '')
    for (const line of clusters.split('\n')) {
      const [version, name, , status] = line.trim().split(/\s+/)
      if (version === undefined || name === undefined || status !== 'online') continue
      progress(`stopping the package's own cluster ${version}/${name}`)
      await run('/usr/bin/pg_ctlcluster', [version, name, 'stop', '--', '-m', 'fast'])
        .catch(err => progress(`could not stop cluster ${version}/${name}: ${(err as Error).message}`))
    }
    if (await postgresBinDir() === undefined) {
      throw new SetupMissingError(`apt-get installed postgresql but ${serverRoot}/<version>/bin/postgres is missing`, `run as root: ${installCommand}`)
    }
    progress('PostgreSQL installed')
  },

  async prepare (o: DatastoreOptions): Promise<ServiceSpec> {
    const bin = await postgresBinDir()
    if (bin === undefined) throw new SetupMissingError('PostgreSQL server is not installed', `run as root: ${installCommand}`)
    const user = process.getuid?.() === 0 ? await systemUser() : undefined
    const home = join(o.dir, 'postgres')
    await rm(home, { recursive: true, force: true })
    await mkdir(home, { recursive: true })
    await rm(fallbackFolder(o.platform), { recursive: true, force: true })
    let folder = home
    if (user !== undefined) {
      if (await unreachableAbove(home, user) !== undefined) {
        folder = fallbackFolder(o.platform)
        // the parent lets everyone through (search only) but only root list or create in it
        await mkdir(dirname(folder), { recursive: true, mode: 0o711 })
        await mkdir(folder, { recursive: true })
        await checkReachable(folder, user)
      }
      // the home too: a container running as that user appends the log there itself
      for (const f of new Set([home, folder])) await chown(f, user.uid, user.gid)
    }
    const data = join(folder, 'data')
    const socket = join(folder, `.s.PGSQL.${o.port}`)
    if (Buffer.byteLength(socket) > maxSocketPath) {
      throw new ServiceFailedError('postgres', `the unix socket path ${socket} is longer than ${maxSocketPath} bytes`, { hint: 'use a shorter FLEETLAB_HOME' })
    }
    const as = { cwd: folder, ...(user !== undefined ? { uid: user.uid, gid: user.gid } : {}) }
    try {
      // --no-sync: the cluster is new and thrown away with the platform; initdb's fsyncs would buy nothing.
      await run(join(bin, 'initdb'), ['-D', data, '-U', postgresUser, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], as)
      // initdb trusts loopback; `samehost` adds this machine's other addresses (a --host that is not 127.0.0.1).
      await appendFile(join(data, 'pg_hba.conf'), '\n# fleetlab: any address of this machine\nhost    all             all             samehost                trust\n')
      // Single-user mode (no socket, no port): the database exists before the server first listens.
      await run(join(bin, 'postgres'), ['--single', '-D', data, '-F', '-c', 'exit_on_error=on', 'postgres'], { ...as, input: `CREATE DATABASE ${postgresDatabase};\n` })
    } catch (err) {
      throw new ServiceFailedError('postgres', `creating the cluster in ${data} failed: ${(err as Error).message}`, { cause: err })
    }
    return {
      platform: o.platform,
      service: 'postgres',
      command: [join(bin, 'postgres'), '-D', data,
        '-c', `listen_addresses=${o.host}`,
        '-c', `port=${o.port}`,
        '-c', `unix_socket_directories=${folder}`,
        // fsync off: only a crash of the whole machine could lose or tear what was written, and the cluster is new
        // each platform start. synchronous_commit stays on: COMMIT returns once the WAL is with the kernel, so a
        // killed server (the lab kills services on purpose) loses nothing a sink's flush was told is written.
        '-c', 'fsync=off',
        '-c', 'full_page_writes=off',
        // Its log is stderr, which the Runtime sends to the service log.
        '-c', 'logging_collector=off',
      ],
      cwd: folder,
      writablePaths: folder === home ? [home] : [home, folder],
      readonlyPaths: [dirname(bin)],
      ports: { sql: o.port },
      logFile: join(home, 'service.log'),
      stopTimeoutMs: 15_000,
      stopSignal: 'SIGINT',
      ...(user !== undefined ? { user: user.name } : {}),
    }
  },

  async remove (o: { platform: string }): Promise<void> {
    await rm(fallbackFolder(o.platform), { recursive: true, force: true })
  },

  async waitHealthy (o: HealthOptions): Promise<void> {
    const deadline = Date.now() + o.timeoutMs
    let lastError = ''
    while (Date.now() < deadline) {
      if (o.signal?.aborted === true) throw new InterruptedError()
      try {
        await selectOne(postgresUrl(o.host, o.port))
        return
      } catch (err) {
        lastError = (err as Error).message
      }
      if (!await o.alive()) {
        const tail = await logTail(o.logFile)
        throw new ServiceFailedError('postgres', `exited during start-up${tail !== '' ? `; last log lines:\n${tail}` : ''}`, { hint: `full log: ${o.logFile}` })
      }
      await sleep(Math.min(200, Math.max(0, deadline - Date.now())), o.signal)
    }
    const tail = await logTail(o.logFile)
    throw new TimeoutError(`postgres (${o.host}:${o.port}) did not answer SELECT 1 on database ${postgresDatabase} within ${o.timeoutMs / 1000}s: ${lastError}${tail !== '' ? `; last log lines:\n${tail}` : ''}`,
      { hint: `full log: ${o.logFile}` })
  },
}

/** Debian's `postgres` system user, from the host's /etc/passwd (which containers see too). */
async function systemUser (): Promise<SystemUser> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '')
  const user = findPasswdEntry(passwd, systemUserName)
  if (user === undefined) {
    throw new SetupMissingError(`there is no "${systemUserName}" system user to run PostgreSQL as (the server refuses root; the postgresql package creates the user)`,
      `run as root: ${installCommand}`)
  }
  return user
}

/**
 * The server opens its data folder by absolute path as the postgres user, so every folder above it must let that
 * user through (search permission). A home folder of mode 700 does not: say which, rather than loosen it unasked.
 */
async function checkReachable (folder: string, user: SystemUser): Promise<void> {
  const closed = await unreachableAbove(folder, user)
  if (closed !== undefined) {
    throw new SetupMissingError(`postgres: the "${user.name}" user cannot reach ${folder}: ${closed.dir} (mode ${closed.mode.toString(8)}) does not let it through`,
      `chmod o+x ${closed.dir} (search only, no listing), or set TMPDIR to a folder it can reach`)
  }
}

/** The first folder above `folder` that does not let `user` through, or undefined. */
async function unreachableAbove (folder: string, user: SystemUser): Promise<{ dir: string, mode: number } | undefined> {
  for (let d = dirname(folder); ; d = dirname(d)) {
    const s = await stat(d)
    const through = s.uid === user.uid ? (s.mode & 0o100) !== 0 : s.gid === user.gid ? (s.mode & 0o010) !== 0 : (s.mode & 0o001) !== 0
    if (!through) return { dir: d, mode: s.mode & 0o777 }
    if (d === dirname(d)) return undefined
  }
}

/** SELECT 1 over TCP, one connection, bounded by its own timeouts. */
async function selectOne (url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000, query_timeout: 2000 })
  client.on('error', () => { /* reported by the failing call */ })
  try {
    await client.connect()
    await client.query('SELECT 1')
  } finally {
    await client.end().catch(() => {})
  }
}

interface RunOptions { cwd?: string, uid?: number, gid?: number, input?: string }

function run (file: string, args: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const { input, ...spawnOptions } = options
    const child = execFile(file, args, { ...spawnOptions, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      if (err === null) { resolve(stdout); return }
      const said = `${stderr}\n${stdout}`.split('\n').filter(l => /ERROR|FATAL|error|could not/.test(l)).slice(-3).join('; ')
      reject(new Error(`${[file, ...args].join(' ')}: ${said !== '' ? said : err.message}`))
    })
    child.stdin?.end(input ?? '')
  })
}

/** Runs a command, telling each output line. */
function streamed (file: string, args: string[], env: NodeJS.ProcessEnv, progress: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let last = ''
    const tell = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') { last = line.trim(); progress(`  ${last}`) }
    }
    child.stdout.on('data', tell)
    child.stderr.on('data', tell)
    child.once('error', reject)
    child.once('close', code => code === 0 ? resolve() : reject(new Error(`${file} ${args.join(' ')} exited with ${code}: ${last}`)))
  })
}
