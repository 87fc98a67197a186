// Keys, refresh and the screen's life for every use of the terminal dashboard: a live run (output.ts), a replay
// with a time cursor, a followed run folder (replay.ts). The screen is redrawn at most once per refresh period, and
// only when something changed: the stream's add/event calls stay cheap.
import type { ThresholdUnitOf } from './format.ts'
import { DashboardScreen } from './screen.ts'
import type { ScreenIO } from './screen.ts'
import type { DashboardMetricNames } from '../second.ts'
import type { DashboardState } from './state.ts'
import { buildView } from './view.ts'
import type { CursorView } from './view.ts'

export const DEFAULT_REFRESH_MS = 1000

/** A replay's time cursor, moved by the keys. */
export interface CursorControls {
  view (): CursorView
  step (seconds: number): void
  togglePlay (): void
  faster (): void
  slower (): void
}

export interface ControllerOptions {
  readonly io?: ScreenIO
  readonly names: DashboardMetricNames
  readonly unitOf: ThresholdUnitOf
  readonly refreshMs?: number
  /** Given during a live run: q asks "abort the run? y/n" and y calls it. */
  readonly abort?: (reason: string) => void
  /** The screen was left (q, or y to the question). */
  readonly onLeave?: () => void
  /** Ctrl-C (the screen takes the terminal raw, so no SIGINT comes): default, leave. */
  readonly onInterrupt?: () => void
  readonly cursor?: CursorControls
}

export const helpText = (live: boolean, replay: boolean): string => [
  '{bold}keys{/bold}',
  `  q      leave the dashboard${live ? ' (asks before aborting the run)' : ''}`,
  '  p      pause / resume the view',
  '  l      log scale for the latency chart',
  ...(replay ? ['  ← →    move the time cursor one second (H L: ten)', '  space  play / stop the replay', '  + -    replay speed'] : []),
  '  ?      this help (any key closes it)',
].join('\n')

export class DashboardController {
  readonly #o: ControllerOptions
  readonly #state: () => DashboardState
  #screen: DashboardScreen | undefined
  #timer: NodeJS.Timeout | undefined
  #dirty = true
  #paused = false
  #logScale = false
  #mode: 'normal' | 'help' | 'ask' = 'normal'
  #left = false

  constructor (state: () => DashboardState, o: ControllerOptions) {
    this.#state = state
    this.#o = o
  }

  get open (): boolean { return this.#screen !== undefined }
  get paused (): boolean { return this.#paused }
  get logScale (): boolean { return this.#logScale }

  /** Takes the terminal and starts the refresh. */
  show (): void {
    if (this.#screen !== undefined || this.#left) return
    this.#screen = new DashboardScreen({
      ...this.#o.io,
      onStderr: line => { this.#state().line(line, 'error'); this.changed() },
    }, key => { this.key(key) })
    this.#timer = setInterval(() => { if (this.#dirty) this.render() }, this.#o.refreshMs ?? DEFAULT_REFRESH_MS)
    this.render()
  }

  /** Something to show changed; drawn at the next refresh. */
  changed (): void { this.#dirty = true }

  /** Draws now (unless paused; a key's effect is drawn at once). */
  render (force = false): void {
    const screen = this.#screen
    if (screen === undefined || (this.#paused && !force)) return
    this.#dirty = false
    const cursor = this.#o.cursor?.view()
    screen.draw(buildView(this.#state(), {
      logScale: this.#logScale, points: screen.chartPoints, width: screen.size.cols, fleetSize: screen.fleetSize, paused: this.#paused,
      unitOf: this.#o.unitOf, names: this.#o.names, ...(cursor !== undefined ? { cursor } : {}),
    }))
  }

  key (key: string): void {
    const screen = this.#screen
    if (screen === undefined) return
    if (this.#mode === 'help') { this.#mode = 'normal'; screen.overlay(undefined); return }
    if (this.#mode === 'ask') {
      if (key === 'y' || key === 'Y') { this.close(); this.#o.abort?.('q in the dashboard'); this.#o.onLeave?.() } else if (key === 'n' || key === 'N' || key === 'escape' || key === 'q') { this.#mode = 'normal'; screen.overlay(undefined) }
      return
    }
    const c = this.#o.cursor
    switch (key) {
      case 'q':
        if (this.#o.abort !== undefined && this.#state().live) {
          this.#mode = 'ask'
          screen.overlay('{bold}abort the run?{/bold} y/n\n(y: the run drains, writes its partial results and stops the platform)')
        } else { this.close(); this.#o.onLeave?.() }
        return
      case 'C-c':
        if (this.#o.onInterrupt !== undefined) this.#o.onInterrupt()
        else { this.close(); this.#o.onLeave?.() }
        return
      case '?': this.#mode = 'help'; screen.overlay(helpText(this.#o.abort !== undefined, c !== undefined)); return
      case 'p': this.#paused = !this.#paused; this.render(true); return
      case 'l': this.#logScale = !this.#logScale; this.render(true); return
    }
    if (c === undefined) return
    if (key === 'left') c.step(-1)
    else if (key === 'right') c.step(1)
    else if (key === 'H') c.step(-10)
    else if (key === 'L') c.step(10)
    else if (key === 'space' || key === ' ') c.togglePlay()
    else if (key === '+' || key === '=') c.faster()
    else if (key === '-' || key === '_') c.slower()
    else return
    this.render(true)
  }

  /** Gives the terminal back (idempotent); nothing is drawn after. */
  close (): void {
    this.#left = true
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    this.#screen?.destroy()
    this.#screen = undefined
  }
}
