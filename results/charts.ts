// Small SVG line charts for the report and compare pages: axes with round ticks, a legend, one polyline per series
// (broken where a second had no sample), optionally a right-hand axis. Self-contained SVG (no fonts or scripts
// fetched), so the same text is inlined in HTML and rendered to PNG by headless Chromium.

export interface Series {
  name: string
  /** [x, y]; y null = no sample (a gap in the line). */
  points: ReadonlyArray<readonly [number, number | null]>
  axis?: 'left' | 'right'
  color?: string
  dashed?: boolean
}

export interface ChartSpec {
  /** File name of its PNG (charts/<name>.png) and the id in the page. */
  name: string
  title: string
  xLabel: string
  yLabel: string
  y2Label?: string
  series: Series[]
  width?: number
  height?: number
}

export const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22']
const FONT = 'font-family="DejaVu Sans, Arial, Helvetica, sans-serif"'

export function escapeXml (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** About `count` round tick values (1, 2, 2.5, 5 x 10^k) covering [min, max]. */
export function niceTicks (min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1]
  if (max === min) { max = min === 0 ? 1 : min + Math.abs(min) * 0.5; min = min === 0 ? 0 : min - Math.abs(min) * 0.5 }
  const raw = (max - min) / Math.max(1, count)
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = ([1, 2, 2.5, 5, 10].find(m => m * mag >= raw) ?? 10) * mag
  const first = Math.floor(min / step) * step
  const ticks: number[] = []
  for (let v = first; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)))
  return ticks
}

/** 1500 -> 1.5k, 2000000 -> 2M, 0.25 -> 0.25. */
export function formatTick (v: number): string {
  const a = Math.abs(v)
  if (a >= 1e9) return `${trim(v / 1e9)}G`
  if (a >= 1e6) return `${trim(v / 1e6)}M`
  if (a >= 1e4) return `${trim(v / 1e3)}k`
  return trim(v)
}

function trim (v: number): string {
  return String(Number(v.toFixed(2)))
}

interface Scale { ticks: number[], at: (v: number) => number }

function linear (values: number[], from: number, to: number, zeroBased: boolean): Scale {
  let lo = values.length === 0 ? 0 : Math.min(...values)
  const hi = values.length === 0 ? 1 : Math.max(...values)
  if (zeroBased && lo > 0) lo = 0
  const ticks = niceTicks(lo, hi)
  const t0 = ticks[0]!
  const t1 = ticks[ticks.length - 1]!
  return { ticks, at: v => from + (v - t0) / (t1 - t0 || 1) * (to - from) }
}

