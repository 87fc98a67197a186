// The skeleton every fleetlab program shares (the full CLI in main.ts, a unit's in unit.ts): output through the
// context, exit codes instead of process.exit, and the same error report.
import { Command, CommanderError } from 'commander'
import type { CliContext } from './context.ts'
import { EXIT_OK, EXIT_USAGE, reportError } from './exit-codes.ts'

/** Makes `c` and every command below it print through `ctx` and throw instead of exiting. */
export function configureOutput (c: Command, ctx: CliContext): Command {
  c.exitOverride().configureOutput({ writeOut: s => ctx.stdout(s.trimEnd()), writeErr: s => ctx.stderr(s.trimEnd()) })
  c.commands.forEach(sub => configureOutput(sub, ctx))
  return c
}

/** Parses `argv` with `program` and returns the exit code (`code()` as the action left it, or the error's). */
export async function runProgram (program: Command, argv: string[], ctx: CliContext, code: () => number): Promise<number> {
  try {
    await program.parseAsync(argv)
    return code()
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with exitCode 0; usage errors were already printed by commander.
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE
    }
    return reportError(err, ctx.stderr)
  }
}
