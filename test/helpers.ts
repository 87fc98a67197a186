// Shared by the test files: unique names, free ports, the real CLI binary, polling.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { projectRoot } from '../lib/home.ts'
import { findFreePortPair } from '../platform/ports.ts'

export function uniqueName (prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`
}

/**
 * A port p with p and p+1 free (a broker listener and its controller), from 20000-27999: no default uses it, and it
 * lies below Linux's ephemeral range (32768-60999), where a client connection could take the port between the check
 * and the broker's bind.
 */
export function freePortPair (): Promise<number> {
  return findFreePortPair(20000, 4000)
}

export interface CliResult { code: number, stdout: string, stderr: string }

/** Runs the real `fleetlab` bin (cli/bin.js) as a user would. */
export function runCli (args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 180_000): Promise<CliResult> {
  return new Promise(resolve => {
    execFile(process.execPath, [join(projectRoot, 'cli', 'bin.js'), ...args], { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1
        resolve({ code, stdout, stderr })
      })
  })
}

export async function waitFor<T> (what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

/**
 * The `skip` of a docker-runtime test: false when an engine answers. With none, a local run skips it and says why
 * (scripts/run-tests says so in its first and last lines too); with FLEETLAB_REQUIRE_DOCKER=1 (CI: .ci/run) it is not
 * skipped, so it runs and fails on the missing engine instead of passing silently.
 */
export async function dockerSkipReason (): Promise<string | false> {
  const { dockerAvailable } = await import('../platform/runtime/docker.ts')
  if (await dockerAvailable() || process.env.FLEETLAB_REQUIRE_DOCKER === '1') return false
  return 'docker runtime: no Docker engine answers (bash scripts/docker-engine start, or set DOCKER_HOST)'
}
