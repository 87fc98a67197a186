// Policies by name (house rule 1, docs/architecture.md). An unknown name fails with the names there are.
import { InvalidConfigError } from '../../lib/errors.ts'
import { fixedPolicy } from './policies/fixed.ts'
import { predictivePolicy } from './policies/predictive.ts'
import { targetTrackingPolicy } from './policies/target-tracking.ts'
import { thresholdPolicy } from './policies/threshold.ts'
import type { Policy } from './types.ts'

const policies: Readonly<Record<string, Policy>> = {
  fixed: fixedPolicy,
  threshold: thresholdPolicy,
  'target-tracking': targetTrackingPolicy,
  predictive: predictivePolicy,
}

export const policyNames = Object.keys(policies)

export function policyByName (name: string): Policy {
  const p = policies[name]
  if (p === undefined) throw new InvalidConfigError([`autoscaler.policy: unknown policy ${JSON.stringify(name)} (choose one of: ${policyNames.join(', ')})`])
  return p
}
