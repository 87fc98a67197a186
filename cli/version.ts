import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot } from '../lib/home.ts'

/** fleetlab's version, from package.json. */
export function version (): string {
  return (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version
}
