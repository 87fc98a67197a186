// `fleetlab compare <run> <run> [...]`: key metrics side by side, deltas against the first run and whether each
// difference is significant (results/compare.ts). Runs are folder paths or run ids under results/runs.
import { writeFile } from 'node:fs/promises'
import { Command } from 'commander'
import { InvalidConfigError } from '../lib/errors.ts'
import { compareRuns, formatComparisonCsv, formatComparisonTable } from '../results/compare.ts'
import type { Comparison } from '../results/compare.ts'
import { compareHtml } from '../results/compare-html.ts'
import { defaultRunsDir } from '../results/run-format.ts'
import { loadRun } from '../results/run-loader.ts'
import type { LoadedRun } from '../results/run-loader.ts'
import type { CliContext } from './context.ts'

/** The output formats by name (house rule 1): a format is added here and nowhere else. */
export const compareFormats: Readonly<Record<string, { readonly description: string, write: (c: Comparison, runs: readonly LoadedRun[]) => string }>> = {
  table: { description: 'a text table with the significance of each difference (the default)', write: c => formatComparisonTable(c) },
  csv: { description: 'one line per metric and run', write: c => formatComparisonCsv(c) },
  html: { description: 'a self-contained page with the table and the runs\' charts overlaid', write: (c, runs) => compareHtml(c, [...runs]) },
}
const formats = Object.keys(compareFormats)

export interface CompareOptions { format: string, out?: string, runsDir: string }

export function compareCommand (ctx: CliContext, _setExit: (code: number) => void): Command {
  return new Command('compare')
    .description('compare two or more runs: key metrics side by side, deltas against the first run, and significance')
    .argument('<runs...>', 'run folders (results/runs/<run-id>) or run ids; the first is the baseline')
    .option('--format <format>', `output: ${formats.join(', ')}`, 'table')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--runs-dir <dir>', 'where run ids are looked up', defaultRunsDir)
    .addHelpText('after', `
Each later run is compared with the first. Whole-run percentiles (e2e p50/p95/p99/max, lateness p99) come from
the runs' merged HDR histograms (histograms.json), and what is shown is what is tested: a percentile's
difference is tested on the runs' records in those histograms (the difference of the two quantiles over their
McKean-Schrader standard errors); a maximum is shown, not tested. Per-second metrics are tested on the
per-second samples of the workload (setup and drain seconds left out): Mann-Whitney U by default, Welch's t
where it fits (both runs at least 30 s and neither sample skewed). Significant at p < 0.05, two-sided; the
output's note says which test each line used.
Metrics: achieved rate, delivered/s, e2e and lateness percentiles, consumer lag, CPU % per service (mean),
memory per service (max), and the totals sent, delivered, loss, duplicates and errors (not tested).
Formats:
${Object.entries(compareFormats).map(([name, f]) => `  ${name.padEnd(6)} ${f.description}`).join('\n')}
Exit codes: 0 done, 2 usage (fewer than two runs, unknown format), 13 a run folder missing, unreadable or
made by an older fleetlab.

Examples:
  fleetlab compare 2026-11-22T02-40-05-linear-3f9a 2026-11-22T03-10-44-linear-91c0
  fleetlab compare results/runs/before results/runs/after --format html --out compare.html
  fleetlab compare before after third --format csv > compare.csv`)
    .action(async (refs: string[], o: CompareOptions) => {
      const problems: string[] = []
      if (refs.length < 2) problems.push(`compare needs at least two runs, got ${refs.length}`)
      if (!Object.hasOwn(compareFormats, o.format)) problems.push(`--format: expected one of ${formats.join(', ')}, got ${JSON.stringify(o.format)}`)
      if (problems.length > 0) throw new InvalidConfigError(problems, { hint: 'fleetlab compare <run> <run> [...]; see fleetlab compare --help' })
      const runs = []
      for (const ref of refs) runs.push(await loadRun(ref, o.runsDir))
      const comparison = compareRuns(runs)
      const text = compareFormats[o.format]!.write(comparison, runs)
      if (o.out === undefined) ctx.stdout(text.trimEnd())
      else {
        await writeFile(o.out, text.endsWith('\n') ? text : text + '\n')
        ctx.stderr(`wrote ${o.out}`)
      }
    })
}
