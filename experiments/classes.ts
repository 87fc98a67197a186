// One class per kind (kinds.ts is the registry): `new LinearExperiment(options)` validates the options through the
// schema (all problems at once, InvalidConfigError) and holds the parsed config; createWorkload() makes the kind's
// workload (Experiment's default, from kinds.ts).
import type { ExperimentKind } from './kinds.ts'
import { Experiment } from './experiment.ts'
import { parseExperiment } from './schema.ts'
import type { BurstOptions, CapacityOptions, ExperimentConfigOf, LinearOptions, ParseOptions, ReplayOptions, StepOptions } from './schema.ts'
import { CapacitySearch } from './capacity.ts'

export class LinearExperiment extends Experiment<'linear'> {
  constructor (options: LinearOptions, parse?: ParseOptions) { super(parseExperiment('linear', options, parse)) }
}

export class BurstExperiment extends Experiment<'burst'> {
  constructor (options: BurstOptions, parse?: ParseOptions) { super(parseExperiment('burst', options, parse)) }
}

export class StepExperiment extends Experiment<'step'> {
  constructor (options: StepOptions, parse?: ParseOptions) { super(parseExperiment('step', options, parse)) }
}

export class ReplayExperiment extends Experiment<'replay'> {
  /** `workload.csv` is relative to the experiment file (when loaded by the loader), else to `parse.baseDir` or the working directory. */
  constructor (options: ReplayOptions, parse?: ParseOptions) { super(parseExperiment('replay', options, parse)) }
}

export class CapacityExperiment extends Experiment<'capacity'> {
  constructor (options: CapacityOptions, parse?: ParseOptions) { super(parseExperiment('capacity', options, parse)) }
  /** A new search each time: it keeps the plateaus it has judged. */
  override createWorkload (): CapacitySearch { return new CapacitySearch(this.config.workload) }
}

type ClassOf<K extends ExperimentKind> = new (options: never, parse?: ParseOptions) => Experiment<K> & { readonly config: ExperimentConfigOf<K> }

/** The class of each kind, for files that name their kind (JSON, YAML); a kind without one does not compile. */
export const experimentClasses: { readonly [K in ExperimentKind]: ClassOf<K> } = {
  linear: LinearExperiment,
  burst: BurstExperiment,
  step: StepExperiment,
  replay: ReplayExperiment,
  capacity: CapacityExperiment,
}
