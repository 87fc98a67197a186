// The dashboard without a live stream: `fleetlab dashboard <run dir>` replays a finished (or cut-off) run from its
// files with a time cursor, and `fleetlab dashboard` follows the files of a run another fleetlab is writing (the
// run writer appends every row as it comes, results/run-writer.ts). Both feed the same state (state.ts) as a live
// run; the thresholds come from run.json (their final values: the files keep no per-second thresholds).
import { open, readFile } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { files, nonWorkloadPhases } from '../../results/run-format.ts'
import type { RunMeta, SummaryRow, TimeseriesRow } from '../../results/run-format.ts'
import type { LoadedRun } from '../../results/run-loader.ts'
import { parseEvents, parseTimeseries, loadRun } from '../../results/run-loader.ts'
import type { CursorControls } from './controller.ts'
import { DashboardState } from './state.ts'
import type { DashboardRunInfo } from './state.ts'
import type { CursorView } from './view.ts'

/** Replay speeds, seconds of the run per second of the replay. */
export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64] as const

export function runInfo (meta: RunMeta, services: readonly string[], rows: readonly TimeseriesRow[] | undefined): DashboardRunInfo {
  return {
    runId: meta.runId,
    experiment: meta.experiment.name,
    kind: meta.experiment.kind,
    // a finished run's workload is its workload seconds; a followed one's is not known from the files
    plannedWorkloadMs: rows === undefined ? undefined : rows.filter(r => !nonWorkloadPhases.has(r.phase)).length * 1000,
    services,
    thresholds: meta.thresholds,
  }
}

/** A finished run with a cursor on one of its seconds: the state is what a live view showed at that second. */
export class ReplayCursor implements CursorControls {
  readonly run: LoadedRun
  readonly #info: DashboardRunInfo
  #index: number
  #speed = 1
  #timer: NodeJS.Timeout | undefined
  #state: DashboardState
  /** Rows and events fed into #state so far. */
  #fedRows = 0
  #fedEvents = 0
  readonly #onChange: () => void

  constructor (run: LoadedRun, onChange: () => void = () => {}) {
    this.run = run
    this.#info = runInfo(run.meta, run.services, run.rows)
    this.#onChange = onChange
    this.#state = new DashboardState(this.#info)
    this.#index = Math.max(0, run.rows.length - 1)
  }

