// The command line of a unit a run starts (sink replica, gateway, LWM2M server): this node, tsx's loader and
// cli/unit.ts, which loads only that unit's command. tsx's loader is an absolute URL: `--import tsx` would resolve
// from the unit's working directory, outside the project.
import { join } from 'node:path'
import { projectRoot } from './home.ts'

export const UNIT_ENTRY = join(projectRoot, 'cli', 'unit.ts')

export function unitCommand (args: readonly string[], node: string = process.execPath): string[] {
  return [node, '--import', import.meta.resolve('tsx'), UNIT_ENTRY, ...args]
}
