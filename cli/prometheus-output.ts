// The `prometheus` entry of `--out` (cli/outputs.ts): the output lives in results/outputs/prometheus.ts and reads the
// stream by the names the emitting units own, passed in from here (results/ imports none of experiments/, control/).
import { metric } from '../experiments/run/seconds.ts'
import { serviceMetric } from '../control/monitors.ts'
import { PrometheusOutput } from '../results/outputs/prometheus.ts'
import type { PrometheusStreamNames } from '../results/outputs/prometheus.ts'

export const prometheusStreamNames: PrometheusStreamNames = {
  sent: metric.sent,
  late: metric.late,
  lateness: metric.lateness,
  edgeRecords: metric.edgeIn,
  cloudRecords: metric.cloudIn,
  sinkRecords: metric.sinkRecords,
  delivered: metric.delivered,
  duplicates: metric.duplicates,
  udpDrops: metric.udpDrops,
  e2e: metric.e2e,
  rebalancePause: metric.rebalancePause,
  devicesActive: metric.devicesActive,
  devicesRegistered: metric.devicesRegistered,
  errorPrefix: 'errors.',
  serviceCpuPct: serviceMetric.cpu,
  serviceMemMb: serviceMetric.memory,
  serviceReplicas: serviceMetric.replicas,
  serviceNetRxBytes: serviceMetric.networkRx,
  serviceNetTxBytes: serviceMetric.networkTx,
}

/** `--out prometheus=[host]:port`, the address parsed by the caller. */
export function createPrometheusOutput (address: { host: string, port: number }): PrometheusOutput {
  return new PrometheusOutput({ ...address, names: prometheusStreamNames })
}
