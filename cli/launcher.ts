// The npm between a person and fleetlab. `npx fleetlab ...`, `npm exec fleetlab` and `npm run <script>` start
// fleetlab through `sh -c`: npm passes a SIGINT or SIGTERM sent to it on to that shell, and dash holds a SIGINT
// back until its child ends, or exits on a SIGTERM without passing it on (tried here: `kill -INT <npx>` never
// reached fleetlab; after `kill -TERM <npx>` npx and sh were gone and fleetlab ran on, its parent now pid 1). A run
// started that way watches its launcher: when npm or its shell exits, the run stops as on SIGTERM. (`./fleetlab` and
// `npm run quickstart` exec node, so signals reach fleetlab itself.)
import { readFile } from 'node:fs/promises'
import { parseProcStat, readProcSample } from '../platform/runtime/proc-stats.ts'

export interface Launcher {
  /** The processes to outlive: fleetlab's parent (the shell) and npm above it, each with its /proc start time. */
  readonly processes: ReadonlyArray<{ readonly pid: number, readonly startTicks: number, readonly what: string }>
}

async function cmdline (pid: number): Promise<string[]> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
  return raw.split('\0').filter(a => a !== '')
}

async function parentOf (pid: number): Promise<number | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  const { ppid } = parseProcStat(text)
  return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined
}

const isNpm = (argv: string[]): boolean => argv.some((a, i) => i < 2 && /(^|\/)(npm|npx)(-cli\.js)?$/.test(a)) || /^npm (exec|run|start|test)/.test(argv.join(' '))

/** fleetlab's npm launcher, when it has one: npm's env marks, a parent `sh -c`, npm above it. */
export async function findNpmLauncher (env: NodeJS.ProcessEnv = process.env, pid: number = process.pid): Promise<Launcher | undefined> {
  if (env.npm_command === undefined && env.npm_lifecycle_event === undefined) return undefined
  const shell = await parentOf(pid)
  if (shell === undefined || shell === 1) return undefined
  const shellArgv = await cmdline(shell)
  if (!/(^|\/)(ba|da)?sh$/.test(shellArgv[0] ?? '') || shellArgv[1] !== '-c') return undefined
  const npm = await parentOf(shell)
  if (npm === undefined || npm === 1 || !isNpm(await cmdline(npm))) return undefined
  const processes = []
  for (const [p, what] of [[shell, 'the shell npm started fleetlab in'], [npm, 'npm, which started fleetlab']] as const) {
    const sample = await readProcSample(p)
    if (sample === undefined) return undefined
    processes.push({ pid: p, startTicks: sample.startTicks, what })
  }
  return { processes }
}

/** Calls `gone` (once) when a process of the launcher has exited; returns the stop function. */
export function watchLauncher (launcher: Launcher, gone: (what: string) => void, everyMs = 500): () => void {
  let done = false
  const timer = setInterval(() => {
    void (async () => {
      for (const p of launcher.processes) {
        const sample = await readProcSample(p.pid)
        if (done) return
        if (sample === undefined || sample.startTicks !== p.startTicks) {
          done = true
          clearInterval(timer)
          gone(`${p.what} (pid ${p.pid}) exited`)
          return
        }
      }
    })()
  }, everyMs)
  timer.unref()
  return () => { done = true; clearInterval(timer) }
}
