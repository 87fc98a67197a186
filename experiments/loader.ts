// Experiment files: TS/JS modules whose default export is an Experiment (an instance, or a subclass the loader creates
// with no arguments), or JSON/YAML data whose `kind` picks the class. Every problem is reported at once, each prefixed
// with the file name (and line:column for syntax errors), as an InvalidConfigError.
import { readFile, stat } from 'node:fs/promises'
import { dirname, extname, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseDocument } from 'yaml'
import { InvalidConfigError } from '../lib/errors.ts'
import { experimentKinds } from './kinds.ts'
import { Experiment } from './experiment.ts'
import { experimentClasses } from './classes.ts'
import { isExperimentKind, nameFromFile, withParseDefaults } from './schema.ts'
import type { ParseOptions } from './schema.ts'

export type ExperimentFormat = 'ts' | 'json' | 'yaml'

export interface LoadedExperiment {
  readonly experiment: Experiment
  /** Absolute path. */
  readonly file: string
  readonly format: ExperimentFormat
}

const FORMATS: Record<string, ExperimentFormat> = { '.ts': 'ts', '.mts': 'ts', '.js': 'ts', '.mjs': 'ts', '.json': 'json', '.yaml': 'yaml', '.yml': 'yaml' }
const HINT = 'docs/experiments.md lists every field; experiments/examples/ has a file of each kind'

/** The file as the user wrote it when it is under the working directory, else absolute. */
function shown (file: string): string {
  const rel = relative(process.cwd(), file)
  return rel !== '' && !rel.startsWith('..') ? rel : file
}

function fail (problems: string[], hint = HINT, cause?: unknown): never {
  throw new InvalidConfigError(problems, { hint, cause })
}

/** Rethrows a validation error with every problem prefixed by the file name; other errors become one problem. */
function prefixed (name: string, err: unknown): never {
  if (err instanceof InvalidConfigError) fail(err.problems.map(p => `${name}: ${p}`), err.hint ?? HINT, err)
  const message = err instanceof Error ? err.message : String(err)
  fail([`${name}: ${message.split('\n')[0]}`], 'fix the file so that it runs: node --import tsx <file> shows the full error', err)
}

// TS loads set process-wide parse defaults (the file's folder and name): one at a time.
let queue: Promise<unknown> = Promise.resolve()

export async function loadExperiment (file: string): Promise<LoadedExperiment> {
  const path = resolve(file)
  const name = shown(path)
  const format = FORMATS[extname(path).toLowerCase()]
  if (format === undefined) {
    fail([`${name}: unknown kind of experiment file "${extname(path) || '(no extension)'}"; expected ${Object.keys(FORMATS).join(', ')}`])
  }
  const info = await stat(path).catch(() => undefined)
  if (info === undefined) fail([`${name}: no such file`], 'give the path of an experiment file, e.g. experiments/examples/quickstart.ts')
  if (!info.isFile()) fail([`${name}: not a file`])
  const parse: ParseOptions = { baseDir: dirname(path), defaultName: nameFromFile(path) }
  if (format === 'ts') {
    const run = queue.then(() => withParseDefaults(parse, () => importExperiment(path, name)))
    queue = run.catch(() => undefined)
    return { experiment: await run, file: path, format }
  }
  const text = await readFile(path, 'utf8')
  const data = format === 'json' ? parseJson(text, name) : parseYaml(text, name)
  return { experiment: fromData(data, name, parse), file: path, format }
}

async function importExperiment (path: string, name: string): Promise<Experiment> {
  let mod: Record<string, unknown>
  try {
    mod = await import(pathToFileURL(path).href) as Record<string, unknown>
  } catch (err) {
    prefixed(name, err)
  }
  const exported = mod.default
  if (exported instanceof Experiment) return exported
  if (typeof exported === 'function' && exported.prototype instanceof Experiment) {
    try {
      return new (exported as new () => Experiment)()
    } catch (err) {
      if (err instanceof InvalidConfigError) {
        fail([...err.problems.map(p => `${name}: ${p}`)],
          `the default export is a class, which the loader creates with no arguments: its constructor must call super({ ...options })`, err)
      }
      prefixed(name, err)
    }
  }
  const found = exported === undefined
    ? `no default export${Object.keys(mod).length > 0 ? ` (exports: ${Object.keys(mod).join(', ')})` : ''}`
    : typeof exported === 'function' ? `a ${exported.prototype === undefined ? 'function' : 'class'} ${(exported as { name?: string }).name || '(anonymous)'} that is not an Experiment`
      : looksLikeExperiment(exported) ? 'an Experiment from another copy of fleetlab (import the classes from this checkout\'s experiments/index.ts)'
        : `${Array.isArray(exported) ? 'a list' : typeof exported}${typeof exported === 'object' && exported !== null ? ` with keys ${Object.keys(exported).join(', ')}` : ''}`
  fail([`${name}: the default export must be an Experiment (e.g. export default new LinearExperiment({ ... })) or an Experiment subclass; found ${found}`],
    'import { LinearExperiment } from \'fleetlab/experiments/index.ts\' (or a relative path to it) and export default an instance')
}

function looksLikeExperiment (v: unknown): boolean {
  return typeof v === 'object' && v !== null && 'config' in v && typeof (v as { createWorkload?: unknown }).createWorkload === 'function'
}

function parseJson (text: string, name: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    const message = (err as Error).message
    const m = /position (\d+)/.exec(message)
    if (m === null) fail([`${name}: not valid JSON: ${message}`])
    const before = text.slice(0, Number(m[1]))
    const line = before.split('\n').length
    const column = Number(m[1]) - before.lastIndexOf('\n')
    fail([`${name}:${line}:${column}: not valid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}`])
  }
}

function parseYaml (text: string, name: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true })
  if (doc.errors.length > 0) {
    fail(doc.errors.map(e => {
      const pos = e.linePos?.[0]
      const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')
      return `${name}${pos !== undefined ? `:${pos.line}:${pos.col}` : ''}: not valid YAML: ${message}`
    }))
  }
  return doc.toJS()
}

function fromData (data: unknown, name: string, parse: ParseOptions): Experiment {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    fail([`${name}: expected an experiment (an object with kind, workload, ...), found ${Array.isArray(data) ? 'a list' : JSON.stringify(data)}`])
  }
  // top-level `x-` keys are the file's own (docker compose's convention): anchors and shared blocks that other
  // fields refer to; the experiment never sees them
  const { kind, ...options } = Object.fromEntries(Object.entries(data).filter(([key]) => !key.startsWith('x-')))
  if (!isExperimentKind(kind)) {
    fail([`${name}: kind: ${kind === undefined ? 'required' : `unknown kind ${JSON.stringify(kind)}`}; expected one of ${experimentKinds.join(', ')}`])
  }
  try {
    return new experimentClasses[kind](options as never, parse)
  } catch (err) {
    prefixed(name, err)
  }
}
