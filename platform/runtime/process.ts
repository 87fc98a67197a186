import { spawn } from 'node:child_process'
import { mkdir, open, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { ServiceFailedError } from '../../lib/errors.ts'
import { sleep } from '../../lib/time.ts'
import { readProcSample, sampleProcess } from './proc-stats.ts'
import { ProcStatsWatcher } from './proc-watch.ts'
import { scaleService } from './scale.ts'
import { lookupSystemUser } from './system-user.ts'
import { logFileFor, sortInstances, stoppedSample } from './types.ts'
import type { ListFilter, Runtime, ServiceInstance, ServiceSpec, ServiceStats, ServiceStatsSample, StatsWatch } from './types.ts'

interface PidRecord extends ServiceInstance {
  /** /proc start time of the pid when we started it: guards against killing a reused pid. */
  startTicks: number
  /** ServiceSpec.stopSignal, kept for a later `platform down` (absent: SIGTERM). */
  stopSignal?: NodeJS.Signals
}

const DEFAULT_STOP_TIMEOUT_MS = 10_000

/**
 * Services as detached child processes (own process group, survive the CLI that started them).
 * Each running replica has a record under `<stateDir>/<platform>/<service>.<replica>.json`, so a later
 * `fleetlab platform status|down` finds them; a record whose pid is gone or reused is dropped.
 */
export class ProcessRuntime implements Runtime {
  readonly kind = 'process' as const
  readonly #stateDir: string
  /** One timer for every watched pid (proc-watch.ts). */
  readonly #watcher = new ProcStatsWatcher()

  constructor (stateDir: string) {
    this.#stateDir = stateDir
  }

  async start (spec: ServiceSpec, replica = 0): Promise<ServiceInstance> {
    const existing = await this.list({ platform: spec.platform, service: spec.service })
    if (existing.some(i => i.replica === replica)) {
      throw new ServiceFailedError(spec.service, `replica ${replica} already runs`)
    }
    const logFile = logFileFor(spec, replica)
    const [file, ...args] = spec.command
    if (file === undefined) throw new ServiceFailedError(spec.service, 'empty command')
    // The log is opened here, by the invoking user, and handed over as a descriptor: the service's user need not own it.
    const user = spec.user !== undefined ? await lookupSystemUser(spec.service, spec.user) : undefined
    await mkdir(dirname(logFile), { recursive: true })
    const log = await open(logFile, 'a')
    const failed = (err: Error): ServiceFailedError => new ServiceFailedError(spec.service,
      `cannot start ${file}${user !== undefined ? ` as user ${user.name}` : ''}: ${err.message}`,
      { cause: err, hint: user !== undefined && (err as NodeJS.ErrnoException).code === 'EPERM' ? 'running a service as another user needs root' : undefined })
    let child: ReturnType<typeof spawn>
    try {
      child = spawn(file, args, {
        cwd: spec.cwd,
        env: { ...process.env, ...spec.env, FLEETLAB_REPLICA: String(replica), ...(user !== undefined ? { USER: user.name, LOGNAME: user.name, HOME: user.home } : {}) },
        stdio: ['ignore', log.fd, log.fd],
        detached: true,
        ...(user !== undefined ? { uid: user.uid, gid: user.gid } : {}),
      })
    } catch (err) {
      // setuid refused (EPERM) is thrown here, not emitted.
      await log.close()
      throw failed(err as Error)
    }
    // Listen before the first await: 'spawn' fires on the next tick.
    const spawned = new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid!))
      child.once('error', err => reject(failed(err)))
    })
    const pid = await spawned.finally(() => log.close())
    child.unref()
    const sample = await readProcSample(pid)
    const record: PidRecord = {
      platform: spec.platform,
      service: spec.service,
      replica,
      runtime: 'process',
      id: String(pid),
      ports: spec.ports,
      startedAt: Date.now(),
      startTicks: sample?.startTicks ?? -1,
      ...(spec.stopSignal !== undefined ? { stopSignal: spec.stopSignal } : {}),
    }
    // Gone already (it exited at once): no record, so its pid, free for reuse, is never signalled later.
    if (sample === undefined) return publicView(record)
    await mkdir(join(this.#stateDir, spec.platform), { recursive: true })
    await writeFile(this.#recordPath(record), JSON.stringify(record, null, 2))
    return publicView(record)
  }

  async stop (instance: ServiceInstance, options: { timeoutMs?: number } = {}): Promise<void> {
    const record = await this.#ownRecord(instance)
    // No record of this run: it is gone, or the replica was started again since and the record is the new run's.
    if (record === undefined) return
    const pid = Number(record.id)
    if (await this.#alive(record)) {
      signalGroup(pid, record.stopSignal ?? 'SIGTERM')
      const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS)
      while (Date.now() < deadline && await this.#alive(record)) await sleep(100)
      if (await this.#alive(record)) {
        signalGroup(pid, 'SIGKILL')
        while (await this.#alive(record)) await sleep(50)
      }
      // The service is gone; children of it that ignored SIGTERM may still hold its group.
      try { process.kill(-pid, 'SIGKILL') } catch { /* the group is empty */ }
    }
    await rm(this.#recordPath(instance), { force: true })
  }

  scale (spec: ServiceSpec, replicas: number): Promise<ServiceInstance[]> {
    return scaleService(this, spec, replicas)
  }

  async list (filter: ListFilter = {}): Promise<ServiceInstance[]> {
    const platforms = filter.platform !== undefined ? [filter.platform] : await readdirOrEmpty(this.#stateDir)
    const found: ServiceInstance[] = []
    for (const platform of platforms) {
      for (const name of await readdirOrEmpty(join(this.#stateDir, platform))) {
        if (!name.endsWith('.json')) continue
        const path = join(this.#stateDir, platform, name)
        const record = await this.#readRecord(path)
        if (record === undefined) continue
        if (filter.service !== undefined && record.service !== filter.service) continue
        if (await this.#alive(record)) found.push(publicView(record))
        else await rm(path, { force: true })
      }
    }
    return sortInstances(found)
  }

  async stats (instance: ServiceInstance): Promise<ServiceStats> {
    const gone = { running: false, cpuPercent: 0, memoryBytes: 0 }
    // The pid alone may name another process by now; only the record's start time says it is still this service.
    const record = await this.#ownRecord(instance)
    if (record === undefined || !await this.#alive(record)) return gone
    const sample = await sampleProcess(Number(record.id))
    if (sample === undefined) return gone
    return { running: true, cpuPercent: sample.cpuPercent, memoryBytes: sample.rssBytes }
  }

  async sweep (platform: string): Promise<number> {
    const instances = await this.list({ platform })
    await Promise.all(instances.map(i => this.stop(i, { timeoutMs: 5000 })))
    await rm(join(this.#stateDir, platform), { recursive: true, force: true })
    return instances.length
  }

  watchStats (instance: ServiceInstance, onSample: (sample: ServiceStatsSample) => void): StatsWatch {
    let inner: StatsWatch | undefined
    let stopped = false
    // As stats(): only the record's start time says the pid is still this run of the service.
    void this.#ownRecord(instance).then(record => {
      if (stopped) return
      if (record === undefined) { stopped = true; onSample(stoppedSample(Date.now())); return }
      inner = this.#watcher.watch(Number(record.id), record.startTicks, onSample)
    })
    return { stop: () => { stopped = true; inner?.stop() } }
  }

  async close (): Promise<void> {}

  #recordPath (instance: Pick<ServiceInstance, 'platform' | 'service' | 'replica'>): string {
    return join(this.#stateDir, instance.platform, `${instance.service}.${instance.replica}.json`)
  }

  async #readRecord (path: string): Promise<PidRecord | undefined> {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as PidRecord
    } catch {
      return undefined
    }
  }

  /** The record of exactly this run of the replica (same pid), if there is one. */
  async #ownRecord (instance: ServiceInstance): Promise<PidRecord | undefined> {
    const record = await this.#readRecord(this.#recordPath(instance))
    return record?.id === instance.id ? record : undefined
  }

  async #alive (record: PidRecord): Promise<boolean> {
    const sample = await readProcSample(Number(record.id))
    return sample !== undefined && sample.startTicks === record.startTicks
  }
}

function publicView (record: PidRecord): ServiceInstance {
  const { startTicks: _ticks, stopSignal: _signal, ...instance } = record
  return instance
}

function signalGroup (pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal) // the whole group: a service's own children go too
  } catch {
    try { process.kill(pid, signal) } catch { /* already gone */ }
  }
}

async function readdirOrEmpty (dir: string): Promise<string[]> {
  try {
    return await readdir(dir)
  } catch {
    return []
  }
}
