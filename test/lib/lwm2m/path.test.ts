import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Lwm2mPathError } from '../../../lib/lwm2m/errors.ts'
import {
  ROOT_PATH, formatPath, isPathPrefix, makePath, parsePath, pathDepth, pathEquals, pathFromSegments, pathIds, pathLevel, requireLevel,
} from '../../../lib/lwm2m/path.ts'
import { throwsReason } from './fuzz.ts'

test('parses and formats every level, from the root to a resource instance', () => {
  const cases = [
    ['/', {}, 'root'],
    ['/3303', { objectId: 3303 }, 'object'],
    ['/3303/0', { objectId: 3303, instanceId: 0 }, 'instance'],
    ['/3303/0/5700', { objectId: 3303, instanceId: 0, resourceId: 5700 }, 'resource'],
    ['/3/0/7/1', { objectId: 3, instanceId: 0, resourceId: 7, resourceInstanceId: 1 }, 'resourceInstance'],
    ['/65535/65535/65535/65535', { objectId: 65535, instanceId: 65535, resourceId: 65535, resourceInstanceId: 65535 }, 'resourceInstance'],
  ] as const
  for (const [text, path, level] of cases) {
    const p = parsePath(text)
    assert.deepEqual(p, path, text)
    assert.equal(formatPath(p), text)
    assert.equal(pathLevel(p), level)
    assert.equal(pathDepth(p), pathIds(p).length)
  }
  assert.equal(parsePath('/'), ROOT_PATH)
})

test('a bad path names the bad part and a reason', () => {
  const bad: Array<[string, string, string]> = [
    ['', 'PATH_SYNTAX', 'path'],
    ['3303/0', 'PATH_SYNTAX', 'path'],
    ['/3303/', 'PATH_SYNTAX', 'object instance id'],
    ['//0', 'PATH_SYNTAX', 'object id'],
    ['/3303/x', 'PATH_SYNTAX', 'object instance id'],
    ['/3303/0/-1', 'PATH_SYNTAX', 'resource id'],
    ['/3303/0/ 5700', 'PATH_SYNTAX', 'resource id'],
    ['/3303/0/5700/1.5', 'PATH_SYNTAX', 'resource instance id'],
    ['/1/2/3/4/5', 'PATH_SYNTAX', 'path'],
    ['/65536', 'PATH_ID_RANGE', 'object id'],
    ['/3/0/7/123456', 'PATH_ID_RANGE', 'resource instance id'],
  ]
  for (const [text, reason, part] of bad) {
    assert.throws(() => parsePath(text), (err: unknown) => {
      assert.ok(err instanceof Lwm2mPathError, text)
      assert.equal(err.reason, reason, `${text}: ${err.message}`)
      assert.equal(err.part, part, `${text}: ${err.message}`)
      assert.ok(err.message.includes(part), err.message)
      return true
    })
  }
})

test('makePath validates ids and keeps them contiguous', () => {
  assert.deepEqual(makePath(3, 0, 7, 1), { objectId: 3, instanceId: 0, resourceId: 7, resourceInstanceId: 1 })
  assert.equal(makePath(), ROOT_PATH)
  throwsReason(() => makePath(3, undefined, 7), 'PATH_SYNTAX', /resource id/)
  throwsReason(() => makePath(3, 70000), 'PATH_ID_RANGE', /object instance id/)
  throwsReason(() => makePath(3, 0, 1.5), 'PATH_ID_RANGE', /resource id/)
  throwsReason(() => makePath(-1), 'PATH_ID_RANGE', /object id/)
})

test('CoAP Uri-Path segments become paths', () => {
  assert.deepEqual(pathFromSegments(['3303', '0', '5700']), parsePath('/3303/0/5700'))
  assert.equal(pathFromSegments([]), ROOT_PATH)
  throwsReason(() => pathFromSegments(['rd']), 'PATH_SYNTAX', /object id/)
  throwsReason(() => pathFromSegments(['1', '2', '3', '4', '5']), 'PATH_SYNTAX')
})

test('prefix and equality follow the tree', () => {
  const r = parsePath('/3303/0/5700')
  assert.ok(isPathPrefix(ROOT_PATH, r))
  assert.ok(isPathPrefix(parsePath('/3303'), r))
  assert.ok(isPathPrefix(parsePath('/3303/0'), r))
  assert.ok(isPathPrefix(r, r))
  assert.ok(!isPathPrefix(parsePath('/3303/1'), r))
  assert.ok(!isPathPrefix(parsePath('/3303/0/5700/0'), r))
  assert.ok(!isPathPrefix(parsePath('/3304'), r))
  assert.ok(pathEquals(r, parsePath('/3303/0/5700')))
  assert.ok(!pathEquals(r, parsePath('/3303/0')))
})

test('requireLevel rejects other levels with PATH_LEVEL', () => {
  assert.equal(requireLevel(parsePath('/3/0/1'), ['resource'], 'x'), 'resource')
  throwsReason(() => requireLevel(parsePath('/3/0'), ['resource', 'resourceInstance'], 'text/plain'), 'PATH_LEVEL', /text\/plain/)
})
