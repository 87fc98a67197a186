// `fleetlab dashboard [run]`: the terminal dashboard of a run that is not this process's: a finished run replayed
// from its folder with a time cursor, or a run another `fleetlab run` is writing, followed as its files grow.
import { open, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Command } from 'commander'
import { FleetlabError, InvalidConfigError } from '../lib/errors.ts'
import { defaultRunsDir, files } from '../results/run-format.ts'
import type { RunMeta } from '../results/run-format.ts'
import { listRuns, parseTimeseries, resolveRunDir } from '../results/run-loader.ts'
import { DashboardController } from '../dashboards/terminal/controller.ts'
import { RunFollower, openReplay, readRunMeta } from '../dashboards/terminal/replay.ts'
import type { CliContext } from './context.ts'
import { dashboardNames, thresholdUnitOf } from './dashboard-names.ts'

/** A run whose timeseries.csv grew this recently and whose run.json has no end is taken as running. */
const RUNNING_WITHIN_MS = 10_000
const FOLLOW_POLL_MS = 1000

interface DashboardFlags { runsDir: string }

export function dashboardCommand (ctx: CliContext, _setExit: (code: number) => void): Command {
  return new Command('dashboard')
    .description('the terminal dashboard of another run: follow a running experiment, or replay a finished one')
    .argument('[run]', 'a run folder (results/runs/<run-id>) or a run id; default: the run in progress under --runs-dir')
    .option('--runs-dir <dir>', 'where run ids (and the run in progress) are looked up', defaultRunsDir)
    .addHelpText('after', `
Without a run it attaches to the newest run in progress (its run.json has no end and its timeseries.csv grew
in the last ${RUNNING_WITHIN_MS / 1000} s) and follows its files; q leaves without touching the run. Given a run in progress,
it follows that one; given a finished (or cut-off) run, it replays it with a time cursor on its last second.

Keys: q leave, p pause, l log scale for latency, ? help; replay: ← → one second (H L: ten), space plays
from the cursor, + - speed (0.25x to 64x). Needs a terminal of at least 80x24; the thresholds shown in a
replay are the run's final values (the files keep no per-second thresholds).

Examples:
  fleetlab dashboard
  fleetlab dashboard 2026-11-22T02-40-05-linear-3f9a
  fleetlab dashboard results/runs/2026-11-22T02-40-05-linear-3f9a`)
    .action(async (ref: string | undefined, o: DashboardFlags) => {
      if (ctx.terminal !== true) {
        throw new InvalidConfigError(['fleetlab dashboard: stdin and stdout must be a terminal'], { hint: 'for a file to read or share: fleetlab report <run>' })
      }
      const dir = ref === undefined ? await runInProgress(o.runsDir) : await resolveRunDir(ref, o.runsDir)
      const meta = await readRunMeta(dir)
      if (meta !== undefined && await isRunning(dir, meta)) await follow(dir, meta)
      else await replay(dir)
    })
}

async function isRunning (dir: string, meta: RunMeta): Promise<boolean> {
  if (meta.endedAt !== null) return false
  const changed = (await stat(join(dir, files.timeseries)).catch(() => undefined))?.mtimeMs
  return changed !== undefined && Date.now() - changed < RUNNING_WITHIN_MS
}

async function runInProgress (runsDir: string): Promise<string> {
  const ids = await listRuns(runsDir)
  for (const id of ids.slice(0, 50)) {
    const dir = join(runsDir, id)
    const meta = await readRunMeta(dir)
    if (meta !== undefined && await isRunning(dir, meta)) return dir
  }
  throw new FleetlabError('FLEETLAB_RESULTS', `no run in progress under ${runsDir}`, {
    hint: ids.length === 0 ? 'start one with fleetlab run <experiment> (or give --runs-dir)' : `replay a finished one: fleetlab dashboard ${ids[0]!}`,
  })
}

/** Until the person leaves the screen. */
function untilLeft (open: (leave: () => void) => DashboardController): Promise<void> {
  return new Promise(resolve => {
    const controller = open(() => { controller.close(); resolve() })
    controller.show()
  })
}

async function follow (dir: string, meta: RunMeta): Promise<void> {
  const services = await serviceKeys(dir)
  const follower = new RunFollower(dir, meta, services)
  await follower.poll()
  let timer: NodeJS.Timeout | undefined
  try {
    await untilLeft(leave => {
      const controller = new DashboardController(() => follower.state, { names: dashboardNames, unitOf: thresholdUnitOf, onLeave: leave, onInterrupt: leave })
      timer = setInterval(() => { follower.poll().then(changed => { if (changed) controller.changed() }, () => {}) }, FOLLOW_POLL_MS)
      return controller
    })
  } finally {
    clearInterval(timer)
    await follower.close()
  }
}

async function replay (dir: string): Promise<void> {
  let controller: DashboardController | undefined
  const cursor = await openReplay(dir, undefined, () => controller?.render(true))
  try {
    await untilLeft(leave => {
      controller = new DashboardController(() => cursor.state(), { names: dashboardNames, unitOf: thresholdUnitOf, onLeave: leave, onInterrupt: leave, cursor })
      return controller
    })
  } finally {
    cursor.stop()
  }
}

/** The services of the CPU/memory columns (column form), from timeseries.csv's header. */
async function serviceKeys (dir: string): Promise<string[]> {
  // the header only: a long run's file is megabytes
  const handle = await open(join(dir, files.timeseries), 'r').catch(() => undefined)
  const head = Buffer.alloc(64 << 10)
  const bytes = handle === undefined ? 0 : (await handle.read(head, 0, head.length, 0)).bytesRead
  await handle?.close()
  const text = head.subarray(0, bytes).toString('utf8')
  const newline = text.indexOf('\n')
  if (newline < 0) return []
  // the loader's own reading of the header (results/run-loader.ts)
  return parseTimeseries(dir, text.slice(0, newline + 1), false).services
}
