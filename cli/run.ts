// `fleetlab run <experiment>`: loads and validates the experiment file (every problem at once, exit 2, nothing
// started), runs it (progress once a second on stderr; --out adds outputs, cli/outputs.ts), writes results/runs/<run-id>/ and prints the end-of-run
// summary on stdout. Exit codes: 0 done and every threshold held, 99 a threshold was crossed, 6 the run failed
// (incomplete), 130 Ctrl-C (partial results written, platform stopped unless --keep-platform).
import { resolve } from 'node:path'
import { Command, Option } from 'commander'
import { parseCount } from '../lib/units.ts'
import { InvalidConfigError, isFleetlabError } from '../lib/errors.ts'
import { parseRuntimeKind } from '../platform/runtime/index.ts'
import type { RuntimeKind } from '../platform/runtime/index.ts'
import { loadExperiment } from '../experiments/loader.ts'
import { runExperiment } from '../experiments/runner.ts'
import type { CliContext } from './context.ts'
import { EXIT_INTERRUPTED, EXIT_THRESHOLDS, exitCodes, reportError } from './exit-codes.ts'
import { findNpmLauncher, watchLauncher } from './launcher.ts'
import { outputKinds, outputsHelp, parseOutputs } from './outputs.ts'
import type { OutputChoice } from './outputs.ts'
import { DashboardOutput } from '../dashboards/terminal/output.ts'
import { version } from './version.ts'

interface RunFlags {
  runtime?: RuntimeKind
  keepPlatform?: boolean
  seed?: string
  resultsDir?: string
  json?: boolean
  out?: string[]
  dashboard?: boolean
}

