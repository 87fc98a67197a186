// The outputs `fleetlab run --out <name>[=<arg>]` can add, by name (results/outputs/contract.ts is their contract).
// The run folder's files are always written; the progress line is on unless the dashboard takes the terminal
// (cli/run.ts decides: the dashboard is the default at a terminal).
// An output is added here with its name, what its argument means, and a factory.
import { InvalidConfigError } from '../lib/errors.ts'
import type { Output } from '../results/outputs/contract.ts'
import { progressOutput } from '../results/outputs/progress.ts'
import { WebOutput } from '../dashboards/web/output.ts'
import { DashboardOutput } from '../dashboards/terminal/output.ts'
import { dashboardNames, thresholdUnitOf } from './dashboard-names.ts'
import { listenArg } from './options.ts'
import { createPrometheusOutput } from './prometheus-output.ts'

export interface OutputContext {
  /** Lines for the person watching (stderr, or the dashboard's log). */
  readonly progress: (line: string) => void
  /** Ends the run as Ctrl-C does (partial results, platform stopped). */
  readonly abort: (reason: string) => void
}

export interface OutputKind {
  /** What the argument after `=` is, for --help and errors; undefined: takes none. */
  readonly arg: string | undefined
  readonly description: string
  create (arg: string | undefined, ctx: OutputContext): Output
}

export const outputKinds: Record<string, OutputKind> = {
  progress: {
    arg: undefined,
    description: 'one line a second on stderr (the default when the dashboard is not shown)',
    create: (_arg, ctx) => progressOutput(ctx.progress),
  },
  dashboard: {
    arg: undefined,
    description: 'the live terminal dashboard (the default when stdin and stdout are a terminal; --no-dashboard: the progress line)',
    create: (_arg, ctx) => new DashboardOutput({ names: dashboardNames, unitOf: thresholdUnitOf, abort: ctx.abort }),
  },
  web: {
    arg: '[host]:port',
    description: 'a live web view at http://127.0.0.1:<port>/ (default :5665), saved as web-dashboard.html in the run folder',
    create: (arg, ctx) => new WebOutput(listenArg('--out web', arg, ':5665'), ctx.progress, dashboardNames),
  },
  prometheus: {
    arg: '[host]:port',
    description: 'GET /metrics for Prometheus at [host]:port (default :9464, which dashboards/prometheus.yml scrapes; host default 127.0.0.1)',
    create: arg => createPrometheusOutput(listenArg('--out prometheus', arg, ':9464')),
  },
}

export interface OutputChoice {
  readonly name: string
  readonly arg: string | undefined
}

/** Parses `--out` values: `name` or `name=arg`; an unknown name or a missing/unexpected argument is an error. */
export function parseOutputs (values: readonly string[]): OutputChoice[] {
  const problems: string[] = []
  const out: OutputChoice[] = []
  for (const v of values) {
    const eq = v.indexOf('=')
    const name = eq < 0 ? v : v.slice(0, eq)
    const arg = eq < 0 ? undefined : v.slice(eq + 1)
    const kind = outputKinds[name]
    if (kind === undefined) { problems.push(`--out ${v}: unknown output ${JSON.stringify(name)} (known: ${Object.keys(outputKinds).join(', ')})`); continue }
    if (kind.arg === undefined && arg !== undefined) { problems.push(`--out ${v}: ${name} takes no argument`); continue }
    if (out.some(o => o.name === name)) { problems.push(`--out ${v}: ${name} given twice`); continue }
    out.push({ name, arg })
  }
  if (problems.length > 0) throw new InvalidConfigError(problems)
  return out
}

/** `--out` help: every output with its argument. */
export function outputsHelp (): string {
  return Object.entries(outputKinds).map(([name, k]) => `  ${`${name}${k.arg === undefined ? '' : `=${k.arg}`}`.padEnd(22)} ${k.description}`).join('\n')
}
