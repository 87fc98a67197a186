// The public surface for experiment files: `import { LinearExperiment } from '../index.ts'`.
export { Experiment, lifecycle } from './experiment.ts'
export type { LifecycleHook } from './experiment.ts'
export { LinearExperiment, BurstExperiment, StepExperiment, ReplayExperiment, CapacityExperiment, experimentClasses } from './classes.ts'
export { CapacitySearch } from './capacity.ts'
export type { CapacityResult, CapacityStop, PlateauResult } from './capacity.ts'
export { loadExperiment } from './loader.ts'
export type { ExperimentFormat, LoadedExperiment } from './loader.ts'
export { parseExperiment, safeParseExperiment } from './schema.ts'
export type {
  BurstOptions, BurstWorkloadConfig, CapacityOptions, CapacitySlo, CapacityWorkloadConfig, ExperimentConfigOf, ExperimentOptions,
  LinearOptions, LinearWorkloadConfig, ParseOptions, Range, ReplayOptions, ReplayPoint, ReplayWorkloadConfig, StepOptions,
  StepWorkloadConfig, WorkloadConfigs,
} from './schema.ts'
export { evaluateThresholds, parseThresholds, thresholdMetrics } from './thresholds.ts'
export type { ThresholdMetric, ThresholdResult } from './thresholds.ts'
export type {
  ExperimentConfig, ExperimentKind, FleetConfig, ObservedSecond, PlatformChoice, RunSession, Threshold, Workload, WorkloadPoint,
} from './contracts.ts'
