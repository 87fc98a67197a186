// Experiment files in every format, and the errors users see for bad ones (written to a temp dir per test).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { projectRoot } from '../../lib/home.ts'
import { InvalidConfigError } from '../../lib/errors.ts'
import { Experiment, loadExperiment } from '../../experiments/index.ts'

const indexUrl = pathToFileURL(join(projectRoot, 'experiments', 'index.ts')).href

async function tempDir (t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetlab-exp-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  // Outside this project a .ts file is CommonJS to tsx unless its package says otherwise, as in a user's project.
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n')
  return dir
}

async function problemsOf (file: string): Promise<string[]> {
  try {
    await loadExperiment(file)
  } catch (err) {
    assert.ok(err instanceof InvalidConfigError, `expected InvalidConfigError, got ${String(err)}`)
    return err.problems
  }
  assert.fail(`${file} loaded`)
}

test('a TS file exporting an instance; relative CSV paths and the default name come from the file', async t => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'trace.csv'), 't_s,rate\n0,10\n60,20\n')
  await writeFile(join(dir, 'my-replay.ts'), `import { ReplayExperiment } from '${indexUrl}'\n` +
    `export default new ReplayExperiment({ workload: { csv: 'trace.csv', devices: 10 } })\n`)
  const { experiment, file, format } = await loadExperiment(join(dir, 'my-replay.ts'))
  assert.equal(format, 'ts')
  assert.equal(file, join(dir, 'my-replay.ts'))
  assert.equal(experiment.name, 'my-replay')
  assert.equal(experiment.kind, 'replay')
  assert.equal(experiment.createWorkload().durationMs, 60_000)
})

test('a TS file exporting a subclass: the loader creates it', async t => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'mine.mts'), `import { LinearExperiment } from '${indexUrl}'\n` +
    'export default class Mine extends LinearExperiment {\n' +
    '  constructor () { super({ name: \'mine\', workload: { devices: 3, hold: \'5s\' } }) }\n' +
    '  override async fleetSetup (run: any) { await super.fleetSetup(run) }\n}\n')
  const { experiment } = await loadExperiment(join(dir, 'mine.mts'))
  assert.ok(experiment instanceof Experiment)
  assert.equal(experiment.constructor.name, 'Mine')
  assert.equal(experiment.name, 'mine')
})

test('TS files with bad options report every problem prefixed with the file name', async t => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'bad.ts'), `import { StepExperiment } from '${indexUrl}'\n` +
    'export default new StepExperiment({ drain: \'x\', workload: { steps: [{ devices: 1, duration: \'1 min\' }] } } as any)\n')
  const p = await problemsOf(join(dir, 'bad.ts'))
  const name = join(dir, 'bad.ts')
  assert.deepEqual(p, [`${name}: drain: expected a duration such as 30s, 5m, got "x"`, `${name}: workload.steps[0].duration: expected a duration such as 30s, 5m, got "1 min"`])
  await writeFile(join(dir, 'needs-args.ts'), `import { StepExperiment } from '${indexUrl}'\nexport default class extends StepExperiment {}\n`)
  await assert.rejects(loadExperiment(join(dir, 'needs-args.ts')), (err: InvalidConfigError) => {
    assert.deepEqual(err.problems, [`${join(dir, 'needs-args.ts')}: (top level): expected the experiment as an object with workload, fleet, ...; got undefined`].map(s => s.replace('(top level): ', '')))
    assert.match(err.hint!, /constructor must call super/)
    return true
  })
})

test('a TS file whose default export is not an Experiment says what it found', async t => {
  const dir = await tempDir(t)
  const cases: Array<[string, RegExp]> = [
    ['export const x = 1\n', /found no default export \(exports: x\)/],
    ['export default { workload: {} }\n', /found object with keys workload/],
    ['export default class Foo {}\n', /found a class Foo that is not an Experiment/],
    ['throw new Error(\'broken on purpose\')\n', /: broken on purpose$/],
  ]
  for (const [i, [source, expected]] of cases.entries()) {
    const file = join(dir, `case${i}.ts`)
    await writeFile(file, source)
    const p = await problemsOf(file)
    assert.equal(p.length, 1)
    assert.ok(p[0]!.startsWith(`${file}: `), p[0])
    assert.match(p[0]!, expected)
  }
})

test('JSON and YAML: kind picks the class; fields as in TS', async t => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'b.json'), JSON.stringify({ kind: 'burst', workload: { baseline: { devices: 10 }, burst: { multiplier: 2, duration: '5s', every: '10s' } } }))
  await writeFile(join(dir, 's.yml'), 'kind: step\nname: s1\nworkload:\n  steps:\n    - { devices: 2, duration: 3s }\n')
  const b = await loadExperiment(join(dir, 'b.json'))
  assert.equal(b.format, 'json')
  assert.equal(b.experiment.kind, 'burst')
  assert.equal(b.experiment.name, 'b')
  const s = await loadExperiment(join(dir, 's.yml'))
  assert.equal(s.format, 'yaml')
  assert.equal(s.experiment.name, 's1')
  assert.equal(s.experiment.createWorkload().durationMs, 3000)
})

