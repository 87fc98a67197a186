import { fleetlabHome } from '../lib/home.ts'

/** Process boundaries, passed in so tests can run commands in-process with their own env and streams. */
export interface CliContext {
  env: NodeJS.ProcessEnv
  home: string
  stdout: (text: string) => void
  stderr: (text: string) => void
}

export function processContext (): CliContext {
  return {
    env: process.env,
    home: fleetlabHome(process.env),
    stdout: text => { process.stdout.write(text + '\n') },
    stderr: text => { process.stderr.write(text + '\n') },
  }
}
