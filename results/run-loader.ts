// Reads a run folder back (format in run-format.ts). Every problem is a FleetlabError 'FLEETLAB_RESULTS' (exit 13)
// naming the folder, file and line, with a hint saying what to do about it.
import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { parse } from 'csv-parse/sync'
import { FleetlabError } from '../lib/errors.ts'
import { LatencyHistogram } from '../lib/metrics/histogram.ts'
import type { HistogramJSON } from '../lib/metrics/histogram.ts'
import {
  RUN_FORMAT_VERSION, defaultRunsDir, eventColumns, files, summaryColumns, summaryLaterColumns, summaryNumberColumns, timeseriesFixedColumns,
  timeseriesLaterColumns, timeseriesNumberColumns,
} from './run-format.ts'
import type { RunEvent, RunMeta, SummaryRow, TimeseriesRow } from './run-format.ts'

export interface LoadedRun {
  dir: string
  meta: RunMeta
  /** Service keys (column form, edge_kafka) in file order. */
  services: string[]
  rows: TimeseriesRow[]
  events: RunEvent[]
  /** null when the run stopped before writing it (killed). */
  summary: SummaryRow | null
  histograms: Record<string, LatencyHistogram>
}

const fail = (message: string, hint: string, cause?: unknown): FleetlabError =>
  new FleetlabError('FLEETLAB_RESULTS', message, { hint, cause })

/** Run ids under runsDir, newest first (ids start with their UTC start time). */
export async function listRuns (runsDir: string = defaultRunsDir): Promise<string[]> {
  const entries = await readdir(runsDir, { withFileTypes: true }).catch(() => [])
  return entries.filter(e => e.isDirectory()).map(e => e.name).sort().reverse()
}

async function isDir (path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() === true
}

/** A path to a run folder, or a run id under runsDir. */
export async function resolveRunDir (ref: string, runsDir: string = defaultRunsDir): Promise<string> {
  if (await isDir(ref)) return resolve(ref)
  if (!ref.includes('/') && await isDir(join(runsDir, ref))) return resolve(runsDir, ref)
  const recent = (await listRuns(runsDir)).slice(0, 5)
  throw fail(`no run folder at ${ref}`, recent.length === 0
    ? `give the path of a run folder; no runs under ${runsDir} yet (fleetlab run <experiment> makes one)`
    : `give a run folder path or one of the newest run ids: ${recent.join(', ')}`)
}

async function readText (dir: string, file: string): Promise<string | null> {
  return readFile(join(dir, file), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null
    throw fail(`cannot read ${join(dir, file)}: ${err.message}`, 'check the file permissions', err)
  })
}

async function readMeta (dir: string): Promise<RunMeta> {
  const text = await readText(dir, files.meta)
  if (text === null) throw fail(`${dir} is not a run folder: it has no ${files.meta}`, 'give the folder that holds run.json, timeseries.csv and summary.csv')
  let meta: unknown
  try { meta = JSON.parse(text) } catch (err) {
    throw fail(`${join(dir, files.meta)} is not valid JSON: ${(err as Error).message}`, 'the run was probably cut off while writing it; the CSV files may still be readable', err)
  }
  const version = (meta as { formatVersion?: unknown } | null)?.formatVersion
  if (version !== RUN_FORMAT_VERSION) {
    const older = version === undefined || (typeof version === 'number' && version < RUN_FORMAT_VERSION)
    throw fail(`${dir} has results format ${version === undefined ? '(none)' : String(version)}, this fleetlab reads format ${RUN_FORMAT_VERSION}` +
      (older ? ': made by an older fleetlab' : ': made by a newer fleetlab'),
    older ? 'repeat the run with this fleetlab, or read it with the fleetlab version that made it (run.json versions.fleetlab)' : 'upgrade fleetlab to read it')
  }
  return meta as RunMeta
}

/** Parses a CSV with a header; a truncated last line (a killed run) is dropped when `tolerateCut`. */
function parseCsv (dir: string, file: string, text: string, tolerateCut: boolean): { header: string[], records: string[][] } {
  let body = text
  if (tolerateCut && body !== '' && !body.endsWith('\n')) body = body.slice(0, body.lastIndexOf('\n') + 1)
  let records: string[][]
  try {
    records = parse(body, { relax_column_count: false, skip_empty_lines: true }) as string[][]
  } catch (err) {
    const line = (err as { lines?: number }).lines
    throw fail(`${join(dir, file)}${line === undefined ? '' : ` line ${line}`}: ${(err as Error).message.replace(/ at line \d+/, '')}`,
      'the file is garbled; it can be removed or repaired by hand (docs/results.md describes every column)', err)
  }
  const [header, ...rest] = records
  if (header === undefined) throw fail(`${join(dir, file)} is empty: not even a header line`, 'the run stopped before it started recording')
  return { header, records: rest }
}

function numberCell (dir: string, file: string, line: number, column: string, cell: string | undefined): number | null {
  if (cell === undefined || cell === '') return null
  const v = Number(cell)
  if (!Number.isFinite(v)) throw fail(`${join(dir, file)} line ${line}, column ${column}: expected a number, got ${JSON.stringify(cell)}`, 'the file is garbled; docs/results.md describes every column')
  return v
}

