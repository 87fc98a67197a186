// The run's sinks besides their consumer groups: which datastores they need the platform to start, the options each
// store is given (the file store writes into the run folder, a database store gets the URL of the datastore the
// platform started), and how the metrics of a further sink (`sinks: [...]`) are kept apart from the run's sink.
import { join } from 'node:path'
import { InvalidConfigError } from '../../lib/errors.ts'
import type { MetricWindowJSON } from '../../lib/metrics/window.ts'
import type { DatastoreName } from '../../platform/datastores/index.ts'
import type { ExperimentConfig, SinkChoice } from '../contracts.ts'

/** The datastores the embedded platform starts for the run: those a sink names and gives no url of its own. */
export function neededDatastores (config: Pick<ExperimentConfig, 'sink' | 'sinks'>): DatastoreName[] {
  const kinds = [config.sink, ...config.sinks].filter(s => s.kind !== 'file' && s.options.url === undefined).map(s => s.kind as DatastoreName)
  return [...new Set(kinds)].sort()
}

/**
 * The store's options: the experiment's, with the file store's outFile in the run folder and a database store's url
 * from the platform when the experiment gives none. `field` names the sink in errors (sink, sinks[1]).
 */
export function storeOptions (choice: SinkChoice, field: string, file: string, datastores: Readonly<Partial<Record<DatastoreName, string>>>): Record<string, unknown> {
  if (choice.kind === 'file') return { outFile: file, ...choice.options }
  if (choice.options.url !== undefined) return { ...choice.options }
  const url = datastores[choice.kind]
  if (url === undefined) {
    throw new InvalidConfigError([`${field}.options.url: required for a ${choice.kind} sink on an external platform (the lab starts ${choice.kind} only with its embedded platform)`])
  }
  return { url, ...choice.options }
}

/** sink.ndjson for the run's sink, sink-<name>.ndjson for a further one. */
export function sinkFile (runDir: string, name?: string): string {
  return join(runDir, name === undefined ? 'sink.ndjson' : `sink-${name}.ndjson`)
}

/** A metric of the run's sink as a further sink `name` records it (renameWindow). */
export function furtherMetric (name: string, key: string): string {
  return key.startsWith('errors.sink.')
    ? `errors.sink.${name}.${key.slice('errors.sink.'.length)}`
    : `sink.${name}.${key.startsWith('sink.') ? key.slice('sink.'.length) : key}`
}

/**
 * A further sink's window under its own names, so that the run's sink figures (and the e2e latency thresholds) stay
 * the run's sink's alone: sink.records -> sink.<name>.records, errors.sink.rejected -> errors.sink.<name>.rejected,
 * e2e.latency -> sink.<name>.e2e.latency.
 */
export function renameWindow (w: MetricWindowJSON, name: string): MetricWindowJSON {
  const map = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).map(([k, v]) => [furtherMetric(name, k), v]))
  return { second: w.second, counters: map(w.counters), gauges: map(w.gauges), histograms: map(w.histograms) }
}
