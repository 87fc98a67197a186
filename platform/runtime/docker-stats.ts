// Container readings from the engine's stats stream (Engine API `GET /containers/{id}/stats?stream=true`): one JSON
// document per line, one a second, each carrying the previous one's CPU counters in `precpu_stats`, so a reading
// costs the monitor one JSON.parse and no request. Figures as `docker stats` computes them (docker/cli
// cli/command/container/stats_helpers.go).
//
// How a stream ends, as dockerd 20.10-28 behave: a container that stops keeps its stream open and sends frames whose
// `read` is the zero time; a removed container ends the stream after one such frame. Either is the last sample.
import { Readable } from 'node:stream'
import type Dockerode from 'dockerode'
import { stoppedSample } from './types.ts'
import type { ServiceStatsSample, StatsWatch } from './types.ts'

/** How long to wait before opening the stream again after it broke while the container still ran (engine restart). */
const REOPEN_MS = 1_000
/** Date of `read` in a frame the engine sends for a container that no longer runs (Go's zero time.Time). */
const ZERO_DATE = '0001-01-01'

export interface ContainerStatsOptions {
  /** Epoch ms, for the samples' `at`. Default Date.now. */
  now?: () => number
}

/** As `docker stats`: the container's share of the host's CPU time since the previous frame, times the cores. */
export function cpuPercent (s: Dockerode.ContainerStats): number {
  const cpu = s.cpu_stats
  const pre = s.precpu_stats
  const cpuDelta = cpu.cpu_usage.total_usage - (pre.cpu_usage?.total_usage ?? 0)
  const systemDelta = (cpu.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0)
  const cores = cpu.online_cpus || cpu.cpu_usage.percpu_usage?.length || 1
  return cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * cores * 100 : 0
}

/** Usage minus the reclaimable page cache, as `docker stats` shows it (cgroup v1 and v2 name it differently). */
export function memoryBytes (s: Dockerode.ContainerStats): number {
  const usage = s.memory_stats.usage ?? 0
  const detail = (s.memory_stats.stats ?? {}) as Partial<Record<string, number>>
  const inactive = detail.total_inactive_file ?? detail.inactive_file ?? 0
  return inactive < usage ? usage - inactive : usage
}

/**
 * Bytes over the container's own interfaces, summed. A host-network container has none of its own (the engine
 * omits `networks`), and the host's counters are not its traffic: null then.
 */
export function networkBytes (s: Dockerode.ContainerStats): { rx: number | null, tx: number | null } {
  const nets = Object.values(s.networks ?? {})
  if (nets.length === 0) return { rx: null, tx: null }
  return { rx: nets.reduce((n, i) => n + i.rx_bytes, 0), tx: nets.reduce((n, i) => n + i.tx_bytes, 0) }
}

/** A frame the engine sends once the container no longer runs. */
export function isStoppedFrame (s: Dockerode.ContainerStats): boolean {
  return s.read === undefined || s.read.startsWith(ZERO_DATE)
}

/** The previous frame's counters are there (the first frame of a stream has none), so CPU can be computed. */
function hasPrevious (s: Dockerode.ContainerStats): boolean {
  return (s.precpu_stats?.system_cpu_usage ?? 0) > 0
}

/** The stats frame in a line, or undefined for a line that is not one (blank, truncated). */
export function parseFrame (line: string): Dockerode.ContainerStats | undefined {
  if (line.trim() === '') return undefined
  try {
    const value: unknown = JSON.parse(line)
    return typeof value === 'object' && value !== null && 'cpu_stats' in value && 'memory_stats' in value
      ? value as Dockerode.ContainerStats
      : undefined
  } catch {
    return undefined
  }
}

/** Splits text that arrives in arbitrary chunks into whole lines (NDJSON); keeps the unfinished tail. */
export class LineSplitter {
  #tail = ''

  push (chunk: string): string[] {
    const text = this.#tail + chunk
    const lines = text.split('\n')
    this.#tail = lines.pop() ?? ''
    return lines
  }
}

/** Streams readings of one container until it stops (then a running: false sample) or `stop()`. */
export function watchContainerStats (docker: Dockerode, id: string, onSample: (s: ServiceStatsSample) => void,
  options: ContainerStatsOptions = {}): StatsWatch {
  return new ContainerStatsWatch(docker.getContainer(id), onSample, options.now ?? Date.now)
}

class ContainerStatsWatch implements StatsWatch {
  readonly #container: Dockerode.Container
  readonly #onSample: (s: ServiceStatsSample) => void
  readonly #now: () => number
  #stream: Readable | undefined
  #reopen: NodeJS.Timeout | undefined
  /** stop() was called, or the last sample went out. */
  #done = false

  constructor (container: Dockerode.Container, onSample: (s: ServiceStatsSample) => void, now: () => number) {
    this.#container = container
    this.#onSample = onSample
    this.#now = now
    void this.#open()
  }

  stop (): void {
    this.#done = true
    clearTimeout(this.#reopen)
    this.#stream?.destroy()
    this.#stream = undefined
  }

  async #open (): Promise<void> {
    let stream: Readable
    try {
      const s = await this.#container.stats({ stream: true })
      // docker-modem hands over the HTTP response itself, an IncomingMessage
      stream = s instanceof Readable ? s : Readable.from(s)
    } catch (err) {
      if (statusOf(err) === 404) this.#finish()
      else this.#broken()
      return
    }
    if (this.#done) { stream.destroy(); return }
    this.#stream = stream
    const lines = new LineSplitter()
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      for (const line of lines.push(chunk)) {
        const frame = parseFrame(line)
        if (frame !== undefined && this.#stream === stream) this.#frame(frame)
      }
    })
    let ended = false
    const onEnd = (): void => {
      if (ended || this.#stream !== stream) return
      ended = true
      this.#stream = undefined
      this.#broken()
    }
    stream.once('end', onEnd)
    stream.once('close', onEnd)
    stream.once('error', onEnd)
  }

  #frame (frame: Dockerode.ContainerStats): void {
    if (this.#done) return
    if (isStoppedFrame(frame)) { this.#finish(); return }
    if (!hasPrevious(frame)) return
    const net = networkBytes(frame)
    this.#onSample({
      at: this.#now(),
      running: true,
      cpuPercent: cpuPercent(frame),
      memoryBytes: memoryBytes(frame),
      networkRxBytes: net.rx,
      networkTxBytes: net.tx,
    })
  }

  /** The stream ended or failed without a stopped frame: ask the engine whether the container still runs. */
  #broken (): void {
    if (this.#done) return
    this.#container.inspect().then(
      info => { if (info.State.Running) this.#scheduleOpen(); else this.#finish() },
      err => { if (statusOf(err) === 404) this.#finish(); else this.#scheduleOpen() },
    )
  }

  #scheduleOpen (): void {
    if (this.#done) return
    clearTimeout(this.#reopen)
    this.#reopen = setTimeout(() => { void this.#open() }, REOPEN_MS)
  }

  #finish (): void {
    if (this.#done) return
    this.stop()
    this.#onSample(stoppedSample(this.#now()))
  }
}

function statusOf (err: unknown): number | undefined {
  return typeof err === 'object' && err !== null ? (err as { statusCode?: number }).statusCode : undefined
}
