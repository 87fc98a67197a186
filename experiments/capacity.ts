// "How many devices can my edge hold?": an adaptive workload. It grows the fleet plateau by plateau (x factor or
// + add) until a plateau breaks an SLO, then binary-searches between the last good and the first bad plateau until
// the gap is within `resolution` of the answer, and reports the largest sustainable fleet. EMU-IoT's linear experiment
// stops at a CPU target; here CPU is one SLO among latency, loss, lag growth and registration.
//
// How a plateau is judged (docs/experiments.md, "capacity"). ObservedSecond.tS is the end of the second it describes,
// so second tS covers (tS - 1, tS] seconds after the workload started. Of a plateau [start, end), only the seconds
// after the warmup (plus the cooldown after a broken plateau) are measured. Over those seconds:
// - p99: the worst per-second e2e p99 (no second may break the latency SLO; per-second p99s cannot be merged);
// - loss: (sent - delivered - backlog growth) / sent. At a steady rate, what is in flight at the end of the window
//   balances what was in flight at its start (sent before, delivered inside); records that piled up in the consumer's
//   backlog (consumer lag at the end minus at the start) are late, not lost, and judged by the lag growth SLO;
// - lag slope: least squares slope of the consumer lag, records/s; 'auto' limit: 5 % of the offered rate, at least 10/s;
// - cpu: the mean percent of one core of the named service;
// - registered: mean active / target devices.
// After a plateau that broke, the pipeline holds a backlog (queued datagrams, the bridge's queue, mirror and consumer
// lag) that would spill into the next plateau and fail it too. So a recovery stage comes first: the devices of the
// next plateau join (or leave) but send nothing, until RECOVERY_QUIET_S measured seconds in a row deliver nothing
// (the backlog has drained) or RECOVERY_MAX_MS passes; only then does the next plateau start, with its warmup.
import type { ObservedSecond, Workload, WorkloadPoint } from './contracts.ts'
import type { CapacityWorkloadConfig } from './schema/workloads.ts'

export interface PlateauResult {
  readonly index: number
  readonly phase: string
  readonly devices: number
  readonly startS: number
  readonly endS: number
  /** Seconds that were measured (after warmup). */
  readonly seconds: number
  readonly passed: boolean
  /** Every SLO it broke, e.g. "e2e.p99 812 ms > 500 ms". */
  readonly reasons: readonly string[]
  readonly p99: number | null
  readonly loss: number | null
  readonly lagSlope: number | null
  readonly cpu: number | null
  readonly registered: number | null
  /** After a broken plateau: seconds until the backlog drained (null: not broken, or the search ended). */
  recoveredInS?: number
  /** The recovery ran out of time (RECOVERY_MAX_MS) with records still arriving. */
  recoveryTimedOut?: boolean
}

const RECOVERY_QUIET_S = 2
const RECOVERY_MAX_MS = 120_000

export type CapacityStop = 'resolution' | 'maxDevices' | 'start-breaks' | 'maxPlateaus'

export interface CapacityResult {
  /** Most devices a plateau held with every SLO met; null when even `start` broke. */
  readonly largestSustainable: number | null
  /** Fewest devices a plateau broke at; null when maxDevices held. */
  readonly firstBreaking: number | null
  readonly breakingReason: string | null
  readonly stoppedBecause: CapacityStop | null
  readonly ratePerDevice: number
  readonly plateaus: readonly PlateauResult[]
}

interface Plateau {
  readonly index: number
  readonly phase: string
  readonly devices: number
  readonly startMs: number
  readonly endMs: number
  readonly measureFromMs: number
}

/** Least squares slope of y over x; null with fewer than 3 points. */
export function slope (points: ReadonlyArray<readonly [number, number]>): number | null {
  const n = points.length
  if (n < 3) return null
  let sx = 0; let sy = 0
  for (const [x, y] of points) { sx += x; sy += y }
  const mx = sx / n; const my = sy / n
  let sxy = 0; let sxx = 0
  for (const [x, y] of points) { sxy += (x - mx) * (y - my); sxx += (x - mx) ** 2 }
  return sxx === 0 ? null : sxy / sxx
}

const pct = (f: number): string => `${Number((f * 100).toPrecision(3))}%`

