// Shared by the `fleetlab run` integration tests (test/cli/run.test.ts, session.test.ts): experiment files in a temp
// dir, the one run folder a run wrote, and what a platform left in its runtime.
import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fleetlabHome, platformDir, projectRoot } from '../../../lib/home.ts'
import { datastores } from '../../../platform/datastores/index.ts'
import { openRuntime } from '../../../platform/runtime/index.ts'
import type { RuntimeKind, ServiceInstance } from '../../../platform/runtime/index.ts'
import { loadRun } from '../../../results/run-folder.ts'
import type { LoadedRun, RunMeta } from '../../../results/run-folder.ts'

interface After { after: (fn: () => Promise<void>) => void }

/**
 * A temp dir for the experiment file and the results (`runs/`, created by the run itself). Its cleanup also stops
 * whatever a run left of its platform: the platforms named in the run folders' run.json and `platforms`.
 */
export interface RunDir {
  dir: string
  runs: string
  /** CLI children of the test: killed (SIGKILL) first at cleanup, before the platform is swept. */
  children: ChildProcessWithoutNullStreams[]
}

export async function runDir (t: After, kind: RuntimeKind, platforms: string[] = []): Promise<RunDir> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetlab-run-'))
  const runs = join(dir, 'runs')
  const children: ChildProcessWithoutNullStreams[] = []
  t.after(async () => {
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue
      const gone = new Promise(resolve => child.once('exit', resolve))
      child.kill('SIGKILL')
      await gone
    }
    const names = new Set(platforms)
    for (const id of await readdir(runs).catch(() => [])) {
      const meta = JSON.parse(await readFile(join(runs, id, 'run.json'), 'utf8').catch(() => '{}')) as Partial<RunMeta>
      if (meta.platform?.name !== undefined && meta.platform.name !== '') names.add(meta.platform.name)
    }
    if (names.size > 0) {
      const runtime = await openRuntime(fleetlabHome(), kind)
      try {
        for (const name of names) {
          await runtime.sweep(name).catch(() => 0)
          await rm(platformDir(fleetlabHome(), name), { recursive: true, force: true })
          // what a datastore keeps outside the platform folder (PostgreSQL's cluster when root runs the tests)
          for (const store of Object.values(datastores)) await store.remove?.({ platform: name })
        }
      } finally {
        await runtime.close()
      }
    }
    await rm(dir, { recursive: true, force: true })
  })
  return { dir, runs, children }
}

export async function writeExperiment (dir: string, name: string, experiment: Record<string, unknown>): Promise<string> {
  const file = join(dir, `${name}.json`)
  await writeFile(file, `${JSON.stringify(experiment, null, 2)}\n`)
  return file
}

/** The one run folder under `runs`, loaded. */
export async function onlyRun (runs: string): Promise<LoadedRun> {
  const ids = await readdir(runs)
  if (ids.length !== 1) throw new Error(`expected one run folder in ${runs}, found ${JSON.stringify(ids)}`)
  return loadRun(join(runs, ids[0]!))
}

/** Services of the platform the runtime still lists (running processes or containers). */
export async function leftovers (kind: RuntimeKind, platform: string): Promise<ServiceInstance[]> {
  const runtime = await openRuntime(fleetlabHome(), kind)
  try {
    return await runtime.list({ platform })
  } finally {
    await runtime.close()
  }
}

/** Phases of the rows in order, each once per stretch: ['ramp', 'hold', 'drain']. */
export function phaseSequence (run: LoadedRun): string[] {
  return run.rows.map(r => r.phase).filter((p, i, all) => i === 0 || all[i - 1] !== p)
}

/**
 * The `fleetlab` bin as a child process, its output collected; the RunDir's cleanup kills it if still running.
 * `via`: node on cli/bin.js (default), the checkout's `./fleetlab` (sh exec'ing node: the child is node), or npx from
 * the project root (npm, then sh -c, then node: the child is npm).
 */
export function spawnCli (rd: RunDir, args: string[], via: 'node' | 'script' | 'npx' = 'node'): { child: ChildProcessWithoutNullStreams, out: { stdout: string, stderr: string }, exited: Promise<number | null> } {
  const [file, ...pre] = via === 'script' ? [join(projectRoot, 'fleetlab')] : via === 'npx' ? ['npx', '--no-install', 'fleetlab'] : [process.execPath, join(projectRoot, 'cli', 'bin.js')]
  const child = spawn(file!, [...pre, ...args], { stdio: 'pipe', cwd: projectRoot })
  const out = { stdout: '', stderr: '' }
  child.stdout.on('data', d => { out.stdout += String(d) })
  child.stderr.on('data', d => { out.stderr += String(d) })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  rd.children.push(child)
  return { child, out, exited }
}

/** Waits until the CLI child's stderr matches `line`; fails if the child ends first or `timeoutMs` passes. */
export async function waitForProgress (cli: ReturnType<typeof spawnCli>, line: RegExp, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!line.test(cli.out.stderr)) {
    if (cli.child.exitCode !== null) throw new Error(`the run ended before ${what} (exit ${cli.child.exitCode}):\n${cli.out.stderr}`)
    if (Date.now() > deadline) throw new Error(`no ${what} progress line in ${timeoutMs / 1000} s:\n${cli.out.stderr}`)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}
