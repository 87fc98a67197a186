// `fleetlab watchdog`: the unit a run starts beside itself (platform/watchdog.ts), not a command people type: it
// waits for the runner to end and stops what a runner that died left running.
import { Command } from 'commander'
import { InvalidConfigError } from '../lib/errors.ts'
import { parseCount } from '../lib/units.ts'
import { watchRunner } from '../platform/watchdog.ts'
import type { CliContext } from './context.ts'

interface WatchdogFlags {
  platform: string
  runnerPid: string
  runnerStart: string
}

function positiveInteger (flag: string, value: string, problems: string[]): number {
  const n = parseCount(value, 1)
  if (n === undefined) problems.push(`${flag}: ${JSON.stringify(value)} is not a positive integer`)
  return n ?? 0
}

export function watchdogCommand (ctx: CliContext): Command {
  return new Command('watchdog')
    .description('the unit a run starts beside itself: when the runner dies, stop what it started (not for people)')
    .requiredOption('--platform <name>', 'the run\'s platform name (its record: <home>/platforms/<name>/runner.json)')
    .requiredOption('--runner-pid <pid>', 'the runner\'s pid')
    .requiredOption('--runner-start <ticks>', 'the runner\'s start time in /proc/<pid>/stat (field 22)')
    .action(async (flags: WatchdogFlags) => {
      const problems: string[] = []
      const pid = positiveInteger('--runner-pid', flags.runnerPid, problems)
      const startTicks = positiveInteger('--runner-start', flags.runnerStart, problems)
      if (problems.length > 0) throw new InvalidConfigError(problems)
      const home = ctx.home
      const log = (line: string): void => { ctx.stderr(`${new Date().toISOString()} watchdog: ${line}`) }
      const outcome = await watchRunner({ home, platform: flags.platform, pid, startTicks, openRuntime: async kind => await (await import('../platform/runtime/index.ts')).openRuntime(home, kind, ctx.env), log })
      if (outcome.outcome === 'finished') log(`runner ${pid} finished and stopped what it started`)
    })
}
