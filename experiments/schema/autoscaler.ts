// The experiment's `autoscaler`: the policy by name and its parameters, validated once with every problem at once
// (a parameter of another policy is a problem too), units parsed into ms. control/autoscaler/ documents each
// policy and its defaults; docs/experiments.md lists them.
import { z } from 'zod'
import type { AutoscalerConfig } from '../../control/autoscaler/types.ts'
import { policyNames } from '../../control/autoscaler/registry.ts'
import { count, duration, rate, strictObject } from '../../lib/schema/fields.ts'

const fraction = z.number().gt(0).max(1)

/**
 * The look between periods unless `react` says otherwise: a threshold crossed just after a period is otherwise seen
 * a whole period later (bench:autoscale: 2.0 and 2.2 s to the first scale-up at 1 s periods without it, 1.4 and 1.5
 * s with it); reading the lag this often cost the runner no measurable CPU (bench:monitors, lag monitor rows).
 */
export const DEFAULT_REACT_MS = 250

/** Which parameters each policy takes. */
const paramsOf: Record<string, readonly string[]> = {
  fixed: [],
  threshold: ['lagThreshold', 'activationLagThreshold', 'cooldown', 'tolerance'],
  'target-tracking': ['metric', 'target', 'tolerance', 'stabilization', 'scaleUpPercent', 'scaleUpPods', 'scaleUpPeriod'],
  predictive: ['drainTarget', 'utilization', 'tolerance', 'trendWindow', 'horizon', 'smoothing', 'stabilization', 'capacityPerReplica'],
}

export const autoscalerSchema = strictObject({
  policy: z.string().refine(p => policyNames.includes(p), { message: `expected one of: ${policyNames.join(', ')}` }),
  min: count(1, 256, 'replicas').default(1),
  max: count(1, 256, 'replicas').optional(),
  period: duration({ min: 100, max: 600_000 }).default('1s'),
  react: z.union([z.literal('off'), duration({ min: 100, max: 600_000 })]).optional(),
  lagSlo: duration({ positive: true }).default('5s'),
  lagThreshold: count(1).optional(),
  activationLagThreshold: count(0).optional(),
  cooldown: duration().optional(),
  tolerance: z.number().min(0).max(1).optional(),
  metric: z.enum(['lag', 'lagSeconds']).optional(),
  target: z.number().positive().optional(),
  stabilization: duration().optional(),
  scaleUpPercent: z.number().min(0).optional(),
  scaleUpPods: count(0, 256).optional(),
  scaleUpPeriod: duration({ positive: true }).optional(),
  drainTarget: duration({ positive: true }).optional(),
  utilization: fraction.optional(),
  trendWindow: duration({ positive: true }).optional(),
  horizon: duration().optional(),
  smoothing: count(1, 600).optional(),
  capacityPerReplica: rate({ positive: true, what: 'records per second per replica, such as 500/s' }).optional(),
}).superRefine((a, ctx) => {
  const allowed = paramsOf[a.policy] ?? []
  for (const [key, value] of Object.entries(a)) {
    if (value === undefined || ['policy', 'min', 'max', 'period', 'react', 'lagSlo'].includes(key) || allowed.includes(key)) continue
    ctx.addIssue({ code: 'custom', path: [key], message: `not a parameter of the ${a.policy} policy (it takes: ${allowed.length > 0 ? allowed.join(', ') : 'none'})` })
  }
  if (a.max !== undefined && a.max < a.min) ctx.addIssue({ code: 'custom', path: ['max'], message: `expected at least min (${a.min})` })
}).transform((a): AutoscalerConfig => {
  const { policy, min, max, period, react, lagSlo, ...rest } = a
  const params = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Record<string, number | string | boolean>
  // a look between periods only when it comes more often than the period itself; `fixed` never scales on a look
  const look = react ?? (policy === 'fixed' ? 'off' : DEFAULT_REACT_MS)
  const reactMs = look === 'off' || look >= period ? undefined : look
  return { policy, min, ...(max !== undefined ? { max } : {}), periodMs: period, ...(reactMs !== undefined ? { reactMs } : {}), sloLagSeconds: lagSlo / 1000, params }
})
