// The contracts between the parts of a run (issue 4), in one place so each part can be built and tested alone:
// - the experiment, as validated data (schema.ts turns a file into an ExperimentConfig);
// - the workload, a function of time (house rule 1, docs/architecture.md: "a workload shape is a function of time");
// - the run session, what an Experiment's lifecycle hooks drive (runner.ts implements it);
// - what gateways and the sink exchange with the runner over the control channel (lib/channel.ts).
import type { Lwm2mDriverOptions } from '../simulator/lwm2m/options.ts'
import type { AutoscalerConfig } from '../control/autoscaler/types.ts'

/** The kinds' names; experiments/kinds.ts (the registry) must have an entry for each, and the compiler checks it. */
export const experimentKinds = ['linear', 'burst', 'step', 'replay', 'capacity'] as const
export type ExperimentKind = (typeof experimentKinds)[number]

// ---------------------------------------------------------------------------------------------------------------
// The experiment as validated data. Durations are ms, rates are per second, all units already parsed.

export interface PlatformChoice {
  /** 'auto': docker when an engine answers, else process. */
  readonly runtime: 'auto' | 'docker' | 'process'
  /** Platform name (its folder and labels); default: `exp-<run id>` so runs never collide. */
  readonly name?: string
  /** Connect to running infrastructure instead of starting the embedded platform. */
  readonly external?: {
    readonly edgeBootstrap: readonly string[]
    readonly cloudBootstrap: readonly string[]
    /** coap://host:port of the LWM2M server the devices register at. */
    readonly lwm2m: { readonly host: string, readonly port: number }
    /** The gateway id in the topic names, iot.<gateway>.observations. */
    readonly gateway: string
  }
  /** Ports etc. of the embedded platform (platform/config.ts keys); absent keys take free ports / defaults. */
  readonly edgePort?: number
  readonly cloudPort?: number
  readonly lwm2mPort?: number
  /** Partitions of the observations and registrations topics (embedded platform; default 12). */
  readonly partitions?: number
}

export interface FleetConfig {
  readonly protocol: 'lwm2m'
  /** Devices one virtual gateway hosts at most (EMU-IoT's device cap). */
  readonly maxDevicesPerGateway: number
  /** fill-first: a gateway is filled before the next gets devices (EMU-IoT); spread: round robin over all gateways. */
  readonly placement: 'fill-first' | 'spread'
  /** Registrations started per second per gateway (a surge overrides it: everything at once). */
  readonly registrationRate: number
  readonly lifetimeS: number
  readonly format: 110 | 112
  readonly objects: ReadonlyArray<{ readonly objectId: number, readonly instances: number }>
  readonly generators?: Lwm2mDriverOptions['generators']
  readonly confirmable: boolean
  readonly endpointPrefix: string
}

/** A threshold as parsed: `'e2e.p99': '<500ms'` -> { metric: 'e2e.p99', op: '<', value: 500 }. Values in ms, ratios 0..1, counts. */
export interface Threshold {
  readonly metric: string
  readonly op: '<' | '<=' | '>' | '>=' | '=='
  readonly value: number
  /** As written, for the summary. */
  readonly source: string
}

export interface ExperimentConfig {
  readonly kind: ExperimentKind
  readonly name: string
  readonly description?: string
  /** Seed of every random choice; chosen at random (and recorded) when absent. */
  readonly seed?: number
  readonly platform: PlatformChoice
  readonly fleet: FleetConfig
  /** The kind's own workload fields, units parsed (schema.ts defines one type per kind). */
  readonly workload: unknown
  /** After the workload ends, wait up to this long for in-flight messages to arrive at the sink. */
  readonly drainMs: number
  readonly sink: SinkChoice
  /**
   * More sinks beside `sink`, each its own consumer group at a fixed replica count (the control loop scales `sink`
   * only); the run's accounting (sent = delivered + lost) is `sink`'s, each of these reports its own.
   */
  readonly sinks: readonly NamedSinkChoice[]
  /** The control loop of the sink's consumers; absent: the `fixed` policy at sink.replicas (killed replicas still replaced). */
  readonly autoscaler?: AutoscalerConfig
  readonly thresholds: readonly Threshold[]
}

