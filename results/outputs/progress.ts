// The progress line: one line a second of what the run does, for a log or a terminal without the dashboard.
// The platform's start-up seconds are left out: its own progress lines say more.
import type { TimeseriesRow } from '../run-format.ts'
import type { Output } from './contract.ts'

export function progressLine (r: TimeseriesRow): string {
  return `[${String(r.t_s).padStart(4)}s] ${r.phase.padEnd(9)} devices ${r.devices_active ?? '-'}/${r.devices_target ?? '-'}` +
    `  sent ${r.sent}/s (target ${r.rate_target ?? '-'})  delivered ${r.delivered}/s  e2e p99 ${r.e2e_p99_ms ?? '-'} ms` +
    `  lag ${r.consumer_lag ?? '-'}  errors ${r.errors}`
}

export function progressOutput (write: (line: string) => void): Output {
  return {
    name: 'progress',
    start: () => {},
    add: s => { if (s.row.phase !== 'setup') write(progressLine(s.row)) },
    event: () => {},
    stop: () => {},
  }
}
