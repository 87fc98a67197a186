// `npm run bench:autoscale`: the autoscaling policies side by side on the same seeded load (issue 8 "Figures").
// One run per policy of the same burst experiment: a baseline of 100 devices at 1/s, a 10x rate burst for 60 s, a
// recovery of 90 s, against sink consumers that spend 5 ms per record (one replica holds about 200 records/s), on
// the embedded platform with 8 partitions (the replica cap: on 2 cores, 12 sink processes starting at once kept the
// group rebalancing for tens of seconds, which measured the machine, not the policies). Rows: threshold (KEDA's scaler), target-tracking (the HPA), predictive
// (capacity model), and KEDA/HPA at their defaults (30 s polling, lagThreshold 10, 300 s stabilization) as the
// baseline users have today. Every figure comes from the run folders of this invocation (scripts/lib/autoscale-figures.ts).
// Figures on stdout, progress on stderr; a missed goal is marked MISSED; exit 1 when a run failed. --help lists the options.
import { mkdtemp } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { table } from '../../cli/format.ts'
import { version } from '../../cli/version.ts'
import { BurstExperiment } from '../../experiments/index.ts'
import type { BurstOptions } from '../../experiments/schema.ts'
import { DEFAULT_REACT_MS } from '../../experiments/schema/autoscaler.ts'
import { runExperiment } from '../../experiments/runner.ts'
import type { RuntimeKind } from '../../platform/runtime/index.ts'
import { loadRun } from '../../results/run-folder.ts'
import { autoscaleFigures } from '../lib/autoscale-figures.ts'
import type { AutoscaleFigures } from '../lib/autoscale-figures.ts'
import { benchCommand, choiceListArg, parseBench, resultsDirOption, runtimeOption } from '../lib/bench-options.ts'

/** The goals, from the issue; "met" is decided from these and nothing else. */
const GOALS = { firstScaleUpPeriods: 2, predictivePeakLagReduction: 0.30, steadyChanges: 0 }
const PERIOD_MS = 1000
const LAG_THRESHOLD = 1000
const LAG_SLO_S = 5
const PARTITIONS = 8
const STEADY_TAIL_S = 30

const policies: Record<string, NonNullable<BurstOptions['autoscaler']>> = {
  threshold: { policy: 'threshold', period: '1s', lagSlo: `${LAG_SLO_S}s`, lagThreshold: LAG_THRESHOLD, cooldown: '30s' },
  'target-tracking': { policy: 'target-tracking', period: '1s', lagSlo: `${LAG_SLO_S}s`, metric: 'lag', target: LAG_THRESHOLD, stabilization: '30s' },
  predictive: { policy: 'predictive', period: '1s', lagSlo: `${LAG_SLO_S}s` },
  // KEDA polls at its interval only: no look between periods
  'keda-hpa-defaults': { policy: 'threshold', period: '30s', react: 'off', lagSlo: `${LAG_SLO_S}s`, lagThreshold: 10, activationLagThreshold: 0, cooldown: '300s' },
}

const steadyGoal = GOALS.steadyChanges === 0 ? 'no change of direction' : `at most ${GOALS.steadyChanges} changes of direction`
const options = parseBench<{ runtime: RuntimeKind, only?: string[], resultsDir?: string }>(benchCommand('autoscale',
  'the autoscaling policies side by side on the same seeded load: one run per policy of a burst experiment (100 devices at 1/s, ' +
  `a 10x rate burst for 60 s, 90 s of recovery) against sink consumers that spend 5 ms per record, on the embedded platform with ${PARTITIONS} partitions`)
  .addOption(runtimeOption('the platform, gateways and sink replicas of every run').default('process'))
  .option('--only <rows>', `the policy rows to run, comma-separated, in the order given (default: all, ${Object.keys(policies).join(',')})`,
    choiceListArg('--only', Object.keys(policies)))
  .addOption(resultsDirOption())
  .addHelpText('after', `
Rows: threshold (KEDA's scaler), target-tracking (the HPA), predictive (capacity model), all with ${PERIOD_MS / 1000} s periods and
the default react look (${DEFAULT_REACT_MS} ms), and keda-hpa-defaults (30 s polling, no look, lagThreshold 10, 300 s
stabilization): the baseline users have today. Every figure comes from the run folders of this invocation:
peak lag (records, seconds), first scale-up after the burst, drain time, seconds over the lag SLO (${LAG_SLO_S} s),
replica-seconds, most replicas, changes of direction (all, and in steady phases: the baseline before the burst and
the last ${STEADY_TAIL_S} s of the recovery), scale steps, rebalance pauses (per replica, and of the group), records lost and
duplicated.
Goals (MISSED when not met): first scale-up within ${GOALS.firstScaleUpPeriods} periods; ${steadyGoal} in steady phases;
never more consumers than the ${PARTITIONS} partitions; predictive's peak lag at least ${GOALS.predictivePeakLagReduction * 100} % below threshold's,
with no more replica-seconds. Figures on stdout, progress on stderr; exit 1 when a run failed.`))
const { runtime } = options
const only = options.only ?? Object.keys(policies)
const runsDir = resolve(options.resultsDir ?? await mkdtemp(join(tmpdir(), 'fleetlab-bench-autoscale-')))
const progress = (line: string): void => { process.stderr.write(`${line}\n`) }
const abort = new AbortController()
process.once('SIGINT', () => abort.abort('SIGINT'))

