// One schema for every kind of experiment (house rule 2, docs/architecture.md), for TS constructor options and JSON/YAML files alike:
// unknown keys rejected at every level, every problem reported at once with its path, units parsed into ms and per
// second. The result is an ExperimentConfig (contracts.ts) whose `workload` is the kind's parsed type.
import { z } from 'zod'
import { basename, extname } from 'node:path'
import type { ExperimentConfig } from './contracts.ts'
import { workloadKinds } from './kinds.ts'
import type { ExperimentKind, WorkloadConfigs, WorkloadSchemaOf } from './kinds.ts'
import { InvalidConfigError } from '../lib/errors.ts'
import { commonShape, defaultContext } from './schema/common.ts'
import type { ParseContext } from './schema/common.ts'
import { formatIssues } from '../lib/schema/issues.ts'
import { strictObject } from '../lib/schema/fields.ts'

export type { BurstWorkloadConfig, CapacitySlo, CapacityWorkloadConfig, LinearWorkloadConfig, StepWorkloadConfig } from './schema/workloads.ts'
export type { ReplayPoint, ReplayWorkloadConfig } from './schema/replay.ts'
export type { Range } from '../lib/schema/fields.ts'
export type { ParseContext } from './schema/common.ts'
export { formatPath } from '../lib/schema/issues.ts'

export type { WorkloadConfigs } from './kinds.ts'

/** An ExperimentConfig whose workload has its kind's type. */
export type ExperimentConfigOf<K extends ExperimentKind> = Omit<ExperimentConfig, 'kind' | 'workload'> & {
  readonly kind: K
  readonly workload: WorkloadConfigs[K]
}

function schemaOf<K extends ExperimentKind, W extends z.ZodTypeAny> (kind: K, ctx: ParseContext, workload: W) {
  return strictObject({ kind: z.literal(kind).optional(), ...commonShape(ctx), workload })
}

/** The whole experiment's schema for `kind`: the common fields and the kind's workload (kinds.ts). */
function schemaFor<K extends ExperimentKind> (kind: K, ctx: ParseContext) {
  return schemaOf(kind, ctx, workloadKinds[kind].schema(ctx) as WorkloadSchemaOf<K>)
}

/** What a file or a constructor takes for each kind: units as strings ("30s", "1/s"), defaults optional. `kind` is optional (the class sets it). */
export type ExperimentOptions = { [K in ExperimentKind]: z.input<ReturnType<typeof schemaOf<K, WorkloadSchemaOf<K>>>> }
export type LinearOptions = ExperimentOptions['linear']
export type BurstOptions = ExperimentOptions['burst']
export type StepOptions = ExperimentOptions['step']
export type ReplayOptions = ExperimentOptions['replay']
export type CapacityOptions = ExperimentOptions['capacity']

export interface ParseOptions extends Partial<ParseContext> {
  /** The name when the options give none (the loader passes the file name); default: the kind. */
  readonly defaultName?: string
}

// While the loader imports a TS experiment file, its constructors resolve relative files against that file's folder and
// take its name as the default: the file cannot pass these itself. The loader sets this around the import (one at a time).
let ambient: ParseOptions | undefined

/** Runs `fn` with parse defaults for experiments constructed meanwhile (the loader, around a TS import). */
export async function withParseDefaults<T> (options: ParseOptions, fn: () => Promise<T>): Promise<T> {
  const previous = ambient
  ambient = options
  try {
    return await fn()
  } finally {
    ambient = previous
  }
}

/** The name of an experiment file without its extension. */
export function nameFromFile (file: string): string {
  const name = basename(file, extname(file)).replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64)
  return /^[A-Za-z0-9]/.test(name) ? name : `x${name}`.slice(0, 64)
}

/** Every problem with `input` as an experiment of `kind`, or the parsed config. */
export function safeParseExperiment<K extends ExperimentKind> (kind: K, input: unknown, options: ParseOptions = {}):
  { success: true, config: ExperimentConfigOf<K> } | { success: false, problems: string[] } {
  const opts = { ...ambient, ...options }
  const ctx: ParseContext = { ...defaultContext(opts.baseDir), ...(opts.readFile !== undefined ? { readFile: opts.readFile } : {}) }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { success: false, problems: [`expected the experiment as an object with workload, fleet, ...; got ${Array.isArray(input) ? 'a list' : JSON.stringify(input) ?? String(input)}`] }
  }
  const schema = schemaFor(kind, ctx) as unknown as z.ZodType<Record<string, unknown>>
  const result = schema.safeParse(input)
  if (!result.success) return { success: false, problems: formatIssues(result.error.issues, input) }
  const { kind: _kind, drain, name, description, seed, ...rest } = result.data as Record<string, unknown> & { drain: number, name?: string, description?: string, seed?: number }
  const config = {
    kind,
    name: name ?? opts.defaultName ?? kind,
    ...(description !== undefined ? { description } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...rest,
    drainMs: drain,
  } as unknown as ExperimentConfigOf<K>
  return { success: true, config }
}

/** The parsed config; throws InvalidConfigError listing every problem. */
export function parseExperiment<K extends ExperimentKind> (kind: K, input: unknown, options: ParseOptions = {}): ExperimentConfigOf<K> {
  const r = safeParseExperiment(kind, input, options)
  if (!r.success) throw new InvalidConfigError(r.problems, { hint: 'docs/experiments.md lists every field with its default and units' })
  return r.config
}

export { isExperimentKind } from './kinds.ts'
