// The run session (experiments/contracts.ts RunSession): what an Experiment's lifecycle hooks drive. It owns the
// platform (started or connected), the units (gateways, sink), the monitors and the second-by-second recording.
// Every step records what it did in events.csv; the runner (runner.ts) calls the hooks in order and writes results.
import { join } from 'node:path'
import { InterruptedError, ServiceFailedError } from '../../lib/errors.ts'
import { sleep } from '../../lib/time.ts'
import { roundTo } from '../../lib/units.ts'
import { MetricsRecorder } from '../../lib/metrics/recorder.ts'
import { secondOf } from '../../lib/metrics/window.ts'
import { platformDown, services as platformServices } from '../../platform/platform.ts'
import type { KafkaClient } from '../../platform/kafka/client.ts'
import type { Runtime } from '../../platform/runtime/types.ts'
import { platformDir } from '../../lib/home.ts'
import { unitCommand } from '../../lib/unit-command.ts'
import { readProcSample } from '../../platform/runtime/proc-stats.ts'
import { removeRunnerRecord, startWatchdog, writeRunnerRecord } from '../../platform/watchdog.ts'
import { describeEntry, listPlatforms } from '../../platform/inventory.ts'
import { dockerAvailable } from '../../platform/runtime/docker.ts'
import { openRuntime } from '../../platform/runtime/index.ts'
import type { RunnerRecord } from '../../platform/watchdog.ts'
import { ServiceMonitor, TopicMonitor, topicRecords, UdpDropsMonitor } from '../../control/monitors.ts'
import { ConsumerLagMonitor, MirrorLagMonitor } from '../../control/lag-monitor.ts'
import { Lwm2mServerMonitor } from '../../control/lwm2m-monitor.ts'
import type { DatastoreName } from '../../platform/datastores/index.ts'
import { gatewayServiceSpec } from '../../simulator/gateway-service.ts'
import { gatewaysNeeded, placeDevices } from '../../simulator/gateway-placement.ts'
import { SINK_SERVICE, sinkServiceSpec } from '../../platform/sinks/service.ts'
import { SequenceAccounting } from '../../platform/sinks/accounting.ts'
import { arrivalProblems, recordArrivals } from '../../platform/sinks/arrivals.ts'
import type { Arrivals } from '../../platform/sinks/arrivals.ts'
import { sinkMetrics } from '../../platform/sinks/sink-consumer.ts'
import { SinkGroup } from './sink-group.ts'
import { saveScalable } from '../../platform/scalable.ts'
import { SinkControl } from './control.ts'
import type { RunMeta, ThresholdResult } from '../../results/run-folder.ts'
import type { OutputSet } from '../../results/outputs/fanout.ts'
import type { ExperimentConfig, GatewayReport, NamedSinkChoice, RunSession, SinkChoice, SinkConfig, SinkReport, Workload, WorkloadPoint } from '../contracts.ts'
import { furtherMetric, neededDatastores, renameWindow, sinkFile, storeOptions } from './sinks.ts'
import { metric, SecondAssembler } from './seconds.ts'
import { Units } from './units.ts'
import { startOrConnect } from './platform-step.ts'
import { observedSecond } from './recording.ts'
import { RunTotals, runMetrics } from './summary.ts'
import { evaluateThresholds } from '../thresholds.ts'
import { keepServiceLogs } from '../../platform/service-logs.ts'

const TICK_MS = 100
/** Sink replicas connect as sink-0, sink-1, ... */
const SINK_UNIT = 'sink'
const FINISH_TIMEOUT_MS = 40_000

export interface SessionOptions {
  readonly runId: string
  readonly runDir: string
  readonly config: ExperimentConfig
  readonly seed: number
  readonly home: string
  readonly runtime: Runtime
  /** Where the seconds and events go: the run folder's files, the progress line or dashboard, ... */
  readonly outputs: OutputSet
  readonly signal: AbortSignal
  readonly keepPlatform: boolean
  /** Devices at the workload's peak (sizes the gateways). */
  readonly peakDevices: number
  readonly progress: (line: string) => void
  /** Epoch ms of the run's start: t_s = 0 in every file. */
  readonly startMs: number
}

