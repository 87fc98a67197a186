import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { statSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { projectRoot } from '../../lib/home.ts'
import { buildUnitBundle, currentBuild, UNIT_BUILDS, UNIT_ENTRY, unitCommand, unitLoader } from '../../lib/unit-command.ts'

const run = promisify(execFile)

test('a unit runs from the bundle, whose inputs are the sources it was built from, and the bundle starts the unit', async () => {
  const build = buildUnitBundle()
  assert.ok(build.inputs.includes('cli/unit.ts'), 'the entry is an input')
  assert.ok(build.inputs.includes('cli/sink.ts'), 'a unit command reached through a dynamic import is an input')
  assert.ok(build.inputs.every(f => !f.startsWith('node_modules/')), 'packages stay external')
  const command = unitCommand(['watchdog', '--help'])
  assert.equal(command[0], process.execPath)
  assert.equal(command[1], join(UNIT_BUILDS, build.id, 'unit.js'))
  assert.deepEqual(command.slice(2), ['watchdog', '--help'])
  // Run from another folder: the bundle finds the project (lib/home.ts) and its packages from where it lives.
  const { stdout } = await run(command[0]!, command.slice(1), { cwd: '/' })
  assert.match(stdout, /Usage: fleetlab watchdog/)
})

test('a source newer than the build makes it stale, and the next unit command builds again', () => {
  const before = buildUnitBundle()
  const file = join(projectRoot, 'cli', 'sink.ts')
  const { atime, mtime } = statSync(file)
  try {
    utimesSync(file, atime, new Date(before.startedMs + 1000))
    assert.equal(currentBuild(), undefined, 'an edited input makes the build stale')
  } finally {
    utimesSync(file, atime, mtime)
  }
  assert.equal(currentBuild()?.id, before.id, 'back to its old time, the source is older than the build again')
})

test('FLEETLAB_UNITS=tsx runs units through tsx\'s loader', () => {
  assert.equal(unitLoader({ FLEETLAB_UNITS: 'tsx' }), 'tsx')
  assert.equal(unitLoader({}), 'bundle')
  const command = unitCommand(['sink'], '/usr/bin/node', 'tsx')
  assert.deepEqual(command.slice(0, 2), ['/usr/bin/node', '--import'])
  assert.match(command[2]!, /^file:.*tsx/)
  assert.deepEqual(command.slice(3), [UNIT_ENTRY, 'sink'])
})
