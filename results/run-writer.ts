// Writes a run folder (format in run-format.ts). run.json exists from the first moment (complete: false), and every
// timeseries/event row goes to the file as it comes, with a synchronous write to the file descriptor: a run that is
// killed keeps every second it recorded, and `fleetlab report` can still draw it.
import { closeSync, openSync, writeSync } from 'node:fs'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { stringify } from 'csv-stringify/sync'
import type { HistogramJSON } from '../lib/metrics/histogram.ts'
import { FleetlabError } from '../lib/errors.ts'
import {
  eventColumns, files, serviceColumns, serviceKey, summaryColumns, timeseriesFixedColumns, timeseriesNumberColumns,
} from './run-format.ts'
import type { HistogramsFile, RunEvent, RunMeta, SummaryRow, TimeseriesRow } from './run-format.ts'

type Cell = string | number | boolean | null

/** One CSV file open for appending; each row is stringified and written through at once. */
class CsvAppender {
  #fd: number | null

  constructor (path: string, header: readonly string[]) {
    this.#fd = openSync(path, 'w')
    this.write([...header])
  }

  write (cells: Cell[]): void {
    if (this.#fd === null) throw new Error('CSV file already closed')
    // null -> empty cell; numbers as JavaScript prints them (shortest round-trip form)
    writeSync(this.#fd, stringify([cells.map(c => c === null ? '' : c)], { cast: { boolean: b => String(b) } }))
  }

  close (): void {
    if (this.#fd !== null) closeSync(this.#fd)
    this.#fd = null
  }
}

/** Writes via a temporary file and a rename, so a reader (or a crash) never sees half a JSON file. */
async function writeJsonAtomic (path: string, value: unknown): Promise<void> {
  await writeFile(`${path}.tmp`, JSON.stringify(value, null, 2) + '\n')
  await rename(`${path}.tmp`, path)
}

/**
 * Marks a run that ended without its runner finishing it (its watchdog found the runner dead): run.json gets its end
 * and the reason, unless it says the run completed or names a reason already. Returns whether it changed run.json.
 */
export async function markRunIncomplete (runDir: string, reason: string, endedAt = new Date().toISOString()): Promise<boolean> {
  const path = join(runDir, files.meta)
  let meta: Record<string, unknown>
  try { meta = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown> } catch { return false }
  if (meta.complete === true || typeof meta.incompleteReason === 'string') return false
  await writeJsonAtomic(path, { ...meta, endedAt: meta.endedAt ?? endedAt, complete: false, incompleteReason: reason })
  return true
}

export class RunWriter {
  readonly dir: string
  readonly #services: string[]
  readonly #timeseries: CsvAppender
  readonly #events: CsvAppender
  #finished = false

  private constructor (dir: string, services: string[]) {
    this.dir = dir
    this.#services = services
    this.#timeseries = new CsvAppender(join(dir, files.timeseries), [...timeseriesFixedColumns, ...serviceColumns(services)])
    this.#events = new CsvAppender(join(dir, files.events), eventColumns)
  }

  /** Creates the folder with run.json (as given: normally complete false, endedAt null) and the CSV headers. */
  static async create (dir: string, meta: RunMeta, services: string[]): Promise<RunWriter> {
    const keys = services.map(serviceKey)
    const dup = keys.find((k, i) => keys.indexOf(k) !== i)
    if (dup !== undefined) throw new FleetlabError('FLEETLAB_RESULTS', `two services share the column name ${dup}: ${services.join(', ')}`)
    try {
      await mkdir(dir, { recursive: true })
      await writeJsonAtomic(join(dir, files.meta), meta)
      return new RunWriter(dir, services)
    } catch (err) {
      throw new FleetlabError('FLEETLAB_RESULTS', `cannot create the run folder ${dir}: ${(err as Error).message}`,
        { cause: err, hint: 'check that the results folder is writable and the disk is not full' })
    }
  }

  /** Appends one second to timeseries.csv. */
  second (row: TimeseriesRow): void {
    const cells: Cell[] = [row.t_s, row.phase, ...timeseriesNumberColumns.map(c => row[c])]
    for (const s of this.#services) {
      const sample = row.services[s] ?? row.services[serviceKey(s)]
      cells.push(sample?.cpuPct ?? null, sample?.memMb ?? null)
    }
    this.#timeseries.write(cells)
  }

  /** Appends one line to events.csv. */
  event (e: RunEvent): void {
    this.#events.write([e.t_s, e.kind, e.source, e.detail])
  }

  /** Writes summary.csv, histograms.json and the final run.json, and closes the CSV files. Also for incomplete runs. */
  async finish (meta: RunMeta, summary: SummaryRow, histograms: Record<string, HistogramJSON>): Promise<void> {
    if (this.#finished) throw new Error('RunWriter.finish called twice')
    this.#finished = true
    this.#timeseries.close()
    this.#events.close()
    const nonEmpty = Object.fromEntries(Object.entries(histograms).filter(([, h]) => h.count > 0))
    const histogramsFile: HistogramsFile = { formatVersion: 1, histograms: nonEmpty }
    await writeFile(join(this.dir, files.summary), stringify([summaryColumns.map(c => summary[c])], {
      header: true, columns: [...summaryColumns], cast: { boolean: b => String(b) },
    }))
    await writeJsonAtomic(join(this.dir, files.histograms), histogramsFile)
    // run.json last: once it says complete, everything else is in place.
    await writeJsonAtomic(join(this.dir, files.meta), meta)
  }
}
