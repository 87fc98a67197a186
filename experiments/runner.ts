// The runner: one experiment, start to finish (docs/architecture.md, "Processes of a run").
// The Experiment's hooks run in order: configure -> platform up -> fleet setup -> monitors start -> workload ->
// drain -> reconcile -> cleanup. Whatever happens (an error, Ctrl-C), the steps that free resources still run, the
// results written so far stay, and run.json says whether the run is complete and why not.
import { execFileSync } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { cpus, hostname, loadavg, release, totalmem, type } from 'node:os'
import { join, relative } from 'node:path'
import { isFleetlabError } from '../lib/errors.ts'
import { fleetlabHome, kafkaVersion, projectRoot } from '../lib/home.ts'
import { randomSeed } from '../lib/random.ts'
import { roundTo } from '../lib/units.ts'
import { openRuntime } from '../platform/runtime/index.ts'
import type { RuntimeKind } from '../platform/runtime/types.ts'
import { newRunId, RunWriter } from '../results/run-folder.ts'
import type { RunMeta, SummaryRow } from '../results/run-folder.ts'
import { formatRunSummary } from '../results/summary-print.ts'
import type { Output } from '../results/outputs/contract.ts'
import { OutputSet } from '../results/outputs/fanout.ts'
import { filesOutput } from '../results/outputs/files.ts'
import { progressOutput } from '../results/outputs/progress.ts'
import type { Experiment } from './experiment.ts'
import { evaluateThresholds } from './thresholds.ts'
import { edgeLossReasons, reconcile } from './run/reconcile.ts'
import { platformNameFor, Session } from './run/session.ts'
import { runMetrics, summaryRow } from './run/summary.ts'
import type { Workload } from './contracts.ts'

export interface RunOptions {
  /** The experiment file, for run.json. */
  readonly file: string
  /** Overrides the experiment's platform.runtime. */
  readonly runtime?: RuntimeKind
  readonly keepPlatform?: boolean
  /** Overrides the experiment's seed. */
  readonly seed?: number
  /** Default <project>/results/runs. */
  readonly runsDir?: string
  readonly home?: string
  readonly progress: (line: string) => void
  readonly signal: AbortSignal
  /** fleetlab version, for run.json. */
  readonly version: string
  /**
   * Outputs besides the run folder's files (results/outputs/): the progress line, the dashboard, Prometheus, ...
   * Each gets the run's start, every second and event, and its end. Default: the progress line into `progress`.
   */
  readonly outputs?: readonly Output[]
}

export interface RunOutcome {
  readonly meta: RunMeta
  readonly summary: SummaryRow
  readonly runDir: string
  readonly summaryText: string
  /** The error that ended the run early, when one did (a Ctrl-C is not one). */
  readonly error?: unknown
}

/** Services in the timeseries columns, in order. */
const SERVICES = ['edge-kafka', 'cloud-kafka', 'mirror', 'lwm2m-server', 'gateway', 'sink', 'runner']
const SETTLE_SAMPLE_MS = 250

/** The workload's peak device count (an adaptive workload has none fixed: its configured maximum). */
export function peakDevices (workload: Workload, config: { workload: unknown }): number {
  if (workload.durationMs === undefined) {
    const w = config.workload as { maxDevices?: number }
    return w.maxDevices ?? workload.at(0).devices
  }
  let peak = 0
  for (let t = 0; t <= workload.durationMs; t += SETTLE_SAMPLE_MS) peak = Math.max(peak, workload.at(t).devices)
  return Math.max(peak, workload.at(Math.max(0, workload.durationMs - 1)).devices)
}

