// Experiment kinds by name (house rule 1, docs/architecture.md): each kind is the schema of its `workload` and
// the function that turns the parsed workload into the run's Workload (a function of time, contracts.ts). The
// schema of a whole experiment (schema.ts), the file loader and the types of each kind's options and config are
// derived from this table. Adding a kind: its name in contracts.ts `experimentKinds`, its workload schema in
// experiments/schema/, its workload in experiments/workloads/, an entry here, and its class in classes.ts (the
// compiler asks for the entry and the class once the name is there).
import type { z } from 'zod'
import type { ExperimentKind, Workload } from './contracts.ts'
import { capacityWorkload as capacitySearch } from './capacity.ts'
import type { ParseContext } from './schema/common.ts'
import { burstWorkload as burstSchema, capacityWorkload as capacitySchema, linearWorkload as linearSchema, stepWorkload as stepSchema } from './schema/workloads.ts'
import { replayWorkload as replaySchema } from './schema/replay.ts'
import { burstWorkload } from './workloads/burst.ts'
import { linearWorkload } from './workloads/linear.ts'
import { replayWorkload } from './workloads/replay.ts'
import { stepWorkload } from './workloads/step.ts'

interface KindDefinition<S extends z.ZodTypeAny> {
  /** The schema of `workload`; the parse context lets it read files relative to the experiment's (replay CSVs). */
  readonly schema: (ctx: ParseContext) => S
  /** A fresh workload for one run from the parsed `workload`. */
  readonly create: (workload: z.output<S>) => Workload
}

const kind = <S extends z.ZodTypeAny>(d: KindDefinition<S>): KindDefinition<S> => d

export const workloadKinds = {
  linear: kind({ schema: () => linearSchema, create: linearWorkload }),
  burst: kind({ schema: () => burstSchema, create: burstWorkload }),
  step: kind({ schema: () => stepSchema, create: stepWorkload }),
  replay: kind({ schema: ctx => replaySchema(ctx), create: replayWorkload }),
  capacity: kind({ schema: () => capacitySchema, create: capacitySearch }),
} satisfies { readonly [K in ExperimentKind]: { schema: (ctx: ParseContext) => z.ZodTypeAny, create: (workload: never) => Workload } }

export { experimentKinds } from './contracts.ts'
export type { ExperimentKind } from './contracts.ts'

/** The schema of each kind's `workload`. */
export type WorkloadSchemaOf<K extends ExperimentKind> = Extract<ReturnType<(typeof workloadKinds)[K]['schema']>, z.ZodTypeAny>
/** The parsed workload of each kind. */
export type WorkloadConfigs = { [K in ExperimentKind]: z.output<WorkloadSchemaOf<K>> }

export function isExperimentKind (value: unknown): value is ExperimentKind {
  return typeof value === 'string' && Object.hasOwn(workloadKinds, value)
}

/** The workload of a parsed `workload` of `kind`. */
export function createWorkload<K extends ExperimentKind> (kind: K, workload: WorkloadConfigs[K]): Workload {
  return (workloadKinds[kind].create as (w: WorkloadConfigs[K]) => Workload)(workload)
}