  get total (): number { return this.run.rows.length }
  get index (): number { return this.#index }
  get playing (): boolean { return this.#timer !== undefined }
  get speed (): number { return this.#speed }

  view (): CursorView {
    return { index: this.#index, total: this.total, playing: this.playing, speed: this.#speed }
  }

  /** The state at the cursor: built forward from the last one, or again from the start after a step back. */
  state (): DashboardState {
    const rows = this.run.rows
    if (this.#fedRows > this.#index + 1) {
      this.#state = new DashboardState(this.#info)
      this.#fedRows = 0
      this.#fedEvents = 0
    }
    const events = this.run.events
    while (this.#fedRows <= this.#index && this.#fedRows < rows.length) {
      const row = rows[this.#fedRows++]!
      while (this.#fedEvents < events.length && events[this.#fedEvents]!.t_s < row.t_s + 1) this.#state.event(events[this.#fedEvents++]!)
      this.#state.second({ row })
    }
    const atEnd = this.#index >= rows.length - 1
    if (atEnd) {
      while (this.#fedEvents < events.length) this.#state.event(events[this.#fedEvents++]!)
      if (this.run.summary !== null) this.#state.end(this.run.summary, this.run.meta.thresholds)
    } else if (!this.#state.live) {
      this.#state.live = true
      this.#state.summary = undefined
    }
    return this.#state
  }

  moveTo (index: number): void {
    this.#index = Math.min(Math.max(0, this.total - 1), Math.max(0, Math.floor(index)))
  }

  step (seconds: number): void {
    this.moveTo(this.#index + seconds)
    if (this.#index >= this.total - 1) this.#stopPlaying()
  }

  togglePlay (): void {
    if (this.playing) { this.#stopPlaying(); return }
    if (this.#index >= this.total - 1) this.moveTo(0)
    this.#startPlaying()
  }

  faster (): void { this.#setSpeed(SPEEDS[Math.min(SPEEDS.length - 1, SPEEDS.indexOf(this.#speed as typeof SPEEDS[number]) + 1)]!) }
  slower (): void { this.#setSpeed(SPEEDS[Math.max(0, SPEEDS.indexOf(this.#speed as typeof SPEEDS[number]) - 1)]!) }

  stop (): void { this.#stopPlaying() }

  #setSpeed (speed: number): void {
    this.#speed = speed
    if (this.playing) { this.#stopPlaying(); this.#startPlaying() }
  }

  #startPlaying (): void {
    this.#timer = setInterval(() => {
      this.step(1)
      this.#onChange()
    }, Math.max(15, Math.round(1000 / this.#speed)))
  }

  #stopPlaying (): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }
}

/** Loads a run folder for replay. */
export async function openReplay (ref: string, runsDir: string | undefined, onChange?: () => void): Promise<ReplayCursor> {
  return new ReplayCursor(runsDir === undefined ? await loadRun(ref) : await loadRun(ref, runsDir), onChange)
}

/** The lines appended to a file since the last read; a line still being written waits for the next. */
class AppendedLines {
  readonly #path: string
  #handle: FileHandle | undefined
  #offset = 0
  #rest = ''
  header: string | undefined

  constructor (path: string) {
    this.#path = path
  }

  async read (): Promise<string[]> {
    this.#handle ??= await open(this.#path, 'r').catch(() => undefined)
    if (this.#handle === undefined) return []
    const chunks: Buffer[] = []
    for (;;) {
      const buffer = Buffer.alloc(64 << 10)
      const { bytesRead } = await this.#handle.read(buffer, 0, buffer.length, this.#offset)
      if (bytesRead === 0) break
      this.#offset += bytesRead
      chunks.push(buffer.subarray(0, bytesRead))
    }
    const text = this.#rest + Buffer.concat(chunks).toString('utf8')
    const cut = text.lastIndexOf('\n')
    this.#rest = text.slice(cut + 1)
    const lines = cut < 0 ? [] : text.slice(0, cut).split('\n').filter(l => l !== '')
    if (this.header === undefined && lines.length > 0) this.header = lines.shift()
    return lines
  }

  async close (): Promise<void> {
    await this.#handle?.close()
    this.#handle = undefined
  }
}

/** A run folder that another process is writing: each poll feeds the new seconds and events into the state. */
export class RunFollower {
  readonly dir: string
  readonly state: DashboardState
  readonly #timeseries: AppendedLines
  readonly #events: AppendedLines
  #ended = false

  constructor (dir: string, meta: RunMeta, services: readonly string[]) {
    this.dir = dir
    this.state = new DashboardState(runInfo(meta, services, undefined))
    this.#timeseries = new AppendedLines(join(dir, files.timeseries))
    this.#events = new AppendedLines(join(dir, files.events))
  }

  get ended (): boolean { return this.#ended }

  /** Reads what was appended; true when something new came. Once run.json has its end, the summary is shown. */
  async poll (): Promise<boolean> {
    if (this.#ended) return false
    const rows = await this.#timeseries.read()
    const events = await this.#events.read()
    let changed = false
    if (events.length > 0 && this.#events.header !== undefined) {
      for (const e of parseEvents(this.dir, [this.#events.header, ...events].join('\n') + '\n', true)) this.state.event(e)
      changed = true
    }
    if (rows.length > 0 && this.#timeseries.header !== undefined) {
      for (const row of parseTimeseries(this.dir, [this.#timeseries.header, ...rows].join('\n') + '\n', true).rows) this.state.second({ row })
      changed = true
    }
    const meta = await readRunMeta(this.dir)
    if (meta?.endedAt !== null && meta?.endedAt !== undefined) {
      this.#ended = true
      const summary = await readSummary(this.dir)
      if (summary !== null) this.state.end(summary, meta.thresholds)
      else this.state.live = false
      changed = true
    }
    return changed
  }

  async close (): Promise<void> {
    await Promise.allSettled([this.#timeseries.close(), this.#events.close()])
  }
}

/** run.json of a folder another process may be writing (written atomically); undefined when missing or unreadable. */
export async function readRunMeta (dir: string): Promise<RunMeta | undefined> {
  try { return JSON.parse(await readFile(join(dir, files.meta), 'utf8')) as RunMeta } catch { return undefined }
}

async function readSummary (dir: string): Promise<SummaryRow | null> {
  // the summary is written before run.json's end (results/run-writer.ts): once the end is there, so is it
  try { return (await loadRun(dir)).summary } catch { return null }
}

