import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EXIT_OK, EXIT_UNEXPECTED, exitCodes, reportError } from '../../cli/exit-codes.ts'
import { InvalidConfigError, KafkaError, PortInUseError, errorCodes } from '../../lib/errors.ts'

function report (err: unknown): { code: number, lines: string[] } {
  const lines: string[] = []
  const code = reportError(err, line => { lines.push(line) })
  return { code, lines }
}

test('every error code has its own exit code, neither 0 (ok) nor 1 (unexpected)', () => {
  assert.deepEqual(Object.keys(exitCodes).sort(), [...errorCodes].sort())
  const codes = errorCodes.map(c => exitCodes[c])
  assert.equal(new Set(codes).size, codes.length, `duplicate exit codes: ${codes.join(', ')}`)
  for (const [i, code] of codes.entries()) {
    assert.ok(Number.isInteger(code) && code >= 0 && code <= 255, `${errorCodes[i]} -> ${code}: not an exit status`)
    assert.ok(code !== EXIT_OK && code !== EXIT_UNEXPECTED, `${errorCodes[i]} -> ${code}`)
  }
})

test('reportError prints every problem of an InvalidConfigError and the hint', () => {
  const err = new InvalidConfigError(['edge.prot: unknown key', 'mirror.enabled: expected a boolean, got "yes"'], { hint: 'see docs/platform.md' })
  assert.deepEqual(report(err), {
    code: exitCodes.FLEETLAB_INVALID_CONFIG,
    lines: [
      'error: 2 problems:',
      '  - edge.prot: unknown key',
      '  - mirror.enabled: expected a boolean, got "yes"',
      'hint: see docs/platform.md',
    ],
  })
  assert.deepEqual(report(new InvalidConfigError(['name: bad'])), { code: 2, lines: ['error: name: bad'] })
})

test('reportError maps other fleetlab errors to their code and hint', () => {
  const { code, lines } = report(new PortInUseError([{ service: 'edge-kafka', port: 29092 }]))
  assert.equal(code, exitCodes.FLEETLAB_PORT_IN_USE)
  assert.equal(lines[0], 'error: port already in use: 29092 (edge-kafka)')
  assert.match(lines[1] ?? '', /^hint: .*--edge-port/)
  assert.deepEqual(report(new KafkaError('no leader')), { code: exitCodes.FLEETLAB_KAFKA, lines: ['error: no leader'] })
})

test('an unexpected error exits 1 and keeps its stack', () => {
  const { code, lines } = report(new TypeError('boom'))
  assert.equal(code, EXIT_UNEXPECTED)
  assert.match(lines.join('\n'), /^unexpected error: TypeError: boom\n\s+at /)
  assert.deepEqual(report('just a string'), { code: 1, lines: ['unexpected error: just a string'] })
})
