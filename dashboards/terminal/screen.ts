// The terminal dashboard's screen, on blessed and blessed-contrib: lays out the panels (recomputed on every resize,
// and each chart re-attached, since blessed-contrib sizes its canvas on 'attach'), draws a DashboardView (view.ts),
// shows the help, a yes/no question, or "terminal too small". Keys go to the caller as names.
//
// blessed 0.1.81 compiles every terminfo capability when the screen is made and prints the ones it cannot parse
// (xterm-256color's Setulc) with console.error: that noise is swallowed, and while the screen is up, anything else
// written to a terminal stderr goes to the event log instead of garbling the screen.
import blessed from 'blessed'
import type { Widgets } from 'blessed'
import contrib from 'blessed-contrib'
import type { LineElement, LogElement, TableElement } from 'blessed-contrib'
import type { ChartView, DashboardView } from './view.ts'
import { panelTitles } from './view.ts'

export const MIN_COLS = 80
export const MIN_ROWS = 24
const HEADER_ROWS = 5

export interface ScreenIO {
  readonly input?: NodeJS.ReadableStream
  readonly output?: NodeJS.WritableStream
  /** Lines that were written to stderr while the screen was up (not the terminfo noise). */
  readonly onStderr?: (line: string) => void
}

/** Key names: a printable character as typed ('q', '+', '?'), or 'left', 'right', 'space', 'escape', 'C-c'. */
export type KeyHandler = (key: string) => void

/** Runs `fn` with console.error and process.stderr silenced (blessed's terminfo compiler prints there). */
export function quietly<T> (fn: () => T): T {
  const error = console.error
  const write = process.stderr.write
  console.error = () => {}
  process.stderr.write = (() => true) as typeof process.stderr.write
  try {
    return fn()
  } finally {
    console.error = error
    process.stderr.write = write
  }
}