test('YAML and JSON: top-level x- keys hold anchors and shared blocks and are not fields; other unknown keys are refused', async t => {
  const dir = await tempDir(t)
  const file = join(dir, 'x.yaml')
  await writeFile(file, 'x-step: &step { devices: 2, duration: 3s }\nx-notes: any text\nkind: step\nworkload:\n  steps: [*step, *step]\n')
  const s = await loadExperiment(file)
  assert.equal(s.experiment.createWorkload().durationMs, 6000)
  await writeFile(join(dir, 'x.json'), JSON.stringify({ 'x-comment': 'ignored', kind: 'step', workload: { steps: [{ devices: 1, duration: '2s' }] } }))
  assert.equal((await loadExperiment(join(dir, 'x.json'))).experiment.createWorkload().durationMs, 2000)
  const bad = join(dir, 'bad.yaml')
  await writeFile(bad, 'y-step: 1\nkind: step\nworkload:\n  steps: [{ devices: 2, duration: 3s }]\n')
  assert.match((await problemsOf(bad)).join('\n'), /y-step/)
  const nested = join(dir, 'nested.yaml')
  await writeFile(nested, 'kind: step\nworkload:\n  x-step: 1\n  steps: [{ devices: 2, duration: 3s }]\n')
  assert.match((await problemsOf(nested)).join('\n'), /x-step/, 'only at the top level')
})

test('syntax errors name the line and column; kind must be known', async t => {
  const dir = await tempDir(t)
  const json = join(dir, 'bad.json')
  await writeFile(json, '{\n  "kind": "step",\n  "workload": { "steps": [] },\n}\n')
  assert.match((await problemsOf(json))[0]!, new RegExp(`^${json}:4:1: not valid JSON`))
  const yaml = join(dir, 'bad.yaml')
  await writeFile(yaml, 'kind: step\nworkload:\n  steps: [\n')
  assert.match((await problemsOf(yaml))[0]!, new RegExp(`^${yaml}:\\d+:\\d+: not valid YAML`))
  const dup = join(dir, 'dup.yaml')
  await writeFile(dup, 'kind: step\nkind: linear\n')
  assert.match((await problemsOf(dup))[0]!, new RegExp(`^${dup}:2:1: not valid YAML: Map keys must be unique`))
  const kindless = join(dir, 'kindless.yaml')
  await writeFile(kindless, 'workload: {}\n')
  assert.deepEqual(await problemsOf(kindless), [`${kindless}: kind: required; expected one of linear, burst, step, replay, capacity`])
  await writeFile(kindless, 'kind: soak\n')
  assert.deepEqual(await problemsOf(kindless), [`${kindless}: kind: unknown kind "soak"; expected one of linear, burst, step, replay, capacity`])
  await writeFile(kindless, '- 1\n')
  assert.match((await problemsOf(kindless))[0]!, /expected an experiment \(an object with kind, workload, \.\.\.\), found a list/)
})

test('validation problems in data files are all reported, prefixed with the file', async t => {
  const dir = await tempDir(t)
  const file = join(dir, 'r.yaml')
  await writeFile(file, 'kind: replay\nfleet: { objects: [{ objectId: 1 }] }\nworkload: { csv: trace.csv, devices: 0, speeed: 2 }\n')
  assert.deepEqual(await problemsOf(file), [
    `${file}: fleet.objects[0].objectId: expected an IPSO sensor object: 3303, 3304, 3301, 3315, got 1`,
    `${file}: workload.devices: expected a number of devices 1-1,000,000, got 0`,
    `${file}: workload.speeed: unknown key; did you mean speed? (known: csv, column, timeColumn, devices, interpolate, speed)`,
  ])
})

test('replay CSVs are checked at load time, naming line and column', async t => {
  const dir = await tempDir(t)
  const file = join(dir, 'r.json')
  const load = async (csv: string | undefined, workload: Record<string, unknown> = {}): Promise<string[]> => {
    if (csv !== undefined) await writeFile(join(dir, 'trace.csv'), csv)
    await writeFile(file, JSON.stringify({ kind: 'replay', workload: { csv: 'trace.csv', devices: 10, ...workload } }))
    return (await problemsOf(file)).map(p => p.slice(file.length + 2))
  }
  assert.deepEqual(await load('t_s,rate\n0,10\n5,abc\n5,10\n3,10\n10,-1\n'), [
    'workload.csv: trace.csv line 3, column "rate": expected a rate >= 0 (samples per second over all devices), got "abc"',
    'workload.csv: trace.csv line 5, column "t_s": 3 is not after the previous row\'s 5',
    'workload.csv: trace.csv line 6, column "rate": expected a rate >= 0 (samples per second over all devices), got "-1"',
  ])
  assert.deepEqual(await load('t_s,rate\n0,10\n5,20\n', { column: 'rps' }), ['workload.csv: trace.csv line 1: no column "rps" in the header (t_s, rate)'])
  assert.deepEqual(await load('t_s,rate\n0,10\n'), ['workload.csv: trace.csv: expected a header and at least two rows (the last row marks the end), got 1 row'])
  assert.deepEqual(await load('t_s,rate\n0,10\n5,20000\n'), ['workload.csv: trace.csv line 3, column "rate": 20000/s over 10 devices is more than 1000/s per device'])
  assert.match((await load('t_s,rate\n0,10,3\n5,2\n'))[0]!, /^workload\.csv: trace\.csv line 2: /)
  assert.deepEqual(await load(undefined, { csv: 'missing.csv' }), [`workload.csv: no such file: ${join(dir, 'missing.csv')} (a relative path is relative to the experiment file)`])
})

test('missing files and unknown extensions are clear errors', async t => {
  const dir = await tempDir(t)
  assert.deepEqual(await problemsOf(join(dir, 'nope.ts')), [`${join(dir, 'nope.ts')}: no such file`])
  await writeFile(join(dir, 'exp.toml'), '')
  assert.match((await problemsOf(join(dir, 'exp.toml')))[0]!, /unknown kind of experiment file "\.toml"; expected \.ts, \.mts, \.js, \.mjs, \.json, \.yaml, \.yml/)
})
