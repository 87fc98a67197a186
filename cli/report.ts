// `fleetlab report <run>`: the run as a self-contained HTML page and each chart as a PNG (results/report.ts).
import { Command } from 'commander'
import { defaultRunsDir } from '../results/run-format.ts'
import { loadRun } from '../results/run-loader.ts'
import { writeReport } from '../results/report.ts'
import type { CliContext } from './context.ts'

export interface ReportOptions { out?: string, png: boolean, runsDir: string }

export function reportCommand (ctx: CliContext, _setExit: (code: number) => void): Command {
  return new Command('report')
    .description('write the HTML report of a run (charts, summary, thresholds, events, experiment) and PNGs of its charts')
    .argument('<run>', 'a run folder (results/runs/<run-id>) or a run id')
    .option('--out <file>', 'the HTML file (default: <run folder>/report.html); PNGs go to charts/ beside it')
    .option('--no-png', 'skip the PNG charts')
    .option('--runs-dir <dir>', 'where run ids are looked up', defaultRunsDir)
    .addHelpText('after', `
The page is one file with inline CSS and SVG (no scripts, nothing fetched): rate (target, sent, delivered),
latency percentiles per second (e2e p50/p95/p99/max, lateness p99), consumer lag and replicas, devices target
vs active, CPU and memory per service, the summary, thresholds, events and the experiment config.
Each chart is also written as charts/<name>.svg and charts/<name>.png for tickets, rendered by headless
Chromium found on PATH (Debian: apt-get install chromium-headless-shell; or set FLEETLAB_CHROMIUM). Without
Chromium the HTML is still written and a warning says so. A run that was cut off is reported as far as it got.
Exit codes: 0 done, 2 usage, 13 the run folder is missing, unreadable or made by an older fleetlab.

Examples:
  fleetlab report 2026-11-22T02-40-05-linear-3f9a
  fleetlab report results/runs/2026-11-22T02-40-05-linear-3f9a --out /tmp/linear.html
  fleetlab report my-run --no-png`)
    .action(async (ref: string, o: ReportOptions) => {
      const run = await loadRun(ref, o.runsDir)
      const r = await writeReport(run, o.out, { png: o.png, env: ctx.env, progress: line => ctx.stderr(line), warn: line => ctx.stderr(line) })
      ctx.stdout(r.html)
      for (const p of r.pngs) ctx.stdout(p)
    })
}