export function runCommand (ctx: CliContext, setExit: (code: number) => void): Command {
  return new Command('run')
    .description('run an experiment file (.ts, .json or .yaml): platform, fleet, workload, results')
    .argument('<experiment>', 'the experiment file, e.g. experiments/examples/quickstart.ts')
    .addOption(new Option('--runtime <kind>', 'docker or process for the platform, gateways and sink (overrides the file; default: docker when an engine answers, else process)').argParser(parseRuntimeKind))
    .option('--keep-platform', 'leave the embedded platform running after the run (stop it with fleetlab platform down --name <name>)')
    .option('--seed <n>', 'seed of every random choice (overrides the file); the seed used is printed and kept in run.json')
    .option('--results-dir <dir>', 'where run folders go', 'results/runs')
    .option('--json', 'print the summary row as JSON on stdout instead of the text summary')
    .option('--out <name[=arg]>', 'add an output of the run\'s per-second stream (repeatable; see Outputs below)', (v: string, all: string[] | undefined) => [...all ?? [], v])
    .option('--no-dashboard', 'no terminal dashboard: one progress line a second on stderr (the default when not at a terminal)')
    .addHelpText('after', `
The run goes through the experiment's lifecycle: configure -> platform up (or connect to an external one) ->
fleet setup (virtual gateways and the sink consumer) -> monitors start -> workload -> drain -> reconcile -> cleanup.
Devices send on a schedule (open model): latency is measured from the intended send time, end to end from the
device to the cloud sink, and every notification is accounted for: sent = delivered + lost, duplicates counted.

Outputs (--out, repeatable; the run folder's files are always written):
${outputsHelp()}

At a terminal the dashboard is shown (q leaves it and asks before aborting the run, p pauses, l log scale,
? the keys); the summary is printed once the terminal is given back.

Results go to <results-dir>/<run-id>/: run.json, timeseries.csv (one row per second), events.csv, summary.csv,
histograms.json and sink.ndjson; docs/results.md explains every column. Compare runs with fleetlab compare,
plot one with fleetlab report.

Exit codes: 0 done and every threshold held, 2 invalid experiment file (every problem named, nothing started),
3 port in use, 4 setup missing, 5 runtime unavailable, 6 the run failed (results marked incomplete),
99 a threshold was crossed, 130 Ctrl-C (partial results written and marked incomplete).

Examples:
  fleetlab run experiments/examples/quickstart.ts
  fleetlab run experiments/examples/burst.ts --runtime docker --seed 42
  fleetlab run experiments/examples/step.yaml --keep-platform`)
    .action(async (file: string, flags: RunFlags) => {
      let seed: number | undefined
      if (flags.seed !== undefined) {
        seed = parseCount(flags.seed, 0, 0xffffffff)
        if (seed === undefined) throw new InvalidConfigError([`--seed: expected a whole number 0-4294967295, got ${JSON.stringify(flags.seed)}`])
      }
      const choices = withDefaultOutputs(parseOutputs(flags.out ?? []), flags, ctx.terminal === true)
      const loaded = await loadExperiment(resolve(file))
      const abort = new AbortController()
      let dashboard: DashboardOutput | undefined
      // while the dashboard shows, lines for the person go to its event log
      const progress = (line: string): void => { if (dashboard?.line(line) !== true) ctx.stderr(line) }
      let signals = 0
      const onSignal = (signal: NodeJS.Signals): void => {
        signals++
        if (signals === 1) {
          progress(`\nstopping (${signal}): draining, writing partial results and stopping the platform (Ctrl-C again to leave at once)`)
          abort.abort(signal)
        } else {
          dashboard?.close()
          ctx.stderr('leaving at once: services may still run; fleetlab platform down --name <name> stops them')
          process.exit(EXIT_INTERRUPTED)
        }
      }
      // Ctrl-C on the dashboard (it holds the terminal raw: no SIGINT) counts as the first SIGINT
      const outputCtx = { progress, abort: (reason: string) => { if (reason === 'SIGINT') onSignal('SIGINT'); else abort.abort(reason) } }
      const outputs = choices.map(c => outputKinds[c.name]!.create(c.arg, outputCtx))
      dashboard = outputs.find((o): o is DashboardOutput => o instanceof DashboardOutput)
      process.on('SIGINT', onSignal)
      process.on('SIGTERM', onSignal)
      // started by npx or npm run: their sh -c keeps signals from us, so the run stops when they go (cli/launcher.ts)
      const launcher = await findNpmLauncher(ctx.env)
      const unwatch = launcher === undefined ? undefined : watchLauncher(launcher, what => {
        // whoever read our output may be gone with them: a write to a closed pipe must not end the run's cleanup
        for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})
        progress(`${what}: stopping the run as on SIGTERM`)
        onSignal('SIGTERM')
      })
      try {
        const outcome = await runExperiment(loaded.experiment, {
          file: loaded.file,
          ...(flags.runtime !== undefined ? { runtime: flags.runtime } : {}),
          keepPlatform: flags.keepPlatform === true,
          ...(seed !== undefined ? { seed } : {}),
          runsDir: resolve(flags.resultsDir ?? 'results/runs'),
          progress,
          outputs,
          signal: abort.signal,
          version: version(),
        })
        ctx.stdout(flags.json === true ? JSON.stringify(outcome.summary, null, 2) : outcome.summaryText)
        if (abort.signal.aborted) setExit(EXIT_INTERRUPTED)
        // an error with a code (a port in use, no Docker engine) keeps its exit code; the partial results are written
        else if (outcome.error !== undefined && isFleetlabError(outcome.error)) setExit(reportError(outcome.error, ctx.stderr))
        else if (!outcome.meta.complete) {
          ctx.stderr(`error: the run is incomplete: ${outcome.meta.incompleteReason ?? 'see events.csv'}`)
          setExit(exitCodes.FLEETLAB_SERVICE_FAILED)
        }
        else if ((outcome.summary.thresholds_failed ?? 0) > 0) setExit(EXIT_THRESHOLDS)
      } finally {
        unwatch?.()
        dashboard?.close()
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
    })
}

/**
 * The outputs of a run: those asked for, plus the dashboard at a terminal (unless --no-dashboard or --json) or else
 * the progress line. The dashboard needs a terminal; asked for without one, or with --no-dashboard, is an error.
 */
export function withDefaultOutputs (chosen: OutputChoice[], flags: Pick<RunFlags, 'dashboard' | 'json'>, terminal: boolean): OutputChoice[] {
  const asked = chosen.some(c => c.name === 'dashboard')
  if (asked && flags.dashboard === false) throw new InvalidConfigError(['--out dashboard and --no-dashboard: choose one'])
  if (asked && !terminal) throw new InvalidConfigError(['--out dashboard: stdin and stdout must be a terminal (the progress line is the default elsewhere)'])
  const dashboard = asked || (terminal && flags.dashboard !== false && flags.json !== true)
  const out = [...chosen]
  if (dashboard && !asked) out.unshift({ name: 'dashboard', arg: undefined })
  if (!dashboard && !out.some(c => c.name === 'progress')) out.unshift({ name: 'progress', arg: undefined })
  return out
}
