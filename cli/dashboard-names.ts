// The metric names the terminal dashboard reads (dashboards/second.ts DashboardMetricNames) and the unit of
// each threshold, from the units that own them: dashboards/ imports none of experiments/ or simulator/.
import { metric } from '../experiments/run/seconds.ts'
import { thresholdMetrics } from '../experiments/thresholds.ts'
import type { ThresholdUnitOf } from '../dashboards/terminal/format.ts'
import type { DashboardMetricNames } from '../dashboards/second.ts'

export const dashboardNames: DashboardMetricNames = {
  sent: metric.sent,
  delivered: metric.delivered,
  duplicates: metric.duplicates,
  devicesActive: metric.devicesActive,
  devicesRegistered: metric.devicesRegistered,
  // simulator/lwm2m/device.ts counts lwm2m.<request>.failed and coap.retransmit
  registerFailed: 'lwm2m.register.failed',
  retransmits: 'coap.retransmit',
}

export const thresholdUnitOf: ThresholdUnitOf = m => (thresholdMetrics as Record<string, 'ms' | 'fraction' | 'count'>)[m]