export class CapacitySearch implements Workload {
  readonly durationMs = undefined
  readonly #c: CapacityWorkloadConfig
  #current: Plateau
  #measured: ObservedSecond[] = []
  #results: PlateauResult[] = []
  #good: number | null = null
  #bad: { devices: number, reason: string } | null = null
  #grown = 0
  #searched = 0
  #stopped: CapacityStop | null = null
  #lastAtMs = 0
  /** The recovery stage before `pending` starts (after a broken plateau). */
  #recovery: { readonly phase: string, readonly startMs: number, quiet: number, readonly pending: Omit<Plateau, 'startMs' | 'endMs' | 'measureFromMs'> } | null = null

  constructor (config: CapacityWorkloadConfig) {
    this.#c = config
    this.#grown = 1
    this.#current = this.#plateau(0, `grow-1`, config.start, 0, false)
  }

  #plateau (index: number, phase: string, devices: number, startMs: number, afterBreak: boolean): Plateau {
    const extra = afterBreak ? this.#c.cooldownMs : 0
    return { index, phase, devices, startMs, endMs: startMs + this.#c.stepMs + extra, measureFromMs: startMs + this.#c.warmupMs + extra }
  }

  at (tMs: number): WorkloadPoint {
    if (tMs > this.#lastAtMs) this.#lastAtMs = tMs
    const r = this.#recovery
    if (r !== null && this.#stopped === null) return { phase: r.phase, devices: r.pending.devices, ratePerDevice: 0 }
    const p = this.#current
    return { phase: this.#stopped === null ? p.phase : 'done', devices: p.devices, ratePerDevice: this.#c.ratePerDevice }
  }

  observe (second: ObservedSecond): void {
    if (this.#stopped !== null) return
    if (this.#recovery !== null) return this.#recover(second)
    const p = this.#current
    const fromS = second.tS - 1
    if (fromS * 1000 >= p.measureFromMs && second.tS * 1000 <= p.endMs) this.#measured.push(second)
    if (second.tS * 1000 >= p.endMs) this.#next(second.tS * 1000)
  }

  done (): boolean {
    return this.#stopped !== null
  }

  /** The plateau being run now (for progress lines). */
  get plateau (): { readonly index: number, readonly phase: string, readonly devices: number } {
    return this.#current
  }

  result (): Record<string, unknown> & CapacityResult {
    return {
      largestSustainable: this.#good,
      firstBreaking: this.#bad?.devices ?? null,
      breakingReason: this.#bad?.reason ?? null,
      stoppedBecause: this.#stopped,
      ratePerDevice: this.#c.ratePerDevice,
      plateaus: this.#results,
    }
  }

  /** Judges the plateau that just ended and picks the next one. */
  #next (nowMs: number): void {
    const p = this.#current
    const r = this.evaluate(p, this.#measured)
    this.#results.push(r)
    this.#measured = []
    if (r.passed) this.#good = Math.max(this.#good ?? 0, p.devices)
    else if (this.#bad === null || p.devices < this.#bad.devices) this.#bad = { devices: p.devices, reason: r.reasons.join('; ') }

    let devices: number | undefined
    let phase = ''
    const searching = this.#bad !== null
    if (!searching) {
      if (p.devices >= this.#c.maxDevices) return this.#stop('maxDevices')
      const g = this.#c.growth
      devices = Math.min(this.#c.maxDevices, Math.max(p.devices + 1, 'factor' in g ? Math.ceil(p.devices * g.factor) : p.devices + g.add))
      phase = `grow-${++this.#grown}`
    } else {
      if (this.#good === null) return this.#stop('start-breaks')
      const good = this.#good
      const bad = this.#bad!.devices
      if (bad - good <= Math.max(1, this.#c.resolution * good)) return this.#stop('resolution')
      devices = Math.round((good + bad) / 2)
      phase = `search-${++this.#searched}`
    }
    if (this.#results.length >= this.#c.maxPlateaus) return this.#stop('maxPlateaus')
    const next = { index: p.index + 1, phase, devices }
    if (!r.passed) {
      this.#recovery = { phase: `recover-${p.index + 1}`, startMs: this.#wholeSecond(p.endMs, nowMs), quiet: 0, pending: next }
      return
    }
    this.#current = this.#plateau(next.index, next.phase, next.devices, this.#wholeSecond(p.endMs, nowMs), false)
  }

  /** Plateaus start on whole seconds, once the runner has seen the end of the last stage (it may ask at() late). */
  #wholeSecond (endMs: number, nowMs: number): number {
    return Math.max(endMs, nowMs, Math.ceil(this.#lastAtMs / 1000) * 1000)
  }

  #recover (second: ObservedSecond): void {
    const r = this.#recovery!
    // the first second after the rate went to 0 may still carry sends; count quiet seconds from the next one
    if ((second.tS - 1) * 1000 < r.startMs + 1000) return
    r.quiet = second.sent === 0 && second.delivered === 0 ? r.quiet + 1 : 0
    const elapsedMs = second.tS * 1000 - r.startMs
    if (r.quiet < RECOVERY_QUIET_S && elapsedMs < RECOVERY_MAX_MS) return
    const broken = this.#results[this.#results.length - 1]!
    broken.recoveredInS = elapsedMs / 1000
    if (r.quiet < RECOVERY_QUIET_S) broken.recoveryTimedOut = true
    this.#recovery = null
    this.#current = this.#plateau(r.pending.index, r.pending.phase, r.pending.devices, this.#wholeSecond(second.tS * 1000, second.tS * 1000), true)
  }

  #stop (why: CapacityStop): void {
    this.#stopped = why
  }

  /** One plateau's verdict from its measured seconds (public for tests and for reports that re-judge a run). */
  evaluate (p: Pick<Plateau, 'index' | 'phase' | 'devices' | 'startMs' | 'endMs'>, seconds: readonly ObservedSecond[]): PlateauResult {
    const slo = this.#c.slo
    const reasons: string[] = []
    let sent = 0; let delivered = 0; let active = 0
    let p99: number | null = null
    const lag: Array<[number, number]> = []
    const cpus: number[] = []
    for (const s of seconds) {
      sent += s.sent
      delivered += s.delivered
      active += s.devicesActive
      if (s.e2eP99Ms !== undefined && Number.isFinite(s.e2eP99Ms)) p99 = Math.max(p99 ?? 0, s.e2eP99Ms)
      if (s.consumerLag !== undefined) lag.push([s.tS, s.consumerLag])
      const c = slo.cpu === undefined ? undefined : s.cpuPercent[slo.cpu.service]
      if (c !== undefined) cpus.push(c)
    }
    const n = seconds.length
    // Records that went into the consumer's backlog during the window are late, not lost (lag growth judges them).
    const queued = lag.length < 2 ? 0 : Math.max(0, lag[lag.length - 1]![1] - lag[0]![1])
    const loss = sent > 0 ? Math.max(0, sent - delivered - queued) / sent : null
    const lagSlope = slope(lag)
    const cpu = cpus.length === 0 ? null : cpus.reduce((a, b) => a + b, 0) / cpus.length
    const registered = n === 0 ? null : active / n / p.devices
    if (n === 0) reasons.push('no measured seconds (the runner reported none after the warmup)')
    else if (sent === 0) reasons.push('nothing was sent')
    if (n > 0 && registered !== null && registered < slo.registered) reasons.push(`registered ${Math.round(active / n)} of ${p.devices} devices (${pct(registered)} < ${pct(slo.registered)})`)
    if (slo.e2eP99Ms !== undefined && sent > 0) {
      if (p99 === null) reasons.push('e2e.p99: no latency measured (nothing delivered)')
      else if (p99 > slo.e2eP99Ms) reasons.push(`e2e.p99 ${Math.round(p99)} ms > ${slo.e2eP99Ms} ms`)
    }
    if (slo.loss !== undefined && loss !== null && loss > slo.loss) reasons.push(`loss ${pct(loss)} > ${pct(slo.loss)}`)
    if (slo.lagGrowth !== undefined && lagSlope !== null) {
      const limit = slo.lagGrowth.maxSlope === 'auto' ? Math.max(10, 0.05 * p.devices * this.#c.ratePerDevice) : slo.lagGrowth.maxSlope
      if (lagSlope > limit) reasons.push(`consumer lag grows ${Math.round(lagSlope)} records/s > ${Math.round(limit)}/s`)
    }
    if (slo.cpu !== undefined && n > 0) {
      if (cpu === null) {
        const seen = [...new Set(seconds.flatMap(s => Object.keys(s.cpuPercent)))]
        reasons.push(`cpu: no samples of ${slo.cpu.service} (services seen: ${seen.join(', ') || 'none'})`)
      } else if (cpu >= slo.cpu.belowPercent) reasons.push(`cpu of ${slo.cpu.service} ${Math.round(cpu)}% >= ${slo.cpu.belowPercent}%`)
    }
    return {
      index: p.index, phase: p.phase, devices: p.devices, startS: p.startMs / 1000, endS: p.endMs / 1000, seconds: n,
      passed: reasons.length === 0, reasons, p99, loss, lagSlope, cpu, registered,
    }
  }
}

export function capacityWorkload (config: CapacityWorkloadConfig): CapacitySearch {
  return new CapacitySearch(config)
}