export async function runExperiment (experiment: Experiment, options: RunOptions): Promise<RunOutcome> {
  const config = experiment.config
  const startMs = Date.now()
  const runId = newRunId(config.name, new Date(startMs))
  const runDir = join(options.runsDir ?? join(projectRoot, 'results', 'runs'), runId)
  const seed = options.seed ?? config.seed ?? randomSeed()
  const home = options.home ?? fleetlabHome()
  const wanted = options.runtime ?? (config.platform.runtime === 'auto' ? undefined : config.platform.runtime)
  // before the run folder: a runtime that is not there (no Docker engine) leaves no empty run behind
  const runtime = await openRuntime(home, wanted)
  await mkdir(runDir, { recursive: true })
  const meta: RunMeta = {
    formatVersion: 1,
    runId,
    experiment: { file: relative(projectRoot, options.file).startsWith('..') ? options.file : relative(projectRoot, options.file), kind: config.kind, name: config.name, ...(config.description !== undefined ? { description: config.description } : {}), config: JSON.parse(JSON.stringify(config)) as Record<string, unknown> },
    seed,
    versions: { fleetlab: options.version, node: process.version, kafka: kafkaVersion },
    git: gitInfo(),
    machine: { hostname: hostname(), os: `${type()} ${release()}`, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryBytes: totalmem(), loadAverage: { start: loadavg().map(v => roundTo(v, 2)) } },
    runtime: runtime.kind,
    platform: { name: '', external: config.platform.external !== undefined },
    startedAt: new Date(startMs).toISOString(),
    endedAt: null,
    complete: false,
    thresholds: [],
  }
  const services = config.platform.external !== undefined ? SERVICES.slice(4) : SERVICES
  // named before run.json is first written: a run killed hard still says which platform to take down
  meta.platform.name = platformNameFor(config, runId)
  const writer = await RunWriter.create(runDir, meta, services)
  const workload = experiment.createWorkload()
  const outputs = new OutputSet([filesOutput(writer), ...options.outputs ?? [progressOutput(options.progress)]], {
    critical: ['files'],
    onError: (name, err) => { options.progress(`output ${name} failed and was stopped (the run goes on): ${err.message}`) },
  })
  await outputs.start({ meta: structuredClone(meta), runDir, startMs, services, plannedWorkloadMs: workload.durationMs })
  const session = new Session({
    runId, runDir, config, seed, home, runtime, outputs, signal: options.signal, keepPlatform: options.keepPlatform === true,
    peakDevices: peakDevices(workload, config), progress: options.progress, startMs,
  }, services)
  session.prepare(workload)
  options.progress(`run ${runId}: ${config.kind} experiment '${config.name}', seed ${seed}, results in ${relative(process.cwd(), runDir) || runDir}`)
  session.event('run', 'runner', `start: ${config.kind} '${config.name}', seed ${seed}, runtime ${runtime.kind}`)

  let failure: string | undefined
  let error: unknown
  const step = async (name: string, hook: () => Promise<void>): Promise<boolean> => {
    if (failure !== undefined) return false
    if (options.signal.aborted) { failure = interrupted(options.signal); return false }
    try {
      await hook()
      return true
    } catch (e) {
      if (!options.signal.aborted) error = e
      failure = options.signal.aborted ? interrupted(options.signal) : `${name} failed: ${isFleetlabError(e) ? e.message : (e as Error).stack ?? String(e)}`
      session.event('error', 'runner', failure.split('\n')[0]!)
      return false
    }
  }
  let summary: SummaryRow | undefined
  try {
    await step('guard', async () => { await session.guard() })
    await step('configure', async () => { await experiment.configure(session) })
    await step('platform up', async () => { await experiment.platformUp(session) })
    await step('fleet setup', async () => { await experiment.fleetSetup(session) })
    await step('monitors start', async () => { await experiment.monitorsStart(session) })
    await step('workload', async () => { await experiment.workload(session) })
    if (options.signal.aborted && failure === undefined) failure = interrupted(options.signal)
    // drain and reconcile run even after a failure: the partial results are worth having
    try { await experiment.drain(session) } catch (e) { session.event('error', 'runner', `drain failed: ${(e as Error).message}`) }
    try { await experiment.reconcile(session) } catch (e) { session.event('error', 'runner', `reconcile failed: ${(e as Error).message}`) }
    if (session.outcome.failures.length > 0 && failure === undefined) failure = session.outcome.failures.join('; ')
    summary = await finishResults(session, meta, outputs, startMs, failure)
  } finally {
    try {
      await experiment.cleanup(session)
    } catch (e) {
      options.progress(`cleanup failed: ${(e as Error).message}; run fleetlab platform down --name ${session.platformName}`)
    }
    await runtime.close().catch(() => {})
  }
  return { meta, summary, runDir, summaryText: formatRunSummary(meta, summary, { runDir }), ...(error !== undefined ? { error } : {}) }
}

