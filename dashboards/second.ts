// One second as both live views take it (the terminal dashboard, dashboards/terminal/, and the web view,
// dashboards/web/): the timeseries row, and what only the live stream has, read from the second's window at once so
// that no view keeps a window. The metric names come from the units that own them (cli/dashboard-names.ts passes
// them in), so dashboards/ imports none of experiments/ or simulator/.
import type { MetricWindow } from '../lib/metrics/window.ts'
import type { RunSecond } from '../results/outputs/contract.ts'
import type { ThresholdResult, TimeseriesRow } from '../results/run-format.ts'

/**
 * Metric names the dashboard reads from a second's window and the run's totals. They belong to the units that emit
 * them (the simulator, the sink, the runner); cli/dashboard.ts passes them in, so this layer imports none of those.
 */
export interface DashboardMetricNames {
  readonly sent: string
  readonly delivered: string
  readonly duplicates: string
  readonly devicesActive: string
  readonly devicesRegistered: string
  readonly registerFailed: string
  readonly retransmits: string
}

export interface GatewayDevices { readonly gateway: string, active: number | null, registered: number | null }

/** One second as the dashboard takes it: the row, and what only the live stream has (undefined from files). */
export interface DashboardSecond {
  readonly row: TimeseriesRow
  readonly thresholds?: readonly ThresholdResult[]
  /** Whole-run counter totals by name (the live stream's `totals`). */
  readonly totals?: Readonly<Record<string, number>>
  /** Devices registered across the fleet that second (a gauge of the window). */
  readonly registered?: number | null
  /** Per-gateway devices, when the window has gauges `<devicesActive>.<gateway>`. */
  readonly gateways?: readonly GatewayDevices[]
}

/** The fields of a live RunSecond the dashboard uses (the window is read now and not kept). */
export function fromRunSecond (s: RunSecond, names: DashboardMetricNames): DashboardSecond {
  return {
    row: s.row,
    thresholds: s.thresholds,
    totals: s.totals,
    registered: s.window.gauges.get(names.devicesRegistered)?.value ?? null,
    gateways: gatewayDevices(s.window, names),
  }
}

/** Gauges named `<devicesActive>.<gateway>` / `<devicesRegistered>.<gateway>`, by gateway (empty when none). */
export function gatewayDevices (w: MetricWindow, names: DashboardMetricNames): GatewayDevices[] {
  const byName = new Map<string, GatewayDevices>()
  const take = (prefix: string, field: 'active' | 'registered'): void => {
    for (const [name, g] of w.gauges) {
      if (!name.startsWith(prefix)) continue
      const gateway = name.slice(prefix.length)
      const entry = byName.get(gateway) ?? { gateway, active: null, registered: null }
      entry[field] = g.value
      byName.set(gateway, entry)
    }
  }
  take(`${names.devicesActive}.`, 'active')
  take(`${names.devicesRegistered}.`, 'registered')
  return [...byName.values()].sort((a, b) => a.gateway.localeCompare(b.gateway))
}