/** An SVG document (with its xmlns) drawing the chart. */
export function lineChart (spec: ChartSpec): string {
  const W = spec.width ?? 800
  const H = spec.height ?? 320
  const hasRight = spec.series.some(s => s.axis === 'right')
  const m = { left: 64, right: hasRight ? 64 : 24, top: 56, bottom: 46 }
  const plot = { x0: m.left, x1: W - m.right, y0: H - m.bottom, y1: m.top }
  const valuesOf = (axis: 'left' | 'right'): number[] => spec.series.filter(s => (s.axis ?? 'left') === axis)
    .flatMap(s => s.points.map(p => p[1]).filter((y): y is number => y !== null && Number.isFinite(y)))
  const xs = spec.series.flatMap(s => s.points.map(p => p[0]))
  const x = linear(xs, plot.x0, plot.x1, true)
  const yl = linear(valuesOf('left'), plot.y0, plot.y1, true)
  const yr = linear(valuesOf('right'), plot.y0, plot.y1, true)
  const px = (v: number): string => v.toFixed(1)
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" class="chart" id="chart-${escapeXml(spec.name)}" ${FONT} font-size="12">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${m.left}" y="20" font-size="15" font-weight="bold" fill="#222">${escapeXml(spec.title)}</text>`,
  ]
  // grid and ticks
  out.push('<g class="grid" stroke="#e5e5e5" stroke-width="1">')
  for (const t of yl.ticks) out.push(`<line x1="${plot.x0}" x2="${plot.x1}" y1="${px(yl.at(t))}" y2="${px(yl.at(t))}"/>`)
  out.push('</g>', '<g class="axis" fill="#444">')
  for (const t of yl.ticks) out.push(`<text x="${plot.x0 - 6}" y="${px(yl.at(t) + 4)}" text-anchor="end">${formatTick(t)}</text>`)
  for (const t of x.ticks) {
    out.push(`<line x1="${px(x.at(t))}" x2="${px(x.at(t))}" y1="${plot.y0}" y2="${plot.y0 + 5}" stroke="#444"/>`,
      `<text x="${px(x.at(t))}" y="${plot.y0 + 18}" text-anchor="middle">${formatTick(t)}</text>`)
  }
  if (hasRight) for (const t of yr.ticks) out.push(`<text x="${plot.x1 + 6}" y="${px(yr.at(t) + 4)}">${formatTick(t)}</text>`)
  out.push(`<line x1="${plot.x0}" x2="${plot.x1}" y1="${plot.y0}" y2="${plot.y0}" stroke="#444"/>`,
    `<line x1="${plot.x0}" x2="${plot.x0}" y1="${plot.y0}" y2="${plot.y1}" stroke="#444"/>`,
    ...(hasRight ? [`<line x1="${plot.x1}" x2="${plot.x1}" y1="${plot.y0}" y2="${plot.y1}" stroke="#444"/>`] : []),
    `<text x="${(plot.x0 + plot.x1) / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
    `<text transform="translate(14 ${(plot.y0 + plot.y1) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`,
    ...(hasRight && spec.y2Label !== undefined ? [`<text transform="translate(${W - 10} ${(plot.y0 + plot.y1) / 2}) rotate(90)" text-anchor="middle">${escapeXml(spec.y2Label)}</text>`] : []),
    '</g>')
  // lines
  const anyData = spec.series.some(s => s.points.some(p => p[1] !== null))
  if (!anyData) out.push(`<text x="${(plot.x0 + plot.x1) / 2}" y="${(plot.y0 + plot.y1) / 2}" text-anchor="middle" fill="#888">no data</text>`)
  spec.series.forEach((s, i) => {
    const color = s.color ?? palette[i % palette.length]!
    const y = s.axis === 'right' ? yr : yl
    const dash = s.dashed === true ? ' stroke-dasharray="6 4"' : ''
    out.push(`<g class="series" data-series="${escapeXml(s.name)}">`)
    for (const run of segments(s.points)) {
      if (run.length === 1) {
        out.push(`<circle cx="${px(x.at(run[0]![0]))}" cy="${px(y.at(run[0]![1]))}" r="2" fill="${color}"/>`)
      } else {
        out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.8"${dash} stroke-linejoin="round" points="${run.map(([a, b]) => `${px(x.at(a))},${px(y.at(b))}`).join(' ')}"/>`)
      }
    }
    out.push('</g>')
  })
  // legend, in a row under the title
  let lx = m.left
  out.push('<g class="legend" fill="#222">')
  spec.series.forEach((s, i) => {
    const color = s.color ?? palette[i % palette.length]!
    const label = s.axis === 'right' && spec.series.some(o => o.axis !== 'right') ? `${s.name} (right axis)` : s.name
    out.push(`<line x1="${lx}" x2="${lx + 18}" y1="38" y2="38" stroke="${color}" stroke-width="3"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${lx + 22}" y="42">${escapeXml(label)}</text>`)
    lx += 22 + label.length * 7 + 18
  })
  out.push('</g>', '</svg>')
  return out.join('\n')
}

/** Runs of consecutive points with a value. */
function segments (points: ReadonlyArray<readonly [number, number | null]>): Array<Array<[number, number]>> {
  const runs: Array<Array<[number, number]>> = []
  let cur: Array<[number, number]> = []
  for (const [a, b] of points) {
    if (b === null || !Number.isFinite(b)) { if (cur.length > 0) runs.push(cur); cur = [] } else cur.push([a, b])
  }
  if (cur.length > 0) runs.push(cur)
  return runs
}
