// `fixed`: a count that does not follow the load (the sink's `replicas`). The loop still replaces a replica that is
// killed, and a count set by hand (`fleetlab scale`) becomes the new fixed count.
import type { Policy } from '../types.ts'

export const fixedPolicy: Policy = {
  name: 'fixed',
  plan: ({ knowledge }) => ({ desired: knowledge.desired, reason: `fixed at ${knowledge.desired}` }),
}
