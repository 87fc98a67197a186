// Bursts: does the pipeline absorb a short spike and recover, or does the backlog linger?
//
//   fleetlab run experiments/examples/burst.ts
//
// 500 devices at 1/s; three times, every 60 s, the last 20 s of the minute run at 4x the rate (2,000 samples/s),
// then a minute of baseline to watch consumer lag drain: 4 minutes. With `of: 'devices'` the burst is a
// registration storm instead (and `surge: true` makes every join happen at once).
//
// The default export here is a subclass, to show the lifecycle hooks: each hook gets the run session, adds its own
// step and calls super for the lab's. The loader creates the class with no arguments.
import { BurstExperiment } from '../index.ts'
import type { RunSession } from '../index.ts'

export default class RateBursts extends BurstExperiment {
  constructor () {
    super({
      name: 'burst-rate',
      description: '500 devices at 1/s with 20 s bursts to 4x every minute, three times',
      workload: {
        baseline: { devices: 500, rate: '1/s' },
        burst: { multiplier: 4, of: 'rate', duration: '20s', every: '60s', repeat: 3 },
        recovery: '60s',
      },
      drain: '30s',
      thresholds: { 'e2e.p99': '<2s', loss: '==0', 'lag.max': '<20000' },
    })
  }

  override async monitorsStart (run: RunSession): Promise<void> {
    await super.monitorsStart(run)
    run.event('note', 'burst.ts', `bursts of ${this.config.workload.burst.durationMs / 1000} s at ${this.config.workload.burst.multiplier}x the rate`)
  }
}
