// A run's watchdog: nothing a run starts outlives its runner. The runner writes a record of itself beside its
// platform (<home>/platforms/<name>/runner.json) and starts this watchdog as a detached process of its own session,
// out of reach of whatever kills the runner's process group. The watchdog polls the runner's pid (with its /proc
// start time, so a reused pid is not taken for the runner). A runner that ends normally has stopped everything and
// removed its record: the watchdog finds no record and exits. A runner that died (SIGKILL, the OOM killer, a crash
// past its cleanup) left its record: the watchdog stops the run's units (sinks, gateways) and, if the run started its
// platform and was not asked to keep it, the whole platform, on the runtime that started them; it keeps the services'
// logs in the run folder, as a runner that ends does, and marks the run's run.json incomplete with the reason.
import { spawn } from 'node:child_process'
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { platformDir } from '../lib/home.ts'
import { sleep } from '../lib/time.ts'
import { datastoreNames } from './datastores/types.ts'
import { readProcSample } from './runtime/proc-stats.ts'
import { keepServiceLogs } from './service-logs.ts'
import type { Runtime, RuntimeKind } from './runtime/types.ts'

/** What the watchdog (and `platform ls`) knows of the run that owns a platform name. */
export interface RunnerRecord {
  readonly runId: string
  readonly runDir: string
  readonly pid: number
  /** /proc start time of the runner: with the pid it names one process across pid reuse. */
  readonly startTicks: number
  readonly runtime: RuntimeKind
  /** The run started this platform (not an external one, nor one that was already up). */
  readonly platformStarted: boolean
  /** --keep-platform: the platform stays, only the run's units go. */
  readonly keepPlatform: boolean
  readonly watchdogPid?: number
  readonly startedAt: string
}

export function runnerRecordPath (home: string, platform: string): string {
  return join(platformDir(home, platform), 'runner.json')
}

export async function readRunnerRecord (home: string, platform: string): Promise<RunnerRecord | undefined> {
  try {
    return JSON.parse(await readFile(runnerRecordPath(home, platform), 'utf8')) as RunnerRecord
  } catch {
    return undefined
  }
}

/** Written whole or not at all (the watchdog may read it at any moment). */
export async function writeRunnerRecord (home: string, platform: string, record: RunnerRecord): Promise<void> {
  const path = runnerRecordPath(home, platform)
  await mkdir(platformDir(home, platform), { recursive: true })
  await writeFile(`${path}.tmp`, `${JSON.stringify(record, null, 2)}\n`)
  await rename(`${path}.tmp`, path)
}

export async function removeRunnerRecord (home: string, platform: string): Promise<void> {
  await rm(runnerRecordPath(home, platform), { force: true })
}

/** Whether the process the record names still runs (the same pid and start time). */
export async function runnerAlive (record: Pick<RunnerRecord, 'pid' | 'startTicks'>): Promise<boolean> {
  const sample = await readProcSample(record.pid)
  return sample !== undefined && sample.startTicks === record.startTicks
}

/** The services a platform itself runs (platform.ts `services`, the datastores); every other one is a run's unit. */
function isPlatformService (service: string, platformServices: Readonly<Record<string, string>>): boolean {
  return Object.values(platformServices).includes(service) || (datastoreNames as readonly string[]).includes(service)
}

/**
 * Starts the watchdog of a run: `command` is its command line (lib/unit-command.ts `unitCommand(['watchdog', ...])`),
 * detached in its own session, its output appended to `logFile` (in the run folder: the platform's folder goes with
 * the platform). Returns its pid.
 */
export async function startWatchdog (home: string, logFile: string, command: readonly string[]): Promise<number> {
  const [file, ...args] = command
  if (file === undefined) throw new Error('startWatchdog: empty command')
  await mkdir(dirname(logFile), { recursive: true })
  const log = await open(logFile, 'a')
  try {
    const child = spawn(file, args, { stdio: ['ignore', log.fd, log.fd], detached: true, env: { ...process.env, FLEETLAB_HOME: home } })
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid!))
      child.once('error', reject)
    })
    child.unref()
    return pid
  } finally {
    await log.close()
  }
}

export interface WatchOptions {
  readonly home: string
  readonly platform: string
  /** The runner's pid and start time, as the runner gave them on the command line. */
  readonly pid: number
  readonly startTicks: number
  readonly openRuntime: (kind: RuntimeKind) => Promise<Runtime>
  readonly log: (line: string) => void
  readonly pollMs?: number
  /** How long one service may take to stop before it is killed (the run is over: its data is not kept). */
  readonly stopTimeoutMs?: number
}

export interface WatchOutcome {
  /** 'finished': the runner removed its record; 'cleaned': the watchdog stopped what the runner left. */
  readonly outcome: 'finished' | 'cleaned'
  readonly stopped: number
}

/** Waits for the runner to end, then stops what it left behind. */
export async function watchRunner (o: WatchOptions): Promise<WatchOutcome> {
  const pollMs = o.pollMs ?? 200
  while (await runnerAlive(o)) await sleep(pollMs)
  const record = await readRunnerRecord(o.home, o.platform)
  if (record === undefined || record.pid !== o.pid || record.startTicks !== o.startTicks) return { outcome: 'finished', stopped: 0 }
  const t0 = Date.now()
  o.log(`runner ${o.pid} of run ${record.runId} is gone without stopping what it started: cleaning up platform ${o.platform} (${record.runtime} runtime)`)
  // loaded only now: a watchdog spends its life polling one pid
  const { platformDown, services } = await import('./platform.ts')
  const { markRunIncomplete } = await import('../results/run-writer.ts')
  // the platform's folder goes with the platform: what the services said stays with the run
  const kept = await keepServiceLogs(platformDir(o.home, o.platform), record.runDir).catch((err: unknown) => {
    o.log(`the service logs could not be kept in ${record.runDir}: ${(err as Error).message}`)
    return 0
  })
  const runtime = await o.openRuntime(record.runtime)
  try {
    let stopped = 0
    if (record.platformStarted && !record.keepPlatform) {
      const down = await platformDown({ home: o.home, runtime, progress: o.log }, o.platform, { stopTimeoutMs: o.stopTimeoutMs ?? 5000 })
      stopped = down.stopped.length + down.swept
    } else {
      const units = (await runtime.list({ platform: o.platform })).filter(i => !isPlatformService(i.service, services))
      await Promise.all(units.map(async i => {
        await runtime.stop(i, { timeoutMs: o.stopTimeoutMs ?? 5000 })
        o.log(`${i.service}-${i.replica}: stopped`)
      }))
      stopped = units.length
    }
    await removeRunnerRecord(o.home, o.platform)
    const reason = `the runner (pid ${o.pid}) ended without finishing the run (killed, or out of memory); its watchdog stopped ${stopped} service${stopped === 1 ? '' : 's'} and kept ${kept} service log${kept === 1 ? '' : 's'}`
    const marked = await markRunIncomplete(record.runDir, reason).catch((err: unknown) => { o.log(`run.json not marked: ${(err as Error).message}`); return false })
    o.log(`stopped ${stopped} service${stopped === 1 ? '' : 's'} of run ${record.runId} in ${Date.now() - t0} ms${marked ? '; run.json marked incomplete' : ''}`)
    return { outcome: 'cleaned', stopped }
  } finally {
    await runtime.close()
  }
}
