// The one option parser of the benches (scripts/bench/*.ts): commander, configured the same way for each of them as
// the CLI is (cli/program.ts): `npm run bench:<name> -- [options]` in the usage line, the hint after a usage error,
// and a usage error (an unknown option, a bad value) is exit 2 before anything starts, with `error: --flag:
// expected ..., got ...` for a bad value (cli/options.ts's rules; a bench used to take a bad number as NaN).
// Options a bench passes to itself in a child process (`--role sim ...`) are hidden from --help
// (`.addOption(new Option(...).hideHelp())`), parsed by the same command.
import { Command, CommanderError, Option } from 'commander'
import { EXIT_OK, EXIT_USAGE, reportError } from '../../cli/exit-codes.ts'
import { countArg } from '../../cli/options.ts'
import { InvalidConfigError } from '../../lib/errors.ts'
import { parseHostPort } from '../../lib/schema/net.ts'
import { runtimeKinds } from '../../platform/runtime/types.ts'
import type { RuntimeKind } from '../../platform/runtime/types.ts'

export { countArg }

/**
 * The command of `npm run bench:<name>` (the package.json script's name: `coap` for coap-codec.ts); `description`
 * says what the bench measures. Add its options and its help text (the figures, the goals) to it, then parseBench.
 */
export function benchCommand (name: string, description: string): Command {
  return new Command(`npm run bench:${name} --`)
    .description(description)
    .helpOption('-h, --help', 'print what the bench measures, its figures and options')
    .showHelpAfterError('(run with --help for usage)')
    .allowExcessArguments(false)
    .exitOverride()
    .addHelpText('afterAll', '\nA bad option is a usage error: exit 2, nothing measured.')
}

/**
 * Parses `argv` with `cmd` and returns its options, typed as `T` (positional arguments: `cmd.processedArgs`).
 * Exits 0 after --help, and 2 after a usage error, printed: commander's own (an unknown option, a missing value)
 * or an InvalidConfigError a value parser threw (`error: --seconds: expected a number > 0, got x`).
 */
export function parseBench<T extends object> (cmd: Command, argv: readonly string[] = process.argv): T {
  try {
    cmd.parse([...argv])
  } catch (err) {
    // commander printed --help or the usage error already
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? EXIT_OK : EXIT_USAGE)
    process.exit(reportError(err, line => { console.error(line) }))
  }
  return cmd.opts() as T
}

/** For a usage error parseBench cannot see (two options that disagree): prints `error: message`, exits 2. */
export function usageError (message: string): never {
  console.error(`error: ${message}`)
  process.exit(EXIT_USAGE)
}

const usage = (flag: string, expected: string, value: string): InvalidConfigError =>
  new InvalidConfigError([`${flag}: expected ${expected}, got ${value}`])

/** A finite number above `above` (default 0), decimals allowed: seconds, rates. */
export function numberArg (flag: string, above = 0, expected = `a number > ${above}`): (value: string) => number {
  return value => {
    const t = value.trim().replace(/_/g, '')
    const n = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]+)?$/i.test(t) ? Number(t) : Number.NaN
    if (!(n > above && Number.isFinite(n))) throw usage(flag, expected, value)
    return n
  }
}

/** A comma-separated list of numbers above `above` (`--rates 5000,10000`). */
export function numberListArg (flag: string, above = 0): (value: string) => number[] {
  const expected = `comma-separated numbers > ${above}`
  const one = numberArg(flag, above, expected)
  return value => {
    try {
      return value.split(',').map(part => one(part))
    } catch {
      throw usage(flag, expected, value)
    }
  }
}

/** One of `choices`. */
export function choiceArg<C extends string> (flag: string, choices: readonly C[]): (value: string) => C {
  return value => {
    const v = value.trim()
    if (!(choices as readonly string[]).includes(v)) throw usage(flag, `one of ${choices.join(', ')}`, value)
    return v as C
  }
}

/** A comma-separated list of `choices`, in the order given (`--only linear,burst`). */
export function choiceListArg<C extends string> (flag: string, choices: readonly C[]): (value: string) => C[] {
  return value => {
    const parts = value.split(',').map(s => s.trim())
    if (parts.some(p => !(choices as readonly string[]).includes(p))) throw usage(flag, `a comma-separated list of ${choices.join(', ')}`, value)
    return parts as C[]
  }
}

/** `host:port` (lib/schema/net.ts), kept as given. */
export function hostPortArg (flag: string): (value: string) => string {
  return value => {
    if (parseHostPort(value) === undefined) throw usage(flag, 'host:port', value)
    return value.trim()
  }
}

/** `--runtime docker|process`; `description` says what runs on it and what happens without the option. */
export function runtimeOption (description: string): Option {
  return new Option('--runtime <kind>', `${runtimeKinds.join(' or ')}: ${description}`)
    .argParser(choiceArg<RuntimeKind>('--runtime', runtimeKinds))
}

/** `--results-dir <dir>`: where the bench's run folders go. */
export function resultsDirOption (): Option {
  return new Option('--results-dir <dir>', 'where the run folders go (default: a new temp folder, kept and printed)')
}