async function finishResults (session: Session, meta: RunMeta, outputs: OutputSet, startMs: number, failure: string | undefined): Promise<SummaryRow> {
  await session.stopRecording()
  const o = session.outcome
  const edgeReasons = edgeLossReasons(o.lwm2m, o.udpDrops)
  const reconciliation = reconcile(o.gateways, o.sink ?? { devices: {}, records: 0, untraced: 0, undecodable: 0 }, { edgeRecords: o.edgeRecords, cloudRecords: o.cloudRecords })
  session.event('reconcile', 'runner', `sent ${reconciliation.sent} = delivered ${reconciliation.delivered} + lost ${reconciliation.lost} ` +
    `(not in edge ${reconciliation.lostNotInEdge}, not mirrored ${reconciliation.lostNotMirrored}, not consumed ${reconciliation.lostNotConsumed}); duplicates ${reconciliation.duplicates}` +
    (reconciliation.unexpected > 0 ? `; ${reconciliation.unexpected} unexpected at the sink` : '') +
    (o.lwm2m !== undefined ? `; the LWM2M server received ${(o.lwm2m['lwm2m.notify.received'] ?? 0) + (o.lwm2m['lwm2m.notify.initial'] ?? 0)} notifications (${o.lwm2m['lwm2m.notify.traced'] ?? 0} traced) and queued ${o.lwm2m['lwm2m.kafka.queued'] ?? 0} records for Kafka` : '') +
    (edgeReasons.length > 0 ? `; ${reconciliation.lostNotInEdge > 0 ? 'not in edge because ' : ''}${edgeReasons.join('; ')}` : ''))
  for (const e of reconciliation.examples) session.event('loss', 'runner', `${e.endpoint}: sent ${e.sent}, delivered ${e.delivered}`)
  const endMs = Date.now()
  const input = {
    runId: meta.runId, experiment: meta.experiment.name, kind: meta.experiment.kind, complete: failure === undefined,
    durationS: (endMs - startMs) / 1000, totals: o.totals, assembler: session.assembler, reconciliation,
  }
  const metrics = runMetrics(input)
  const thresholds = evaluateThresholds(session.config.thresholds, metrics)
  const passed = thresholds.filter(t => t.passed).length
  const summary = summaryRow(input, metrics, { passed, failed: thresholds.length - passed })
  meta.endedAt = new Date(endMs).toISOString()
  if (meta.machine.loadAverage !== undefined) meta.machine.loadAverage.end = loadavg().map(v => roundTo(v, 2))
  meta.complete = failure === undefined
  if (failure !== undefined) meta.incompleteReason = failure
  meta.thresholds = thresholds
  if (o.workloadResult !== undefined) meta.result = o.workloadResult
  if (o.sinks.length > 0) meta.sinks = o.sinks.map(f => ({ ...f }))
  if (o.lwm2m !== undefined) meta.lwm2mServer = o.lwm2m
  if (o.autoscaler !== undefined) meta.autoscaler = { ...o.autoscaler }
  const cpu = o.totals.runnerCpuMean
  if (cpu !== undefined) meta.overhead = { runnerCpuPct: roundTo(cpu, 2), runnerMemMb: o.totals.runnerMemMax ?? 0 }
  session.event('run', 'runner', failure === undefined ? 'complete' : `incomplete: ${failure.split('\n')[0]}`)
  await outputs.stop({ meta, summary, histograms: session.assembler.histogramsJSON() })
  return summary
}

/** 'interrupted (SIGINT)' or '(SIGTERM)': the abort reason the CLI gives, when it is a signal name. */
function interrupted (signal: AbortSignal): string {
  return `interrupted (${typeof signal.reason === 'string' ? signal.reason : 'Ctrl-C'})`
}

function gitInfo (): { commit: string, dirty: boolean } | null {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: projectRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: projectRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    return { commit, dirty: status.trim() !== '' }
  } catch {
    return null
  }
}
