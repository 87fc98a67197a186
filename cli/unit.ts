// The entry of the units a run starts in processes or containers of their own (`sink`, `gateway`, `lwm2m serve`, and
// the run's `watchdog`): the same commands as `fleetlab <name> ...`, but only the named command's modules are loaded,
// not the whole CLI
// (0.12 s of imports for a sink instead of 0.5 s: a replica the autoscaler starts consumes that much sooner, and a
// burst that starts seven of them on two cores pays it seven times). Run as
// `node --import <tsx> cli/unit.ts <command> [options]` (lib/unit-command.ts builds that line).
import { pathToFileURL } from 'node:url'
import { Command } from 'commander'
import { processContext } from './context.ts'
import type { CliContext } from './context.ts'
import { EXIT_OK, EXIT_USAGE } from './exit-codes.ts'
import { configureOutput, runProgram } from './program.ts'

type Build = (ctx: CliContext, setExit: (code: number) => void) => Promise<Command>

const units: Record<string, Build> = {
  sink: async (ctx, setExit) => (await import('./sink.ts')).sinkCommand(ctx, setExit),
  gateway: async (ctx, setExit) => (await import('./gateway.ts')).gatewayCommand(ctx, setExit),
  lwm2m: async ctx => (await import('./lwm2m.ts')).lwm2mCommand(ctx),
  watchdog: async ctx => (await import('./watchdog.ts')).watchdogCommand(ctx),
}

export async function unitMain (argv: string[], ctx: CliContext = processContext()): Promise<number> {
  const name = argv[2] ?? ''
  const build = units[name]
  if (build === undefined) {
    ctx.stderr(`error: ${name === '' ? 'no unit named' : `unknown unit ${name}`} (units: ${Object.keys(units).join(', ')}); people run \`fleetlab\``)
    return EXIT_USAGE
  }
  let code = EXIT_OK
  const program = new Command('fleetlab')
  program.addCommand(await build(ctx, c => { code = c }))
  return await runProgram(configureOutput(program, ctx), argv, ctx, () => code)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await unitMain(process.argv)
  // Kafka clients may keep sockets open for a moment; the unit is done.
  process.exit(code)
}