function expectColumns (dir: string, file: string, header: string[], expected: readonly string[]): void {
  const missing = expected.filter(c => !header.includes(c))
  if (missing.length > 0) throw fail(`${join(dir, file)} line 1: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`, 'the file is garbled or from another format version')
}

/** timeseries.csv's text (header first) as rows; a cut last line is dropped when `tolerateCut`. */
export function parseTimeseries (dir: string, text: string, tolerateCut: boolean): { services: string[], rows: TimeseriesRow[] } {
  const file = files.timeseries
  const { header, records } = parseCsv(dir, file, text, tolerateCut)
  expectColumns(dir, file, header, timeseriesFixedColumns.filter(c => !timeseriesLaterColumns.has(c)))
  const services = header.filter(c => c.startsWith('cpu_pct_')).map(c => c.slice('cpu_pct_'.length))
  const index = new Map(header.map((c, i) => [c, i]))
  const rows = records.map((r, i): TimeseriesRow => {
    const line = i + 2
    const cell = (c: string): number | null => numberCell(dir, file, line, c, r[index.get(c) ?? -1])
    const t = cell('t_s')
    if (t === null) throw fail(`${join(dir, file)} line ${line}, column t_s: empty`, 'every row needs its second')
    const row = { t_s: t, phase: r[index.get('phase')!] ?? '', services: {} } as TimeseriesRow
    for (const c of timeseriesNumberColumns) row[c] = cell(c)
    for (const s of services) row.services[s] = { cpuPct: cell(`cpu_pct_${s}`), memMb: cell(`mem_mb_${s}`) }
    return row
  })
  return { services, rows }
}

/** events.csv's text (header first) as events; a cut last line is dropped when `tolerateCut`. */
export function parseEvents (dir: string, text: string, tolerateCut: boolean): RunEvent[] {
  const { header, records } = parseCsv(dir, files.events, text, tolerateCut)
  expectColumns(dir, files.events, header, eventColumns)
  const at = (c: string): number => header.indexOf(c)
  return records.map((r, i) => ({
    t_s: numberCell(dir, files.events, i + 2, 't_s', r[at('t_s')]) ?? 0,
    kind: r[at('kind')] ?? '',
    source: r[at('source')] ?? '',
    detail: r[at('detail')] ?? '',
  }))
}

function loadSummary (dir: string, text: string): SummaryRow {
  const { header, records } = parseCsv(dir, files.summary, text, false)
  expectColumns(dir, files.summary, header, summaryColumns.filter(c => !summaryLaterColumns.has(c)))
  const r = records[0]
  if (r === undefined) throw fail(`${join(dir, files.summary)}: a header but no row`, 'the run stopped while writing its summary')
  const at = (c: string): string | undefined => r[header.indexOf(c)]
  const summary = { run_id: at('run_id') ?? '', experiment: at('experiment') ?? '', kind: at('kind') ?? '', complete: at('complete') === 'true' } as SummaryRow
  for (const c of summaryNumberColumns) summary[c] = numberCell(dir, files.summary, 2, c, at(c))
  return summary
}

function loadHistograms (dir: string, text: string | null): Record<string, LatencyHistogram> {
  if (text === null) return {}
  const path = join(dir, files.histograms)
  try {
    const json = JSON.parse(text) as { formatVersion?: unknown, histograms?: Record<string, HistogramJSON> }
    if (json.formatVersion !== RUN_FORMAT_VERSION) throw new Error(`formatVersion ${String(json.formatVersion)}, expected ${RUN_FORMAT_VERSION}`)
    return Object.fromEntries(Object.entries(json.histograms ?? {}).map(([name, h]) => [name, LatencyHistogram.fromJSON(h)]))
  } catch (err) {
    throw fail(`${path}: ${(err as Error).message}`, 'the file is garbled; remove it and compare takes percentiles from summary.csv instead', err)
  }
}

/** Loads a run folder: a path, or a run id under runsDir (default results/runs). */
export async function loadRun (ref: string, runsDir: string = defaultRunsDir): Promise<LoadedRun> {
  const dir = await resolveRunDir(ref, runsDir)
  const meta = await readMeta(dir)
  const cut = !meta.complete
  const tsText = await readText(dir, files.timeseries)
  if (tsText === null) throw fail(`${dir}: ${files.timeseries} is missing`, `${basename(dir)} is not a complete run folder`)
  const { services, rows } = parseTimeseries(dir, tsText, cut)
  const evText = await readText(dir, files.events)
  const events = evText === null ? [] : parseEvents(dir, evText, cut)
  const sumText = await readText(dir, files.summary)
  if (sumText === null && meta.complete) throw fail(`${dir}: ${files.summary} is missing although run.json says the run completed`, 'the folder was changed after the run; repeat the run')
  const summary = sumText === null ? null : loadSummary(dir, sumText)
  const histograms = loadHistograms(dir, await readText(dir, files.histograms))
  return { dir, meta, services, rows, events, summary, histograms }
}
