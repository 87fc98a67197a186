// Pass/fail conditions on the run summary: `thresholds: { 'e2e.p99': '<500ms', loss: '==0', 'rate.accuracy': '>99%' }`.
// Values are normalised when parsed (ms for latencies, fractions for ratios, plain numbers for counts), so the runner
// compares numbers and the summary shows the condition as written. (k6 thresholds, artillery `ensure`.)
import type { Threshold } from './contracts.ts'
import { parseDuration, parsePercent } from '../lib/units.ts'

export type MetricUnit = 'ms' | 'fraction' | 'count'

/** The metrics the runner computes from the run summary, and the unit of each. */
export const thresholdMetrics = {
  'e2e.p50': 'ms',
  'e2e.p95': 'ms',
  'e2e.p99': 'ms',
  'e2e.p999': 'ms',
  'e2e.max': 'ms',
  'e2e.mean': 'ms',
  'lateness.p99': 'ms',
  /** Lost / sent. */
  loss: 'fraction',
  lost: 'count',
  duplicates: 'count',
  /** Late sends / sends. */
  late: 'fraction',
  errors: 'count',
  /** Achieved / target send rate. */
  'rate.accuracy': 'fraction',
  delivered: 'count',
  sent: 'count',
  /** Highest consumer lag seen, records. */
  'lag.max': 'count',
} as const satisfies Record<string, MetricUnit>

export type ThresholdMetric = keyof typeof thresholdMetrics

const CONDITION = /^\s*(<=|>=|==|<|>)\s*(\S.*?)\s*$/

/** One condition (`<500ms`) of a metric; a problem message (without the path) when it is wrong. */
export function parseCondition (metric: string, text: unknown): { threshold?: Threshold, problem?: string } {
  const unit = (thresholdMetrics as Record<string, MetricUnit>)[metric]
  if (unit === undefined) return { problem: `unknown metric (known: ${Object.keys(thresholdMetrics).join(', ')})` }
  const example = unit === 'ms' ? '<500ms' : unit === 'fraction' ? '<0.001 or <0.1%' : '==0 or <10'
  if (typeof text !== 'string') return { problem: `expected a condition such as "${example}", got ${JSON.stringify(text)}` }
  const m = CONDITION.exec(text)
  if (m === null) return { problem: `expected a condition such as "${example}" (operators < <= > >= ==), got ${JSON.stringify(text)}` }
  const op = m[1] as Threshold['op']
  const raw = m[2]!
  let value: number | undefined
  if (unit === 'ms') {
    // A bare number is seconds to parseDuration but milliseconds to most readers: ask for the unit instead of guessing.
    value = /[a-z]\s*$/i.test(raw) ? parseDuration(raw) : undefined
    if (value === undefined) return { problem: `expected a latency with its unit such as "${op}500ms" or "${op}1s", got ${JSON.stringify(text)}` }
  } else if (unit === 'fraction') {
    value = parsePercent(raw)
    if (value === undefined) return { problem: `expected a fraction or percentage such as "${op}0.001" or "${op}99%", got ${JSON.stringify(text)}` }
  } else {
    const t = raw.replace(/_/g, '')
    value = /^[0-9]+(\.[0-9]+)?$/.test(t) ? Number(t) : undefined
    if (value === undefined) return { problem: `expected a non-negative number such as "${op}0", got ${JSON.stringify(text)}` }
  }
  return { threshold: { metric, op, value, source: `${metric} ${op} ${raw}` } }
}

/** Every threshold of a `thresholds` object, with every problem keyed by its metric. */
export function parseThresholds (input: Readonly<Record<string, unknown>>): { thresholds: Threshold[], problems: Array<{ metric: string, message: string }> } {
  const thresholds: Threshold[] = []
  const problems: Array<{ metric: string, message: string }> = []
  for (const [metric, text] of Object.entries(input)) {
    // Several conditions on one metric: { 'e2e.p99': ['<500ms', '>0ms'] }
    for (const one of Array.isArray(text) ? text : [text]) {
      const r = parseCondition(metric, one)
      if (r.threshold !== undefined) thresholds.push(r.threshold)
      else problems.push({ metric, message: r.problem! })
    }
  }
  return { thresholds, problems }
}

export interface ThresholdResult {
  readonly metric: string
  readonly source: string
  /** The measured value (ms, fraction or count); null when the run produced none. */
  readonly value: number | null
  readonly passed: boolean
  /** Why it failed without a comparison ("not measured"). */
  readonly note?: string
}

export function compare (value: number, op: Threshold['op'], limit: number): boolean {
  switch (op) {
    case '<': return value < limit
    case '<=': return value <= limit
    case '>': return value > limit
    case '>=': return value >= limit
    case '==': return value === limit
  }
}

/** Each threshold against the run's metrics; a metric with no (finite) value fails, saying so. */
export function evaluateThresholds (thresholds: readonly Threshold[], metrics: Readonly<Record<string, number | undefined>>): ThresholdResult[] {
  return thresholds.map(t => {
    const v = metrics[t.metric]
    if (v === undefined || !Number.isFinite(v)) return { metric: t.metric, source: t.source, value: null, passed: false, note: 'not measured in this run' }
    return { metric: t.metric, source: t.source, value: v, passed: compare(v, t.op, t.value) }
  })
}
