// The run folder, format version 1: one place to import it from. The format (types, column names) is in
// run-format.ts, the writer the runner uses in run-writer.ts, the loader compare and report use in run-loader.ts.
export * from './run-format.ts'
export { RunWriter } from './run-writer.ts'
export { listRuns, loadRun, resolveRunDir } from './run-loader.ts'
export type { LoadedRun } from './run-loader.ts'
