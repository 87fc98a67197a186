// Capacity: how many devices can this edge hold at 1 sample/s each, with p99 under 500 ms, no loss, no growing
// backlog and the LWM2M server below 80 % of a core?
//
//   fleetlab run experiments/examples/capacity.ts
//
// Plateaus of 30 s (the first 10 s not measured) at 250, 500, 1000, ... devices until one breaks an SLO, then a
// binary search between the last good and the first bad plateau until they are within 10 %: about 10 plateaus.
// On a quiet 2-core machine it took 6.5 minutes: 12,000 devices held, 13,000 broke (p99 near 1 s; datagrams dropped
// at the LWM2M server's socket). The summary names the largest sustainable fleet, the first that broke and why;
// every plateau's p99, loss, lag slope, CPU and recovery time go to run.json.
import { CapacityExperiment } from '../index.ts'

export default new CapacityExperiment({
  name: 'capacity-edge',
  description: 'largest fleet at 1/s per device with p99 < 500 ms, no loss, no lag growth, LWM2M server < 80% CPU',
  fleet: { maxDevicesPerGateway: 2000 },
  workload: {
    start: 250,
    maxDevices: 16000,
    growth: { factor: 2 },
    stepDuration: '30s',
    warmup: '10s',
    rate: '1/s',
    slo: { 'e2e.p99': '<500ms', loss: '<0.1%', lagGrowth: true, cpu: { service: 'lwm2m-server', below: '80%' } },
    resolution: 0.1,
  },
})
