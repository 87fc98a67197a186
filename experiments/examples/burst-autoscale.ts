// Does autoscaling keep up with a burst? A 10x burst of 60 s over a baseline, against sink consumers that each
// spend 5 ms per record (a slow database), so one replica holds about 200 records/s and the burst needs several.
//
//   fleetlab run experiments/examples/burst-autoscale.ts
//
// 100 devices at 1/s (100/s) for 30 s, then 60 s at 10/s each (1,000/s), then 90 s of baseline to watch the
// consumers scale back. The predictive policy sizes the group from the arrival rate, the backlog and the
// per-replica capacity it learns; every decision, with its reason, is in events.csv (kind `autoscale`), and
// timeseries.csv has the desired and running replicas and the lag in records and seconds each second.
// Swap `policy` for 'threshold' (KEDA) or 'target-tracking' (HPA) to compare them on the same seeded load:
// scripts/bench/autoscale.ts does exactly that and prints the figures side by side.
import { BurstExperiment } from '../index.ts'

export default new BurstExperiment({
  name: 'burst-autoscale',
  description: '100 devices, a 10x rate burst for 60 s, sink consumers at 5 ms per record scaled by the predictive policy',
  seed: 8,
  workload: {
    baseline: { devices: 100, rate: '1/s' },
    burst: { multiplier: 10, of: 'rate', duration: '60s', every: '90s', repeat: 1 },
    recovery: '90s',
  },
  sink: { kind: 'file', replicas: 1, cost: '5ms', costKind: 'wait' },
  autoscaler: { policy: 'predictive', min: 1, period: '1s', lagSlo: '5s', drainTarget: '10s' },
  drain: '60s',
  thresholds: { loss: '==0' },
})