export interface SessionOutcome {
  gateways: GatewayReport[]
  sink: SinkReport | undefined
  edgeRecords: number
  cloudRecords: number
  workloadResult: Record<string, unknown> | undefined
  /** Datagrams the kernel dropped at the LWM2M server's socket during the run (embedded platform only). */
  udpDrops?: number | undefined
  /** What the embedded LWM2M server counted during the run (its counters' increments, by dotted name). */
  lwm2m?: Record<string, number> | undefined
  /** The further sinks (`sinks`), each with its own accounting of the traced notifications it wrote. */
  sinks: FurtherSinkOutcome[]
  /** What the control loop did (run.json autoscaler). */
  autoscaler?: RunMeta['autoscaler']
  /** The rows' totals (for the summary); the rows themselves went to the outputs. */
  totals: RunTotals
  failures: string[]
}

export interface FurtherSinkOutcome {
  readonly name: string
  readonly kind: string
  readonly input: 'observations' | 'registrations'
  readonly replicas: number
  /** Records read (observations or registrations), records the store refused, records that did not decode. */
  readonly records: number
  readonly rejected: number
  readonly undecodable: number
  /** Traced notifications it wrote (unique) and wrote again; 0 for a registrations sink. */
  readonly delivered: number
  readonly duplicates: number
}

interface FurtherSink {
  readonly choice: NamedSinkChoice
  readonly group: SinkGroup
  readonly accounting: SequenceAccounting
  readonly lag: ConsumerLagMonitor
  readonly replicas: number
}

/** The platform's name: the experiment's, or exp-<last 4 of the run id> so runs never collide. */
export function platformNameFor (config: { platform: { name?: string } }, runId: string): string {
  return config.platform.name ?? `exp-${runId.slice(-4)}`
}

export class Session implements RunSession {
  readonly runId: string
  readonly runDir: string
  readonly config: ExperimentConfig
  readonly seed: number
  readonly signal: AbortSignal
  readonly assembler: SecondAssembler
  readonly recorder = new MetricsRecorder()
  readonly outcome: SessionOutcome = { gateways: [], sink: undefined, sinks: [], edgeRecords: 0, cloudRecords: 0, workloadResult: undefined, totals: new RunTotals(), failures: [] }
  readonly #o: SessionOptions
  platformName: string
  #platformStarted = false
  /** This runner as its watchdog knows it (platform/watchdog.ts); undefined until guard(). */
  #runner: RunnerRecord | undefined
  #edge: KafkaClient | undefined
  #cloud: KafkaClient | undefined
  #lwm2m: { host: string, port: number } | undefined
  /** The observations topic of the LWM2M server's gateway id, at the edge and (mirrored, same name) in the cloud. */
  #observations = /^$/
  #registrations = /^$/
  /** URLs of the datastores the embedded platform started for the sinks. */
  #datastores: Partial<Record<DatastoreName, string>> = {}
  /** The `sinks` beside the run's sink, by unit prefix sink-<name>. */
  readonly #further = new Map<string, FurtherSink>()
  #units: Units | undefined
  #gatewayNames: string[] = []
  #sinks: SinkGroup | undefined
  /** The run's one accountant of traced arrivals, fed by every sink replica (platform/sinks/arrivals.ts). */
  readonly #accounting = new SequenceAccounting()
  #partitions = 1
  #control: SinkControl | undefined
  get #groupId (): string { return `fleetlab-sink-${this.runId}` }
  #monitors: { services: ServiceMonitor, edge: TopicMonitor, cloud: TopicMonitor, mirror: MirrorLagMonitor } | undefined
  /** Kernel drops at the embedded LWM2M server's socket (same host); none for an external server. */
  #udpDrops: UdpDropsMonitor | undefined
  /** The embedded LWM2M server's own counters, scraped from its /metrics each second. */
  #lwm2mMonitor: Lwm2mServerMonitor | undefined
  #lwm2mMetrics: string | undefined
  #edge0 = 0
  #cloud0 = 0
  #ticker: NodeJS.Timeout | undefined
  #point: WorkloadPoint | undefined
  #workload: Workload | undefined
  #workloadStartMs = 0
  #drained = false
  #finished = false
  #recordingStopped = false

  constructor (o: SessionOptions, services: readonly string[]) {
    this.#o = o
    this.runId = o.runId
    this.runDir = o.runDir
    this.config = o.config
    this.seed = o.seed
    this.signal = o.signal
    this.platformName = platformNameFor(o.config, o.runId)
    this.assembler = new SecondAssembler(secondOf(o.startMs), services)
    // rows from the run's first second on (setup included), not from when the monitors start
    this.#ticker = setInterval(() => this.#tick(), 1000)
  }

  event (kind: string, source: string, detail: string, atMs = Date.now()): void {
    this.#o.outputs.event({ t_s: (atMs - this.#o.startMs) / 1000, kind, source, detail })
  }

