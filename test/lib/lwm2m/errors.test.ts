import { test } from 'node:test'
import assert from 'node:assert/strict'
import { exitCodes, reportError } from '../../../cli/exit-codes.ts'
import { FleetlabError, errorCodes } from '../../../lib/errors.ts'
import { Lwm2mFormatError, Lwm2mModelError, Lwm2mPathError, isLwm2mFormatError, lwm2mFormatReasons } from '../../../lib/lwm2m/errors.ts'

test('Lwm2mFormatError is a FleetlabError with its own code, exit code 10 and a reason', () => {
  const err = new Lwm2mFormatError('TLV_TRUNCATED', 'payload ends inside a TLV header')
  assert.ok(err instanceof FleetlabError)
  assert.ok(isLwm2mFormatError(err))
  assert.equal(err.code, 'FLEETLAB_LWM2M_FORMAT')
  assert.ok(errorCodes.includes(err.code))
  assert.equal(err.reason, 'TLV_TRUNCATED')
  assert.equal(err.retriable, false)
  assert.equal(err.message, 'TLV_TRUNCATED: payload ends inside a TLV header')
  assert.equal(exitCodes.FLEETLAB_LWM2M_FORMAT, 10)
  const lines: string[] = []
  assert.equal(reportError(err, l => { lines.push(l) }), 10)
  assert.deepEqual(lines, ['error: TLV_TRUNCATED: payload ends inside a TLV header'])
})

test('path and model errors are Lwm2mFormatErrors that name what was wrong', () => {
  const p = new Lwm2mPathError('PATH_ID_RANGE', 'resource id', '/3/0/70000', '70000 is out of 0..65535')
  assert.ok(p instanceof Lwm2mFormatError)
  assert.equal(p.part, 'resource id')
  assert.match(p.message, /^PATH_ID_RANGE: resource id in "\/3\/0\/70000"/)
  const m = new Lwm2mModelError(3303, 9)
  assert.ok(m instanceof Lwm2mFormatError)
  assert.equal(m.reason, 'UNKNOWN_RESOURCE')
  assert.equal(new Lwm2mModelError(42).reason, 'UNKNOWN_OBJECT')
})

test('reasons are unique, upper-case codes', () => {
  assert.equal(new Set(lwm2mFormatReasons).size, lwm2mFormatReasons.length)
  for (const r of lwm2mFormatReasons) assert.match(r, /^[A-Z][A-Z0-9_]+$/)
})
