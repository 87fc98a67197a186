// The run folder as an output: timeseries.csv and events.csv row by row as they come, summary.csv,
// histograms.json and the final run.json at the end (run-writer.ts writes them; run.json exists from the start).
import type { RunWriter } from '../run-writer.ts'
import type { Output } from './contract.ts'

export function filesOutput (writer: RunWriter): Output {
  return {
    name: 'files',
    start: () => {},
    add: s => { writer.second(s.row) },
    event: e => { writer.event(e) },
    stop: end => writer.finish(end.meta, end.summary, { ...end.histograms }),
  }
}
