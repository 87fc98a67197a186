import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { platformDir } from '../lib/home.ts'
import type { PlatformConfig } from './config.ts'
import type { RuntimeKind } from './runtime/types.ts'

/** What `platform up` leaves behind so that a later `status` or `down`, in another process, finds the platform. */
export interface PlatformState {
  name: string
  runtime: RuntimeKind
  config: PlatformConfig
  startedAt: number
  /** Set once every service passed its health check. */
  healthyAt?: number
}

function statePath (home: string, name: string): string {
  return join(platformDir(home, name), 'platform.json')
}

export async function readState (home: string, name: string): Promise<PlatformState | undefined> {
  try {
    return JSON.parse(await readFile(statePath(home, name), 'utf8')) as PlatformState
  } catch {
    return undefined
  }
}

export async function writeState (home: string, state: PlatformState): Promise<void> {
  await mkdir(platformDir(home, state.name), { recursive: true })
  await writeFile(statePath(home, state.name), JSON.stringify(state, null, 2))
}

export async function removeState (home: string, name: string): Promise<void> {
  await rm(statePath(home, name), { force: true })
}
