// Shared by the test files: unique names, free ports, the real CLI binary, polling.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { projectRoot } from '../lib/home.ts'

export function uniqueName (prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`
}

function listenable (port: number): Promise<boolean> {
  return new Promise(resolve => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/** A port p with p and p+1 free (a broker listener and its controller), from a range no default uses. */
export async function freePortPair (): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 41000 + 2 * Math.floor(Math.random() * 4000)
    if (await listenable(p) && await listenable(p + 1)) return p
  }
  throw new Error('no free port pair found')
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
