import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Where setup caches jars and where platforms keep their data and state. Overridable with FLEETLAB_HOME. */
export function fleetlabHome (env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.FLEETLAB_HOME
  return fromEnv !== undefined && fromEnv !== '' ? resolve(fromEnv) : join(homedir(), '.cache', 'fleetlab')
}

/**
 * The repository root: the nearest folder above this module holding package.json. This file lives in <root>/lib, but
 * a unit runs from a bundle in <root>/.build (lib/unit-command.ts), so the depth is not fixed.
 */
export const projectRoot = findRoot(dirname(fileURLToPath(import.meta.url)))

function findRoot (from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) return resolve(from, '..')
  }
}

/** Kafka version pinned in scripts/jvm/pom.xml; setup copies its jars to <home>/jvm/kafka-<version>/lib. */
export const kafkaVersion = '3.9.1'

export function jarDir (home: string): string {
  return join(home, 'jvm', `kafka-${kafkaVersion}`, 'lib')
}

export function platformDir (home: string, platform: string): string {
  return join(home, 'platforms', platform)
}