/** Whether a stderr line is blessed's terminfo noise ("Error on xterm-256color.Setulc", and the code it dumps). */
export function isTerminfoNoise (text: string): boolean {
  return /Error on [\w.+-]+\.\w+|Setulc|\\x1b\[58::?2::/.test(text)
}

interface Panels {
  header: Widgets.BoxElement
  rate: LineElement
  e2e: LineElement
  lag: LineElement
  lagSeconds: LineElement
  mirror: LineElement
  services: TableElement
  fleet: Widgets.BoxElement
  log: LogElement
}

export class DashboardScreen {
  readonly screen: Widgets.Screen
  readonly #panels: Panels
  readonly #tooSmall: Widgets.BoxElement
  readonly #overlay: Widgets.BoxElement
  readonly #restoreStderr: () => void
  #view: DashboardView | undefined
  #small = false
  #fleetSize = { cols: 40, rows: 10 }
  #destroyed = false

  constructor (io: ScreenIO, onKey: KeyHandler) {
    // Box lines as Unicode characters, not through the terminal's alternate character set: blessed would switch
    // to it with SO under TERM=screen (tmux), where the lines then show as 'lqqk'. The ncurses variable blessed reads.
    process.env.NCURSES_NO_UTF8_ACS ??= '1'
    this.screen = quietly(() => blessed.screen(({
      smartCSR: true,
      ...(io.input !== undefined ? { input: io.input } : {}),
      ...(io.output !== undefined ? { output: io.output } : {}),
      title: 'fleetlab',
      warnings: false,
      dockBorders: false,
      fullUnicode: true,
    }) as Widgets.IScreenOptions))
    this.#restoreStderr = captureStderr(io.onStderr)
    const border = { type: 'line' as const }
    const style = { border: { fg: 'cyan' }, label: { fg: 'white' } }
    const line = (label: string): LineElement => contrib.line({
      label: ` ${label} `, border, style: { line: 'yellow', text: 'white', baseline: 'white', border: { fg: 'cyan' } },
      showLegend: true, legend: { width: 20 }, xLabelPadding: 3, xPadding: 5, numYLabels: 4, minY: 0, maxY: 1,
    })
    this.#panels = {
      header: blessed.box({ label: ` ${panelTitles.header} `, border, style, tags: true, wrap: false }),
      rate: line(panelTitles.rate),
      e2e: line(panelTitles.e2e),
      lag: line(panelTitles.lag),
      lagSeconds: line(panelTitles.lagSeconds),
      mirror: line(panelTitles.mirror),
      services: contrib.table({ label: ` ${panelTitles.services} `, border, style, columnWidth: [14, 7, 8], columnSpacing: 2, interactive: false, fg: 'white' }),
      fleet: blessed.box({ label: ` ${panelTitles.fleet} `, border, style, tags: true }),
      log: contrib.log({ label: ` ${panelTitles.log} `, border, style: { border: { fg: 'cyan' } }, tags: true, bufferLength: 200 }),
    }
    for (const p of Object.values(this.#panels) as Widgets.BoxElement[]) this.screen.append(p)
    this.#tooSmall = blessed.box({ top: 'center', left: 'center', width: '100%', height: '100%', tags: true, hidden: true, align: 'center', valign: 'middle' })
    this.#overlay = blessed.box({ top: 'center', left: 'center', width: 60, height: 'shrink', border, tags: true, hidden: true, style: { border: { fg: 'yellow' } }, padding: { left: 1, right: 1 } })
    this.screen.append(this.#tooSmall)
    this.screen.append(this.#overlay)
    this.screen.on('keypress', (ch: string | undefined, key: Widgets.Events.IKeyEventArg | undefined) => {
      const name = key?.full === 'C-c' ? 'C-c' : key?.name === 'left' || key?.name === 'right' || key?.name === 'space' || key?.name === 'escape' ? key.name : ch
      if (name !== undefined && name !== '') onKey(name)
    })
    this.screen.on('resize', () => { this.layout(); this.#drawView(); this.screen.render() })
    this.layout()
  }

  get size (): { cols: number, rows: number } {
    return { cols: Number(this.screen.width), rows: Number(this.screen.height) }
  }

  /** Places every panel for the current size (or the "too small" message), and re-attaches the charts. */
  layout (): void {
    const { cols, rows } = this.size
    this.#small = cols < MIN_COLS || rows < MIN_ROWS
    const all = Object.values(this.#panels) as Widgets.BoxElement[]
    if (this.#small) {
      for (const p of all) p.hide()
      this.#tooSmall.setContent(`{bold}terminal too small{/bold}: ${cols}x${rows}, the dashboard needs ${MIN_COLS}x${MIN_ROWS}\nenlarge the window, or q to leave`)
      this.#tooSmall.show()
      return
    }
    this.#tooSmall.hide()
    for (const p of all) p.show()
    const body = rows - HEADER_ROWS
    const rowA = Math.floor(body * 0.36)
    const rowB = Math.floor(body * 0.28)
    const rowC = body - rowA - rowB
    const half = Math.floor(cols / 2)
    const third = Math.floor(cols / 3)
    const place = (w: Widgets.BoxElement, top: number, left: number, width: number, height: number): void => {
      w.top = top; w.left = left; w.width = width; w.height = height
    }
    const p = this.#panels
    place(p.header, 0, 0, cols, HEADER_ROWS)
    place(p.rate, HEADER_ROWS, 0, half, rowA)
    place(p.e2e, HEADER_ROWS, half, cols - half, rowA)
    place(p.lag, HEADER_ROWS + rowA, 0, third, rowB)
    place(p.lagSeconds, HEADER_ROWS + rowA, third, third, rowB)
    place(p.mirror, HEADER_ROWS + rowA, 2 * third, cols - 2 * third, rowB)
    const top = HEADER_ROWS + rowA + rowB
    const servicesWidth = 36
    const fleetWidth = Math.max(40, Math.floor((cols - servicesWidth) * 0.5))
    place(p.services, top, 0, servicesWidth, rowC)
    place(p.fleet, top, servicesWidth, fleetWidth, rowC)
    this.#fleetSize = { cols: fleetWidth - 2, rows: rowC - 2 }
    place(p.log, top, servicesWidth + fleetWidth, cols - servicesWidth - fleetWidth, rowC)
    // blessed-contrib sizes a chart's canvas (and a table's rows) on 'attach'
    for (const w of [p.rate, p.e2e, p.lag, p.lagSeconds, p.mirror, p.services]) w.emit('attach')
  }

  /** The fleet panel's inside (border not counted), as last laid out. */
  get fleetSize (): { cols: number, rows: number } {
    return this.#fleetSize
  }

  /** How many seconds fit in the widest chart (two braille dots a column). */
  get chartPoints (): number {
    return Math.max(10, (Math.floor(this.size.cols / 2) - 8) * 2)
  }

  draw (view: DashboardView): void {
    if (this.#destroyed) return
    this.#view = view
    this.#drawView()
    this.screen.render()
  }

  #drawView (): void {
    const v = this.#view
    if (v === undefined || this.#small) return
    const p = this.#panels
    p.header.setContent(v.header)
    setChart(p.rate, v.rate)
    setChart(p.e2e, v.e2e)
    setChart(p.lag, v.lag)
    setChart(p.lagSeconds, v.lagSeconds)
    setChart(p.mirror, v.mirror)
    p.services.setData(v.services)
    p.fleet.setContent(v.fleet)
    const lines = v.log.slice(-200)
    p.log.logLines = lines
    p.log.setItems(lines as unknown as Widgets.BlessedElement[])
    p.log.scrollTo(lines.length)
  }

  /** A box over the panels (help, a question); undefined hides it. */
  overlay (text: string | undefined): void {
    if (this.#destroyed) return
    if (text === undefined) this.#overlay.hide()
    else { this.#overlay.setContent(text); this.#overlay.show(); this.#overlay.setFront() }
    this.screen.render()
  }

  /** Leaves the screen and gives the terminal back as it was. Idempotent. */
  destroy (): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.screen.destroy()
    this.#restoreStderr()
  }
}

function setChart (w: LineElement, c: ChartView): void {
  w.setLabel(` ${c.label} `)
  w.options.maxY = c.maxY
  w.setData(c.series)
}

/** While the screen is up, lines written to a terminal stderr go to `onLine` (terminfo noise dropped). */
function captureStderr (onLine: ((line: string) => void) | undefined): () => void {
  if (process.stderr.isTTY !== true) return () => {}
  const write = process.stderr.write
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
    if (!isTerminfoNoise(text)) for (const l of text.split('\n')) if (l.trim() !== '') onLine?.(l)
    const done = rest.find(r => typeof r === 'function') as (() => void) | undefined
    done?.()
    return true
  }) as typeof process.stderr.write
  return () => { process.stderr.write = write }
}