  #checkpoint (): void {
    if (this.signal.aborted) throw new InterruptedError()
  }

  /**
   * Before anything starts: a watchdog beside the runner (platform/watchdog.ts) stops what this run starts if the
   * runner dies without stopping it (SIGKILL, out of memory).
   */
  async guard (): Promise<void> {
    await this.#warnLeftovers().catch(err => { this.#o.progress(`warning: could not look for leftovers of earlier runs: ${(err as Error).message}`) })
    const self = await readProcSample(process.pid)
    if (self === undefined) throw new Error(`cannot read /proc/${process.pid}/stat: the watchdog needs the runner's start time`)
    this.#runner = {
      runId: this.runId, runDir: this.runDir, pid: process.pid, startTicks: self.startTicks, runtime: this.#o.runtime.kind,
      platformStarted: false, keepPlatform: this.#o.keepPlatform, startedAt: new Date(this.#o.startMs).toISOString(),
    }
    await writeRunnerRecord(this.#o.home, this.platformName, this.#runner)
    const watchdogPid = await startWatchdog(this.#o.home, join(this.runDir, 'logs', 'watchdog.log'),
      unitCommand(['watchdog', '--platform', this.platformName, '--runner-pid', String(process.pid), '--runner-start', String(self.startTicks)]))
    this.#runner = { ...this.#runner, watchdogPid }
    await writeRunnerRecord(this.#o.home, this.platformName, this.#runner)
  }

  /** Platforms and units of earlier runs that nothing owns any more (platform/inventory.ts): said, not stopped. */
  async #warnLeftovers (): Promise<void> {
    const others: Runtime[] = []
    const kinds = this.#o.runtime.kind === 'docker' ? ['process' as const] : await dockerAvailable() ? ['docker' as const] : []
    for (const kind of kinds) others.push(await openRuntime(this.#o.home, kind))
    try {
      const left = (await listPlatforms(this.#o.home, [this.#o.runtime, ...others])).filter(e => e.leftover && e.name !== this.platformName)
      for (const e of left) {
        this.#o.progress(`warning: left over from an earlier run: ${describeEntry(e)}; stop it with fleetlab platform down --name ${e.name} (or --all)`)
        this.event('leftover', 'runner', describeEntry(e))
      }
    } finally {
      await Promise.all(others.map(r => r.close()))
    }
  }

  async platformUp (): Promise<void> {
    this.#checkpoint()
    const p = await startOrConnect({
      choice: this.config.platform, name: this.platformName, runId: this.runId, home: this.#o.home, runtime: this.#o.runtime,
      progress: this.#o.progress, signal: this.signal, datastores: neededDatastores(this.config),
      starting: async () => {
        this.#platformStarted = true
        // the watchdog takes the platform down too, unless it is to be kept
        if (this.#runner !== undefined) {
          this.#runner = { ...this.#runner, platformStarted: true }
          await writeRunnerRecord(this.#o.home, this.platformName, this.#runner)
        }
      },
    })
    this.#edge = p.edge
    this.#cloud = p.cloud
    this.#lwm2m = p.lwm2m
    this.#observations = p.observations
    this.#registrations = p.registrations
    this.#lwm2mMetrics = p.lwm2mMetrics
    if (this.#lwm2mMetrics !== undefined) {
      // from before the first device: increments count from the first scrape, and a fresh server has counted nothing
      this.#lwm2mMonitor = new Lwm2mServerMonitor({ url: this.#lwm2mMetrics, recorder: this.recorder })
      await this.#lwm2mMonitor.scrape()
      this.#lwm2mMonitor.start()
    }
    this.#datastores = { ...p.datastores }
    this.#partitions = p.partitions
    this.event('platform', 'runner', p.description)
  }

  async fleetSetup (): Promise<void> {
    this.#checkpoint()
    if (this.#lwm2m === undefined || this.#cloud === undefined) throw new Error('fleetSetup needs the platform: platformUp first')
    const f = this.config.fleet
    this.#units = await Units.open(this.#o.runtime, {
      windows: (unit, windows) => {
        const further = this.#furtherOf(unit)
        for (const w of windows) this.assembler.add(further === undefined ? w : renameWindow(w, further.choice.name))
        if (further === undefined) this.#control?.noteWindows(windows)
      },
      event: (unit, atMs, kind, detail) => {
        this.event(kind, unit, detail, atMs)
        const pause = kind === 'sink.rebalance' && this.#furtherOf(unit) === undefined ? /after a (\d+) ms pause/.exec(detail) : null
        if (pause !== null) this.#control?.noteRebalance(Number(pause[1]))
      },
      failed: (unit, reason) => {
        if (this.#finished) return
        this.outcome.failures.push(`${unit}: ${reason}`)
        this.event('error', unit, reason)
        this.#o.progress(`error: ${unit}: ${reason}`)
      },
      arrivals: (unit, arrivals) => this.#arrivals(unit, arrivals),
      replicaGone: unit => {
        if (this.#finished) return
        if (this.#furtherOf(unit) !== undefined) {
          // no control loop scales a further sink: its records stay unread until the run ends
          const reason = `${unit} went away without being asked (killed?); nothing replaces a replica of a further sink`
          this.outcome.failures.push(reason)
          this.event('error', unit, reason)
          this.#o.progress(`error: ${reason}`)
          return
        }
        this.event('replica-lost', unit, `${unit} went away without being asked (killed?); the control loop replaces it`)
        this.#o.progress(`${unit} went away; it will be replaced`)
      },
    })
    const dir = platformDir(this.#o.home, this.platformName)
    const t0 = Date.now()
    const sink = this.config.sink
    const replicas = Math.min(sink.replicas, this.#partitions)
    if (replicas < sink.replicas) this.event('sink', 'runner', `sink.replicas ${sink.replicas} capped at the ${this.#partitions} partitions of the observations topic`)
    this.#sinks = new SinkGroup({
      runtime: this.#o.runtime,
      units: this.#units,
      prefix: SINK_UNIT,
      spec: sinkServiceSpec({ platform: this.platformName, dir, env: this.#units.channel.envFor(`${SINK_UNIT}-{replica}`), writablePaths: [this.runDir] }),
      config: this.#sinkConfig(sink, 'sink', this.#observations, this.#groupId, sinkFile(this.runDir)),
    })
    for (const [i, choice] of this.config.sinks.entries()) {
      const prefix = `${SINK_UNIT}-${choice.name}`
      const groupId = `fleetlab-sink-${choice.name}-${this.runId}`
      const topics = choice.input === 'registrations' ? this.#registrations : this.#observations
      const group = new SinkGroup({
        runtime: this.#o.runtime,
        units: this.#units,
        prefix,
        spec: sinkServiceSpec({ platform: this.platformName, service: prefix, dir, env: this.#units.channel.envFor(`${prefix}-{replica}`), writablePaths: [this.runDir] }),
        config: this.#sinkConfig(choice, `sinks[${i}]`, topics, groupId, sinkFile(this.runDir, choice.name)),
      })
      const n = Math.min(choice.replicas, this.#partitions)
      if (n < choice.replicas) this.event('sink', 'runner', `sinks[${i}].replicas ${choice.replicas} capped at the ${this.#partitions} partitions`)
      this.#further.set(prefix, { choice, group, accounting: new SequenceAccounting(), lag: new ConsumerLagMonitor({ kafka: this.#cloud, topics, groupId }), replicas: n })
    }
    await saveScalable(this.#o.home, this.#o.runtime.kind, this.#sinks.spec, this.#partitions)
    await Promise.all([this.#sinks.scale(replicas), ...[...this.#further.values()].map(f => f.group.scale(f.replicas))])
    const gateways = gatewaysNeeded(Math.max(1, this.#o.peakDevices), f.maxDevicesPerGateway)
    this.#gatewayNames = Array.from({ length: gateways }, (_, i) => `gateway-${i}`)
    const first = this.#workload?.at(0)
    await Promise.all(this.#gatewayNames.map(async (name, i) => {
      await this.#units!.start(name, i, env => gatewayServiceSpec({ platform: this.platformName, index: i, dir, env }), {
        gateway: name,
        maxDevices: f.maxDevicesPerGateway,
        firstIndex: i * f.maxDevicesPerGateway,
        endpointPrefix: f.endpointPrefix,
        totalDevices: gateways * f.maxDevicesPerGateway,
        driver: {
          server: this.#lwm2m!,
          lifetimeS: f.lifetimeS,
          ratePerS: first?.ratePerDevice ?? 0,
          format: f.format,
          objects: f.objects,
          ...(f.generators !== undefined ? { generators: f.generators } : {}),
          confirmable: f.confirmable,
          trace: true,
          capacity: f.maxDevicesPerGateway,
        },
        placement: { firstAddress: '127.0.0.1', perAddress: 10_000 },
        registrationRate: f.registrationRate,
        seed: this.seed,
      })
    }))
    this.event('fleet', 'runner', `${gateways} gateway${gateways === 1 ? '' : 's'} (up to ${f.maxDevicesPerGateway} devices each, ${f.placement}) and ${replicas} ${sink.kind} sink replica${replicas === 1 ? '' : 's'}` +
      [...this.#further.values()].map(f => `, ${f.replicas} ${f.choice.kind} ${f.choice.input} sink-${f.choice.name} replica${f.replicas === 1 ? '' : 's'}`).join('') + ` ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }

  async monitorsStart (): Promise<void> {
    this.#checkpoint()
    if (this.#edge === undefined || this.#cloud === undefined) throw new Error('monitorsStart needs the platform: platformUp first')
    // a service that died between its health check and now would never be noticed as stopping
    const running = new Set((await this.#o.runtime.list({ platform: this.platformName })).map(i => i.service))
    const expected = [...(this.#platformStarted ? [...Object.values(platformServices), ...Object.keys(this.#datastores)] : []), 'gateway', 'sink', ...this.#further.keys()]
    const missing = expected.filter(s => !running.has(s))
    if (missing.length > 0) throw new ServiceFailedError(missing.join(', '), 'not running before the workload; see logs/ in the run folder')
    ;[this.#edge0, this.#cloud0] = await Promise.all([topicRecords(this.#edge, this.#observations), topicRecords(this.#cloud, this.#observations)])
    this.#monitors = {
      services: new ServiceMonitor(this.#o.runtime, this.platformName, this.recorder, inst => {
        // units leave on their own once finished; a platform service never should during a run; sink replicas come
        // and go with scaling, and one that is killed is replaced by the control loop
        if (this.#finished || inst.service === SINK_SERVICE) return
        const reason = `${inst.service}${inst.service === 'gateway' ? ` ${inst.replica}` : ''} (${inst.id}) stopped during the run; its log is kept in logs/`
        this.outcome.failures.push(reason)
        this.event('error', 'runner', reason)
        this.#o.progress(`error: ${reason}`)
      }),
      edge: new TopicMonitor(this.#edge, this.#observations, this.recorder, metric.edgeIn),
      cloud: new TopicMonitor(this.#cloud, this.#observations, this.recorder, metric.cloudIn),
      // edge minus cloud end offsets per partition: timeseries mirror_lag, and whether MirrorMaker 2 keeps up
      mirror: new MirrorLagMonitor({ edge: this.#edge, cloud: this.#cloud, topics: this.#observations, recorder: this.recorder }),
    }
    for (const m of Object.values(this.#monitors)) m.start()
    if (this.#platformStarted && this.#lwm2m !== undefined) {
      this.#udpDrops = new UdpDropsMonitor(this.#lwm2m.port, this.recorder, metric.udpDrops)
      this.#udpDrops.start()
    }

    if (this.#sinks !== undefined) {
      const initial = this.#sinks.target
      const config = this.config.autoscaler ?? { policy: 'fixed', min: 1, periodMs: 1000, sloLagSeconds: 5, params: {} }
      this.#control = new SinkControl({
        config, group: this.#sinks, initial, partitions: this.#partitions, cloud: this.#cloud, topics: this.#observations, groupId: this.#groupId,
        recorder: this.recorder, event: (kind, source, detail, atMs) => this.event(kind, source, detail, atMs), progress: this.#o.progress,
        home: this.#o.home, platform: this.platformName,
      })
      this.#control.start()
      this.event('autoscale', config.policy, `control loop: policy ${config.policy}, every ${config.periodMs / 1000} s${config.reactMs !== undefined ? ` (a scale-up looked for every ${config.reactMs} ms)` : ''}, ${initial} replica${initial === 1 ? '' : 's'}, ` +
        `min ${config.min}, max ${Math.min(config.max ?? this.#partitions, this.#partitions)} (${this.#partitions} partitions)` +
        (Object.keys(config.params).length > 0 ? `, ${Object.entries(config.params).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''))
    }
  }

  /** Makes the workload known before fleetSetup (its first point sets the gateways' starting rate). */
  prepare (workload: Workload): void {
    this.#workload = workload
  }

  async runWorkload (workload: Workload): Promise<void> {
    this.#checkpoint()
    this.#workload = workload
    const f = this.config.fleet
    this.#workloadStartMs = Date.now()
    const limit = workload.durationMs ?? Infinity
    let phase = ''
    // a unit that died makes the rest of the workload meaningless: stop early, the run is marked incomplete
    while (!this.signal.aborted && this.outcome.failures.length === 0) {
      const t = Date.now() - this.#workloadStartMs
      if (t >= limit || workload.done?.() === true) break
      const point = workload.at(t)
      this.#point = point
      if (point.phase !== phase) {
        phase = point.phase
        this.assembler.phase(secondOf(Date.now()), phase)
        this.event('phase', 'workload', `${phase}: ${point.devices} devices at ${point.ratePerDevice}/s each (${roundTo(point.devices * point.ratePerDevice, 2)}/s)${point.surge === true ? ', surge' : ''}`)
      }
      const counts = placeDevices(point.devices, { maxPerGateway: f.maxDevicesPerGateway, policy: f.placement, gateways: this.#gatewayNames.length })
      this.#gatewayNames.forEach((name, i) => this.#units?.target(name, counts[i] ?? 0, point.ratePerDevice, point.surge === true))
      this.#recordTargets()
      await sleep(TICK_MS, this.signal)
    }
    this.outcome.workloadResult = workload.result?.()
    if (this.signal.aborted) this.event('interrupted', 'runner', `${typeof this.signal.reason === 'string' ? this.signal.reason : 'Ctrl-C'} at ${((Date.now() - this.#workloadStartMs) / 1000).toFixed(1)} s into the workload`)
  }

  async drain (): Promise<void> {
    if (this.#drained || this.#units === undefined) return
    this.#drained = true
    const limitMs = this.signal.aborted ? Math.min(5000, this.config.drainMs) : this.config.drainMs
    const t0 = Date.now()
    this.assembler.phase(secondOf(t0), 'drain')
    const devices = this.#point?.devices ?? 0
    this.#point = { phase: 'drain', devices, ratePerDevice: 0 }
    const f = this.config.fleet
    const counts = placeDevices(devices, { maxPerGateway: f.maxDevicesPerGateway, policy: f.placement, gateways: this.#gatewayNames.length })
    this.#gatewayNames.forEach((name, i) => this.#units?.target(name, counts[i] ?? 0, 0))
    this.event('phase', 'workload', `drain: sending stopped, waiting up to ${limitMs / 1000} s for in-flight notifications`)
    // Caught up when the cloud has every edge record and the sink group has committed every cloud record (its
    // committed-offset lag is 0: with several replicas and rebalances, records read can exceed the cloud's count),
    // and that stayed so for a second. The control loop keeps running meanwhile: a backlog drains with its consumers.
    let stableSince: number | undefined
    let last: { edge: number, cloud: number, read: number, lag: number, further: number[] } = { edge: 0, cloud: 0, read: -1, lag: -1, further: [] }
    while (Date.now() - t0 < limitMs) {
      await sleep(500)
      const [edge, cloud, lag, ...further] = await Promise.all([this.#monitors?.edge.poll() ?? 0, this.#monitors?.cloud.poll() ?? 0, this.#control?.lag.poll(),
        ...[...this.#further.values()].map(f => f.lag.poll())])
      const now = { edge: edge - this.#edge0, cloud: cloud - this.#cloud0, read: this.assembler.total(metric.sinkRecords), lag: lag?.totalLag ?? -1,
        further: further.map(s => s?.totalLag ?? -1) }
      const agreed = now.edge === now.cloud && now.lag === 0 && now.further.every(l => l === 0)
      if (agreed && now.read === last.read) stableSince ??= Date.now()
      else stableSince = undefined
      last = now
      if (stableSince !== undefined && Date.now() - stableSince >= 1000 && Date.now() - t0 >= 2000) break
    }
    this.event('drain', 'runner', `after ${((Date.now() - t0) / 1000).toFixed(1)} s: edge ${last.edge}, cloud ${last.cloud}, sink read ${last.read}, committed lag ${last.lag}` +
      [...this.#further.keys()].map((prefix, i) => `, ${prefix} committed lag ${last.further[i] ?? -1}`).join(''))
    // Gateways first (their reports say what was sent), then the sink (what arrived); the control loop stops
    // first, so it does not replace replicas that finish.
    this.#finished = true
    await this.#stopControl()
    const gw = await this.#units.finish(this.#gatewayNames, FINISH_TIMEOUT_MS)
    this.outcome.gateways = this.#units.gatewayReports(gw)
    for (const name of this.#gatewayNames) if (gw.get(name) === undefined) this.outcome.failures.push(`${name}: no report (its sends are not counted)`)
    const reports = await this.#units.finishGroup(SINK_UNIT, FINISH_TIMEOUT_MS)
    const replicaReports = reports.filter((r): r is SinkReport => typeof r === 'object' && r !== null && 'records' in r)
    this.event('sink', 'runner', `${replicaReports.length} sink replica report${replicaReports.length === 1 ? '' : 's'}: ` +
      replicaReports.map(r => `${r.records} records`).join(', '))
    this.outcome.sink = {
      devices: this.#accounting.report(),
      records: this.assembler.total(metric.sinkRecords),
      untraced: this.assembler.total(sinkMetrics.untraced),
      undecodable: this.assembler.total(sinkMetrics.undecodable),
      rejected: this.assembler.total(sinkMetrics.rejected),
    }
    for (const [prefix, f] of this.#further) {
      const fr = (await this.#units.finishGroup(prefix, FINISH_TIMEOUT_MS)).filter((r): r is SinkReport => typeof r === 'object' && r !== null && 'records' in r)
      const devices = Object.values(f.accounting.report())
      const name = f.choice.name
      const out: FurtherSinkOutcome = {
        name, kind: f.choice.kind, input: f.choice.input, replicas: f.replicas,
        records: this.assembler.total(furtherMetric(name, metric.sinkRecords)),
        rejected: this.assembler.total(furtherMetric(name, sinkMetrics.rejected)),
        undecodable: this.assembler.total(furtherMetric(name, sinkMetrics.undecodable)),
        delivered: devices.reduce((a, d) => a + d.delivered, 0),
        duplicates: devices.reduce((a, d) => a + d.duplicates, 0),
      }
      this.outcome.sinks.push(out)
      this.event('sink', 'runner', `${prefix} (${out.kind}, ${out.input}): ${fr.length} replica report${fr.length === 1 ? '' : 's'}, ${out.records} records read, ${out.rejected} rejected, ${out.undecodable} undecodable` +
        (out.input === 'observations' ? `, ${out.delivered} traced notifications written (${out.duplicates} again)` : ''))
    }
    this.outcome.edgeRecords = (this.#monitors?.edge.total ?? this.#edge0) - this.#edge0
    this.outcome.cloudRecords = (this.#monitors?.cloud.total ?? this.#cloud0) - this.#cloud0
  }

  async #stopControl (): Promise<void> {
    if (this.#control === undefined) return
    const control = this.#control
    this.#control = undefined
    await control.stop()
    const a = control.autoscaler
    const st = a.stats()
    this.outcome.autoscaler = { policy: a.policy.name, actions: st.actions, changesOfDirection: st.changesOfDirection, replicaSeconds: Math.round(st.replicaSeconds), capacityPerReplica: a.knowledge.capacityPerReplica, capacitySource: a.knowledge.capacitySource, rebalanceMs: a.knowledge.rebalanceMs }
    this.event('autoscale', a.policy.name, `stopped: ${st.actions} scale steps, ${st.changesOfDirection} changes of direction, ${Math.round(st.replicaSeconds)} replica-seconds` +
      (a.knowledge.capacityPerReplica !== undefined ? `, learned ${Math.round(a.knowledge.capacityPerReplica)}/s per replica (${a.knowledge.capacitySource === 'saturated' ? 'from saturated periods' : 'from useful time'})` : '') +
      (a.knowledge.rebalanceMs !== undefined ? `, rebalance pause ${a.knowledge.rebalanceMs} ms (median)` : ''))
  }

  async reconcile (): Promise<void> {
    // the reconciliation itself is pure (reconcile.ts); the runner computes it from `outcome` once recording stopped
    await this.stopRecording()
  }

  /** Stops the monitors and the per-second rows, writing every second still pending. Idempotent. */
  async stopRecording (): Promise<void> {
    await this.#stopControl()
    clearInterval(this.#ticker)
    this.#ticker = undefined
    if (this.#monitors !== undefined) await Promise.all(Object.values(this.#monitors).map(m => m.stop()))
    await this.#udpDrops?.stop()
    this.outcome.udpDrops = this.#udpDrops?.total
    const lwm2m = this.#lwm2mMonitor
    this.#lwm2mMonitor = undefined
    if (lwm2m !== undefined) {
      // one last reading, so the totals cover the drain
      await lwm2m.scrape()
      await lwm2m.stop()
      this.outcome.lwm2m = lwm2m.totals()
      if (lwm2m.failures > 0) this.event('monitor', 'runner', `${lwm2m.failures} scrapes of ${this.#lwm2mMetrics} failed (last: ${lwm2m.lastError?.message ?? '?'})`)
    }
    if (!this.#recordingStopped) this.#flushRows(true)
    this.#recordingStopped = true
  }

  async cleanup (): Promise<void> {
    await this.stopRecording()
    await this.#sinks?.stopAll()
    await Promise.all([...this.#further.values()].map(f => f.group.stopAll()))
    await this.#units?.stopAll()
    await this.#units?.close()
    await Promise.all([this.#edge?.close(), this.#cloud?.close()].map(p => p?.catch(() => {})))
    // the platform's folder also holds the units' logs, in external mode too
    const kept = await keepServiceLogs(platformDir(this.#o.home, this.platformName), this.runDir).catch(() => 0)
    if (kept > 0) this.#o.progress(`service logs kept in ${join(this.runDir, 'logs')}`)
    if (this.#platformStarted) {
      if (this.#o.keepPlatform) {
        this.#o.progress(`platform ${this.platformName} kept (--keep-platform): stop it with fleetlab platform down --name ${this.platformName}`)
      } else {
        this.#o.progress(`stopping platform ${this.platformName}`)
        await platformDown({ home: this.#o.home, runtime: this.#o.runtime, progress: () => {} }, this.platformName)
      }
    } else if (this.config.platform.external !== undefined) {
      await this.#o.runtime.sweep(this.platformName).catch(() => 0)
    }
    // everything is stopped: the watchdog finds no record and leaves
    if (this.#runner !== undefined) await removeRunnerRecord(this.#o.home, this.platformName)
  }

  /** A replica's batch of arrivals into the run's accounting; delivered and duplicates per second come from here. */
  #arrivals (unit: string, arrivals: unknown): void {
    const problems = arrivalProblems(arrivals)
    if (problems.length > 0) {
      this.event('error', unit, `arrivals refused: ${problems.slice(0, 3).join('; ')}`)
      return
    }
    const further = this.#furtherOf(unit)
    if (further !== undefined) {
      recordArrivals(further.accounting, arrivals as Arrivals)
      return
    }
    const { delivered, duplicates } = recordArrivals(this.#accounting, arrivals as Arrivals)
    if (delivered > 0) this.recorder.counter(metric.delivered, delivered)
    if (duplicates > 0) this.recorder.counter(metric.duplicates, duplicates)
  }

  /** The further sink a unit sink-<name>-<n> belongs to; undefined for the run's sink and every other unit. */
  #furtherOf (unit: string): FurtherSink | undefined {
    const m = /^(sink-[a-z][a-z0-9]*)-\d+$/.exec(unit)
    return m === null ? undefined : this.#further.get(m[1]!)
  }

  /** What every replica of a sink gets: where to read, its group, its store with the options resolved. */
  #sinkConfig (choice: SinkChoice, field: string, topics: RegExp, groupId: string, file: string): SinkConfig {
    return {
      bootstrap: this.#cloud!.bootstrap,
      topicPattern: topics.source,
      groupId,
      store: { kind: choice.kind, options: storeOptions(choice, field, file, this.#datastores) },
      ...(choice.cost !== undefined ? { cost: choice.cost } : {}),
      sessionTimeoutMs: choice.sessionTimeoutMs,
    }
  }

  #recordTargets (): void {
    const p = this.#point
    if (p === undefined) return
    this.recorder.gauge(metric.devicesTarget, p.devices, 'last')
    this.recorder.gauge(metric.rateTarget, p.devices * p.ratePerDevice, 'last')
  }

  #tick (): void {
    this.#recordTargets()
    const m = this.#monitors
    if (m !== undefined) this.recorder.gauge(metric.mirrorLag, Math.max(0, m.edge.total - m.cloud.total), 'max')
    for (const w of this.recorder.drain()) this.assembler.add(w)
    this.#flushRows(false)
  }

  /** The thresholds on the run so far (those that need the reconciliation wait for the end: value null). */
  #liveThresholds (): ThresholdResult[] {
    if (this.config.thresholds.length === 0) return []
    return evaluateThresholds(this.config.thresholds, runMetrics({ totals: this.outcome.totals, assembler: this.assembler, reconciliation: undefined }))
  }

  #flushRows (all: boolean): void {
    if (all) for (const w of this.recorder.drain(Infinity)) this.assembler.add(w)
    for (const s of this.assembler.take(secondOf(Date.now()), all)) {
      this.outcome.totals.add(s.row)
      this.#o.outputs.add({ ...s, thresholds: this.#liveThresholds(), totals: this.assembler.counterTotals() })
      const observed = observedSecond(s.row, s.second, this.#workloadStartMs)
      if (observed !== undefined) this.#workload?.observe?.(observed)
    }
  }
}