/** The experiment's sink: a store by name, its consumer replicas at the start, the processing cost per record. */
export interface SinkChoice {
  readonly kind: 'file' | 'influxdb' | 'postgres'
  readonly replicas: number
  readonly cost?: { readonly ms: number, readonly kind: 'cpu' | 'wait' }
  readonly sessionTimeoutMs: number
  /** The store's own options (docs/experiments.md); the file store's outFile defaults to the run folder's sink.ndjson. */
  readonly options: Readonly<Record<string, unknown>>
}

/** One of `sinks`: named (its units are sink-<name>-<replica>, its metrics sink.<name>.*), reading `input`. */
export interface NamedSinkChoice extends SinkChoice {
  readonly name: string
  /** postgres without options.observations reads the registrations (the device registry); every other store the observations. */
  readonly input: 'observations' | 'registrations'
}

// ---------------------------------------------------------------------------------------------------------------
// Workloads: a function of time since the workload started.

export interface WorkloadPoint {
  /** Shown in timeseries.csv `phase` and as a phase event when it changes: 'ramp', 'baseline', 'burst', 'step-2', ... */
  readonly phase: string
  /** Devices that should be registered and sending. */
  readonly devices: number
  /** Samples (notifications) per second per device. */
  readonly ratePerDevice: number
  /** true when the devices that join at this point should all start at once (a surge), not paced. */
  readonly surge?: boolean
}

/** What the runner measured in one second, for adaptive workloads (capacity) and the stop rule. */
export interface ObservedSecond {
  /** The end of the second described, in seconds since the workload started: it covers (tS - 1, tS]. */
  readonly tS: number
  readonly devicesTarget: number
  readonly devicesActive: number
  readonly rateTarget: number
  readonly sent: number
  /** Notifications the sink received in this second (unique). */
  readonly delivered: number
  readonly e2eP99Ms: number | undefined
  /** Records produced to the observations topics but not yet consumed by the sink. */
  readonly consumerLag: number | undefined
  /** Percent of one core per service (edge-kafka, lwm2m-server, ...). */
  readonly cpuPercent: Readonly<Record<string, number>>
}

export interface Workload {
  /** Planned length in ms; undefined for an adaptive workload that ends itself (done()). */
  readonly durationMs: number | undefined
  /** The target at `tMs` ms after the workload started. */
  at (tMs: number): WorkloadPoint
  /** Adaptive workloads: told each second what happened. */
  observe? (second: ObservedSecond): void
  /** Adaptive workloads: true once finished. */
  done? (): boolean
  /** What an adaptive workload found (CapacityExperiment: the largest sustainable fleet), for run.json and the summary. */
  result? (): Record<string, unknown>
}

// ---------------------------------------------------------------------------------------------------------------
// The run session: what an Experiment's lifecycle hooks call. runner.ts implements it.

export interface RunSession {
  readonly runId: string
  readonly runDir: string
  readonly config: ExperimentConfig
  readonly seed: number
  /** Aborted on Ctrl-C; hooks that wait should give up when it fires. */
  readonly signal: AbortSignal
  /** Appends a line to events.csv. */
  event (kind: string, source: string, detail: string): void
  platformUp (): Promise<void>
  fleetSetup (): Promise<void>
  monitorsStart (): Promise<void>
  runWorkload (workload: Workload): Promise<void>
  drain (): Promise<void>
  reconcile (): Promise<void>
  cleanup (): Promise<void>
}

// ---------------------------------------------------------------------------------------------------------------
// Units over the control channel (lib/channel.ts): the `config` and `report` payloads.

// The gateway's config and report live with the gateway (simulator/contract.ts), below the runner that uses them.
export type { GatewayConfig, GatewayReport } from '../simulator/contract.ts'
// The sink's config and report live with the sink (platform/sinks/contract.ts), below the runner that uses them.
export type { SinkConfig, SinkReport } from '../platform/sinks/contract.ts'
