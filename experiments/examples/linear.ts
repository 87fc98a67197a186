// Linear growth, EMU-IoT style: how do latency and the edge's CPU grow as devices join batch by batch?
//
//   fleetlab run experiments/examples/linear.ts
//
// A batch of 250 devices joins every 30 s (each batch runs 30 s before the next) up to 2,000 devices, then the
// fleet holds for a minute: about 5 minutes. Read timeseries.csv (phase, devices, e2e p99, CPU per service) to see
// where latency starts to bend; experiments/examples/capacity.ts answers "how many" directly.
import { LinearExperiment } from '../index.ts'

export default new LinearExperiment({
  name: 'linear-batches',
  description: 'batches of 250 devices every 30 s up to 2000, 1 sample/s each, then hold 60 s',
  fleet: { maxDevicesPerGateway: 1000 },
  workload: { batch: { size: 250, every: '30s' }, to: 2000, rate: '1/s', hold: '60s' },
  thresholds: { 'e2e.p99': '<2s', loss: '<0.1%', 'rate.accuracy': '>99%' },
})
