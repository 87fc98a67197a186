import { fleetlabHome } from '../lib/home.ts'

/** Process boundaries, passed in so tests can run commands in-process with their own env and streams. */
export interface CliContext {
  env: NodeJS.ProcessEnv
  home: string
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** Whether a person is at a terminal (stdin and stdout are TTYs, TERM is not dumb): `fleetlab run` shows the dashboard. */
  terminal?: boolean
}

export function processContext (): CliContext {
  return {
    env: process.env,
    home: fleetlabHome(process.env),
    stdout: text => { process.stdout.write(text + '\n') },
    stderr: text => { process.stderr.write(text + '\n') },
    terminal: process.stdout.isTTY === true && process.stdin.isTTY === true && process.env.TERM !== 'dumb',
  }
}