const load0 = loadavg().map(v => v.toFixed(2))
const figures: AutoscaleFigures[] = []
let failed = false
for (const name of only) {
  const autoscaler = policies[name]
  if (autoscaler === undefined) throw new Error(`--only: unknown policy row ${name}`) // --only's parser let it through
  const experiment = new BurstExperiment({
    name: `autoscale-${name}`,
    seed: 8,
    platform: { partitions: PARTITIONS },
    workload: {
      baseline: { devices: 100, rate: '1/s' },
      burst: { multiplier: 10, of: 'rate', duration: '60s', every: '90s', repeat: 1 },
      recovery: '90s',
    },
    sink: { kind: 'file', replicas: 1, cost: '5ms', costKind: 'wait' },
    autoscaler,
    drain: '120s',
  })
  progress(`\n== ${name}`)
  const outcome = await runExperiment(experiment, {
    file: 'bench:autoscale', runtime, seed: 8, runsDir, signal: abort.signal, version: version(),
    progress: line => { if (!/^\[ *\d+s\]/.test(line) || / (\d*0)s\]/.test(line)) progress(`  ${name}: ${line}`) },
  })
  if (!outcome.meta.complete) { failed = true; progress(`  ${name}: incomplete: ${outcome.meta.incompleteReason ?? ''}`) }
  const run = await loadRun(outcome.runDir)
  figures.push(autoscaleFigures(run, { policy: name, lagThreshold: LAG_THRESHOLD, sloLagSeconds: LAG_SLO_S, steadyTailS: STEADY_TAIL_S }))
  if (abort.signal.aborted) break
}

const f = (v: number | undefined, digits = 0): string => v === undefined ? '-' : v.toFixed(digits)
console.log(`bench:autoscale  fleetlab ${version()}, node ${process.version}, ${cpus().length} cores, ${runtime} runtime, load average ${load0.join(' ')} -> ${loadavg().map(v => v.toFixed(2)).join(' ')}`)
console.log(`load: 100 devices at 1/s, x10 rate burst for 60 s after 30 s, 90 s recovery; sink 5 ms per record (wait); ${PARTITIONS} partitions; lag threshold ${LAG_THRESHOLD}, lag SLO ${LAG_SLO_S} s; periods 1 s with the default react look (${DEFAULT_REACT_MS} ms) but keda-hpa-defaults (30 s, no look); runs in ${runsDir}\n`)
console.log(table(
  ['policy', 'peak lag', 'peak lag s', 'first up s', 'drain s', 's over SLO', 'replica-s', 'max repl.', 'dir. changes', 'steady changes', 'steps', 'replica pause ms p50/max', 'rebalances', 'group pause ms max', 'lost', 'dups'],
  figures.map(x => [x.policy, x.peakLag, f(x.peakLagSeconds, 1), f(x.firstScaleUpS, 1), f(x.drainS), x.secondsOverSlo, x.replicaSeconds, x.maxReplicas, x.changesOfDirection, x.steadyChanges, x.scaleSteps,
    `${f(x.rebalancePauseMedianMs)}/${f(x.rebalancePauseMaxMs)}`, x.groupRebalances, f(x.groupRebalanceMaxMs), x.lost, x.duplicates]),
))
console.log('\ngoals')
const goal = (what: string, met: boolean | undefined, detail: string): void => console.log(`  ${met === undefined ? '?' : met ? 'met   ' : 'MISSED'}  ${what}: ${detail}`)
for (const x of figures.filter(x => x.policy !== 'keda-hpa-defaults')) {
  goal(`${x.policy}: first scale-up within ${GOALS.firstScaleUpPeriods} periods of ${PERIOD_MS / 1000} s`, x.firstScaleUpS === undefined ? false : x.firstScaleUpS <= GOALS.firstScaleUpPeriods * PERIOD_MS / 1000, `${f(x.firstScaleUpS, 1)} s`)
  goal(`${x.policy}: ${steadyGoal} in steady phases`, x.steadyChanges <= GOALS.steadyChanges, `${x.steadyChanges}`)
}
for (const x of figures) goal(`${x.policy}: never more consumers than partitions`, x.maxReplicas <= PARTITIONS, `max ${x.maxReplicas} of ${PARTITIONS}`)
const t = figures.find(x => x.policy === 'threshold')
const p = figures.find(x => x.policy === 'predictive')
if (t !== undefined && p !== undefined) {
  const reduction = t.peakLag === 0 ? 0 : 1 - p.peakLag / t.peakLag
  goal(`predictive: peak lag at least ${GOALS.predictivePeakLagReduction * 100} % below threshold`, reduction >= GOALS.predictivePeakLagReduction, `${(reduction * 100).toFixed(0)} % (${p.peakLag} vs ${t.peakLag})`)
  goal('predictive: no more replica-seconds than threshold', p.replicaSeconds <= t.replicaSeconds, `${p.replicaSeconds} vs ${t.replicaSeconds}`)
}
process.exitCode = failed ? 1 : 0
