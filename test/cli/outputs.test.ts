// `fleetlab run --out`: names and arguments parsed, every problem named at once.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { outputKinds, parseOutputs } from '../../cli/outputs.ts'

test('--out takes known names, with an argument where the output has one', () => {
  assert.deepEqual(parseOutputs(['progress']), [{ name: 'progress', arg: undefined }])
  assert.deepEqual(parseOutputs([]), [])
})

test('--out refuses unknown names, arguments to outputs without one, and repeats, naming each', () => {
  assert.throws(() => parseOutputs(['nope', 'progress=3', 'progress', 'progress']), (err: Error & { problems?: string[] }) => {
    assert.match(err.message, /--out nope: unknown output "nope" \(known: .*progress/)
    assert.match(err.message, /--out progress=3: progress takes no argument/)
    assert.match(err.message, /--out progress: progress given twice/)
    return true
  })
  for (const [name, kind] of Object.entries(outputKinds)) assert.ok(kind.description.length > 0, `${name} has a description`)
})
