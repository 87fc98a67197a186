// The command line of a unit a run starts (sink replica, gateway, LWM2M server, watchdog): this node and cli/unit.ts,
// which loads only that unit's command.
//
// A unit runs from a bundle of cli/unit.ts that esbuild writes under <root>/.build/unit, not through tsx: tsx's
// loader compiles every module at each start, and the autoscaler's burst starts several replicas at once on two
// cores (`npm run bench:units` measures both ways). The bundle keeps the packages external, so it lives inside the
// project, where node_modules resolves. It is rebuilt when any of its inputs is newer than the build (esbuild's
// metafile lists them), so an edited source never runs stale. If esbuild cannot build it, or FLEETLAB_UNITS=tsx, the
// unit runs through tsx's loader.
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { projectRoot } from './home.ts'

export const UNIT_ENTRY = join(projectRoot, 'cli', 'unit.ts')
/** Every build in a folder of its own; `current.json` names the newest. */
export const UNIT_BUILDS = join(projectRoot, '.build', 'unit')
const CURRENT = join(UNIT_BUILDS, 'current.json')
/** A build that is no longer current is removed this long after: a unit started from it may still load its chunks. */
const KEEP_OLD_BUILD_MS = 10 * 60_000

export type UnitLoader = 'bundle' | 'tsx'

interface Build {
  /** The build's folder under UNIT_BUILDS. */
  id: string
  /** When the build started (ms since the epoch): an input modified later makes it stale. */
  startedMs: number
  /** Its inputs, relative to the project root. */
  inputs: string[]
}

export function unitCommand (args: readonly string[], node: string = process.execPath,
  loader: UnitLoader = unitLoader()): string[] {
  const entry = loader === 'bundle' ? unitBundle() : undefined
  if (entry !== undefined) return [node, entry, ...args]
  // tsx's loader is an absolute URL: `--import tsx` would resolve from the unit's working directory.
  return [node, '--import', import.meta.resolve('tsx'), UNIT_ENTRY, ...args]
}

export function unitLoader (env: NodeJS.ProcessEnv = process.env): UnitLoader {
  return env.FLEETLAB_UNITS === 'tsx' ? 'tsx' : 'bundle'
}

/** The entry file of a fresh bundle, built first when there is none; undefined when esbuild cannot build it. */
export function unitBundle (): string | undefined {
  let build = currentBuild()
  if (build === undefined) {
    try {
      build = buildUnitBundle()
    } catch {
      return undefined
    }
  }
  return join(UNIT_BUILDS, build.id, 'unit.js')
}

/** The current build if every one of its inputs is older than it, else undefined. */
export function currentBuild (): Build | undefined {
  try {
    const build = JSON.parse(readFileSync(CURRENT, 'utf8')) as Build
    if (!Array.isArray(build.inputs) || build.inputs.length === 0) return undefined
    statSync(join(UNIT_BUILDS, build.id, 'unit.js'))
    const fresh = build.inputs.every(file => statSync(join(projectRoot, file)).mtimeMs < build.startedMs)
    return fresh ? build : undefined
  } catch {
    return undefined // no build yet, or an input or the build was removed
  }
}

/**
 * Builds the bundle into a new folder and then points `current.json` at it (written and renamed, so a reader never
 * sees half of it). Builds that run at once each write their own folder; the last rename wins, and both are whole.
 */
export function buildUnitBundle (): Build {
  // esbuild is loaded only when a build is due: the CLI does not pay for it on every start.
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild')
  // An input saved in this very millisecond counts as newer: the next call builds again.
  const startedMs = Date.now() - 1
  const id = `${startedMs.toString(36)}-${process.pid}`
  const result = esbuild.buildSync({
    absWorkingDir: projectRoot,
    entryPoints: [UNIT_ENTRY],
    // .js files: Node reads them as ES modules under the project's package.json ("type": "module")
    outdir: join(UNIT_BUILDS, id),
    bundle: true,
    // Each dynamic import of cli/unit.ts becomes a chunk: without it, every package some unit uses (dockerode, pg,
    // coap) would be imported at the top of the one file, and a sink would pay for the gateway's.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0] ?? '20'}`,
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
  })
  const build: Build = { id, startedMs, inputs: Object.keys(result.metafile?.inputs ?? {}) }
  const tmp = `${CURRENT}.${process.pid}`
  writeFileSync(tmp, JSON.stringify(build))
  renameSync(tmp, CURRENT)
  pruneOldBuilds(id)
  return build
}

function pruneOldBuilds (keep: string): void {
  const now = Date.now()
  for (const entry of readdirSync(UNIT_BUILDS, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === keep) continue
    const dir = join(UNIT_BUILDS, entry.name)
    try {
      if (now - statSync(dir).mtimeMs > KEEP_OLD_BUILD_MS) rmSync(dir, { recursive: true, force: true })
    } catch {
      // another build removed it first
    }
  }
}
