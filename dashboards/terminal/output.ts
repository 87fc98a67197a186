// `fleetlab run` on a terminal: the dashboard as an output of the run's stream (results/outputs/contract.ts). It
// keeps the bounded state (state.ts), and the controller redraws at most once a second. Progress lines and stderr
// go to its event log while the screen is up; once it is left (q, then y) or the run ended, the terminal is as it
// was and lines go back to stderr. stop() gives the terminal back before the caller prints the summary.
import type { Output, RunEnd, RunSecond, RunStart } from '../../results/outputs/contract.ts'
import type { RunEvent } from '../../results/run-format.ts'
import { DashboardController } from './controller.ts'
import type { ThresholdUnitOf } from './format.ts'
import type { ScreenIO } from './screen.ts'
import { fromRunSecond } from '../second.ts'
import type { DashboardMetricNames } from '../second.ts'
import { DashboardState } from './state.ts'
import type { DashboardRunInfo } from './state.ts'

export interface DashboardOutputOptions {
  readonly names: DashboardMetricNames
  readonly unitOf: ThresholdUnitOf
  /** Ends the run (q then y, or Ctrl-C: the screen holds the terminal raw, so no SIGINT comes). */
  readonly abort: (reason: string) => void
  readonly io?: ScreenIO
  readonly refreshMs?: number
}

export class DashboardOutput implements Output {
  readonly name = 'dashboard'
  readonly #o: DashboardOutputOptions
  #state: DashboardState = new DashboardState(emptyInfo())
  #controller: DashboardController | undefined
  #left = false

  constructor (options: DashboardOutputOptions) {
    this.#o = options
  }

  /** Whether the screen is up (lines for the person go to its log, not to stderr). */
  get showing (): boolean { return this.#controller?.open === true }

  get state (): DashboardState { return this.#state }

  /** A progress line: into the event log while the screen is up (true), else false (the caller prints it). */
  line (text: string): boolean {
    if (!this.showing) return false
    this.#state.line(text)
    this.#controller?.changed()
    return true
  }

  start (run: RunStart): void {
    this.#state = new DashboardState({
      runId: run.meta.runId,
      experiment: run.meta.experiment.name,
      kind: run.meta.experiment.kind,
      plannedWorkloadMs: run.plannedWorkloadMs,
      services: run.services,
      thresholds: [],
    })
    if (this.#left) return
    this.#controller = new DashboardController(() => this.#state, {
      names: this.#o.names,
      unitOf: this.#o.unitOf,
      ...(this.#o.io !== undefined ? { io: this.#o.io } : {}),
      ...(this.#o.refreshMs !== undefined ? { refreshMs: this.#o.refreshMs } : {}),
      abort: reason => { this.#left = true; this.#o.abort(reason) },
      onLeave: () => { this.#left = true },
      onInterrupt: () => { this.#left = true; this.#controller?.close(); this.#o.abort('SIGINT') },
    })
    this.#controller.show()
  }

  add (second: RunSecond): void {
    this.#state.second(fromRunSecond(second, this.#o.names))
    this.#controller?.changed()
  }

  event (e: RunEvent): void {
    this.#state.event(e)
    this.#controller?.changed()
  }

  stop (end: RunEnd): void {
    this.#state.end(end.summary, end.meta.thresholds)
    this.#controller?.render(true)
    this.close()
  }

  /** Gives the terminal back (idempotent). */
  close (): void {
    this.#left = true
    this.#controller?.close()
  }
}

function emptyInfo (): DashboardRunInfo {
  return { runId: '', experiment: '', kind: '', plannedWorkloadMs: undefined, services: [], thresholds: [] }
}
