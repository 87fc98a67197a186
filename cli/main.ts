import { Command } from 'commander'
import { processContext } from './context.ts'
import type { CliContext } from './context.ts'
import { EXIT_OK } from './exit-codes.ts'
import { configureOutput, runProgram } from './program.ts'
import { platformCommand } from './platform.ts'
import { lwm2mCommand } from './lwm2m.ts'
import { devicesCommand } from './devices.ts'
import { compareCommand } from './compare.ts'
import { reportCommand } from './report.ts'
import { runCommand } from './run.ts'
import { sinkCommand } from './sink.ts'
import { gatewayCommand } from './gateway.ts'
import { scaleCommand } from './scale.ts'
import { dashboardCommand } from './dashboard.ts'

export { version } from './version.ts'
import { version } from './version.ts'

export function buildProgram (ctx: CliContext, setExit: (code: number) => void): Command {
  const program = new Command('fleetlab')
    .description('fleetlab: a load-testing and device-simulation lab for IoT edge/cloud pipelines\n' +
      '(virtual LWM2M fleet -> edge Kafka -> MirrorMaker 2 -> cloud Kafka -> sinks, measured end to end)')
    .version(version(), '-V, --version', 'print the fleetlab version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: s => ctx.stdout(s.trimEnd()), writeErr: s => ctx.stderr(s.trimEnd()) })
    .exitOverride()
    .addHelpText('after', `
Environment:
  FLEETLAB_HOME   jar cache, platform data and logs (default ~/.cache/fleetlab)
  DOCKER_HOST     Docker engine to use for --runtime docker (default /var/run/docker.sock)

Exit codes: 0 ok, 1 unexpected, 2 invalid config or usage, 3 port in use, 4 setup missing,
  5 runtime unavailable, 6 service failed or unhealthy (or a run incomplete), 7 timeout, 8 platform state,
  9 Kafka error, 10-12 malformed LWM2M/CoAP/Avro input, 13 results folder missing or of another version,
  99 a run crossed a threshold, 130 interrupted.`)
  program.addCommand(runCommand(ctx, setExit))
  program.addCommand(platformCommand(ctx, setExit))
  program.addCommand(lwm2mCommand(ctx))
  program.addCommand(devicesCommand(ctx, setExit))
  program.addCommand(compareCommand(ctx, setExit))
  program.addCommand(reportCommand(ctx, setExit))
  program.addCommand(scaleCommand(ctx, setExit))
  program.addCommand(dashboardCommand(ctx, setExit))
  // units the runner starts, not for people: hidden from the command list, each with its own --help
  program.addCommand(gatewayCommand(ctx, setExit), { hidden: true })
  program.addCommand(sinkCommand(ctx, setExit), { hidden: true })
  // every level, so a usage error in `platform up` exits 2 like one at the top
  program.commands.forEach(c => configureOutput(c, ctx))
  return program
}

/** Runs the CLI and returns the exit code; never calls process.exit itself (bin.js does). */
export async function main (argv: string[], ctx: CliContext = processContext()): Promise<number> {
  let code = EXIT_OK
  const program = buildProgram(ctx, c => { code = c })
  return await runProgram(program, argv, ctx, () => code)
}
