// The replay workload: a total send rate over time from a CSV file (a trace of a real deployment), read and checked when
// the experiment is loaded so a bad row is reported before any platform starts, naming its line and column.
import { z } from 'zod'
import { parse } from 'csv-parse/sync'
import { devices, MAX_RATE_PER_DEVICE, positiveNumber, strictObject } from '../../lib/schema/fields.ts'
import { resolveIn } from './common.ts'
import type { ParseContext } from './common.ts'

export interface ReplayPoint {
  /** Time of the row in the file, ms (before `speed`). */
  readonly tMs: number
  /** Total samples per second over all devices. */
  readonly rate: number
}

export interface ReplayWorkloadConfig {
  /** As written in the experiment. */
  readonly csv: string
  /** Absolute path it was read from. */
  readonly file: string
  readonly column: string
  readonly timeColumn: string
  readonly devices: number
  /** step: a row's rate holds until the next row; linear: straight lines between rows. */
  readonly interpolate: 'step' | 'linear'
  /** 2: the trace plays in half its time (rates unchanged). */
  readonly speed: number
  /** The rows, time ascending; the last row marks the end. */
  readonly points: readonly ReplayPoint[]
}

const MAX_ROWS = 1_000_000

/** Rows of the CSV text, or the problems (each naming the file, its line and column). */
export function parseReplayCsv (text: string, name: string, column: string, timeColumn: string, devices: number):
  { points?: ReplayPoint[], problems: string[] } {
  let rows: Array<{ record: Record<string, string>, info: { lines: number } }>
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, comment: '#', info: true }) as typeof rows
  } catch (err) {
    const e = err as { message?: string, lines?: number }
    return { problems: [`${name}${e.lines !== undefined ? ` line ${e.lines}` : ''}: ${e.message ?? String(err)}`] }
  }
  const problems: string[] = []
  const header = rows[0] === undefined ? [] : Object.keys(rows[0].record)
  for (const c of [timeColumn, column]) {
    if (rows.length > 0 && !header.includes(c)) problems.push(`${name} line 1: no column "${c}" in the header (${header.join(', ')})`)
  }
  if (rows.length < 2 && problems.length === 0) problems.push(`${name}: expected a header and at least two rows (the last row marks the end), got ${rows.length} row${rows.length === 1 ? '' : 's'}`)
  if (rows.length > MAX_ROWS) problems.push(`${name}: more than ${MAX_ROWS} rows`)
  if (problems.length > 0) return { problems }
  const points: ReplayPoint[] = []
  for (const { record, info } of rows) {
    if (problems.length >= 20) { problems.push(`${name}: more problems not shown`); break }
    const t = Number(record[timeColumn])
    const r = Number(record[column])
    const at = `${name} line ${info.lines}`
    if (record[timeColumn] === '' || !Number.isFinite(t) || t < 0) { problems.push(`${at}, column "${timeColumn}": expected seconds >= 0, got ${JSON.stringify(record[timeColumn])}`); continue }
    if (record[column] === '' || !Number.isFinite(r) || r < 0) { problems.push(`${at}, column "${column}": expected a rate >= 0 (samples per second over all devices), got ${JSON.stringify(record[column])}`); continue }
    const previous = points[points.length - 1]
    if (previous !== undefined && t * 1000 <= previous.tMs) { problems.push(`${at}, column "${timeColumn}": ${t} is not after the previous row's ${previous.tMs / 1000}`); continue }
    if (r / devices > MAX_RATE_PER_DEVICE) { problems.push(`${at}, column "${column}": ${r}/s over ${devices} devices is more than ${MAX_RATE_PER_DEVICE}/s per device`); continue }
    points.push({ tMs: t * 1000, rate: r })
  }
  return problems.length > 0 ? { problems } : { points, problems }
}

export function replayWorkload (ctx: ParseContext) {
  return strictObject({
    csv: z.string().min(1),
    column: z.string().min(1).default('rate'),
    timeColumn: z.string().min(1).default('t_s'),
    devices: devices(1),
    interpolate: z.enum(['step', 'linear']).default('step'),
    speed: positiveNumber({ max: 1000, what: 'a speed' }).default(1),
  }).transform((w, zctx): ReplayWorkloadConfig => {
    const file = resolveIn(ctx, w.csv)
    let text: string
    try {
      text = ctx.readFile(file)
    } catch (err) {
      const code = (err as { code?: string }).code
      zctx.addIssue({ code: 'custom', message: code === 'ENOENT' ? `no such file: ${file} (a relative path is relative to the experiment file)` : `cannot read ${file}: ${(err as Error).message}`, path: ['csv'] })
      return z.NEVER
    }
    const { points, problems } = parseReplayCsv(text, w.csv, w.column, w.timeColumn, w.devices)
    for (const p of problems) zctx.addIssue({ code: 'custom', message: p, path: ['csv'] })
    if (points === undefined) return z.NEVER
    return { csv: w.csv, file, column: w.column, timeColumn: w.timeColumn, devices: w.devices, interpolate: w.interpolate, speed: w.speed, points }
  })
}
