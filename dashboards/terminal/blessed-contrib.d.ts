// The few blessed-contrib 4.11 widgets the terminal dashboard uses (the package ships no types; @types has none).
declare module 'blessed-contrib' {
  import type { Widgets } from 'blessed'

  interface LineSeries { title: string, x: string[], y: number[], style?: { line?: string } }
  interface LineOptions extends Widgets.BoxOptions {
    showLegend?: boolean
    legend?: { width?: number }
    minY?: number
    maxY?: number
    xLabelPadding?: number
    xPadding?: number
    numYLabels?: number
    wholeNumbersOnly?: boolean
    showNthLabel?: number
    abbreviate?: boolean
    style?: { line?: string, text?: string, baseline?: string, border?: { fg?: string } }
  }
  interface LineElement extends Widgets.BoxElement {
    options: LineOptions
    setData (data: LineSeries[]): void
  }
  interface TableOptions extends Widgets.BoxOptions {
    columnWidth: number[]
    columnSpacing?: number
    interactive?: boolean
    fg?: string
    selectedFg?: string
    selectedBg?: string
  }
  interface TableElement extends Widgets.BoxElement {
    options: TableOptions
    setData (data: { headers: string[], data: string[][] }): void
  }
  interface LogOptions extends Widgets.ListOptions<Widgets.ListElementStyle> { bufferLength?: number }
  interface LogElement extends Widgets.ListElement {
    logLines: string[]
    log (line: string): void
  }

  export function line (options: LineOptions): LineElement
  export function table (options: TableOptions): TableElement
  export function log (options: LogOptions): LogElement
}
