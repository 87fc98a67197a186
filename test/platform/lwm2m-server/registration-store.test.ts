import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RegistrationStore } from '../../../platform/lwm2m-server/registration-store.ts'
import type { NewRegistration } from '../../../platform/lwm2m-server/registration-store.ts'

function fields (endpoint: string, lifetimeS = 30): NewRegistration {
  return { endpoint, lifetimeS, lwm2mVersion: '1.1', binding: 'U', queueMode: false, objectLinks: '</3/0>', address: '127.0.0.1', port: 40000 }
}

test('register, look up by id and endpoint, deregister', () => {
  const store = new RegistrationStore()
  const { registration, replaced } = store.add(fields('dev-1'))
  assert.equal(replaced, undefined)
  assert.match(registration.id, /^[0-9a-f]{10}$/)
  assert.equal(store.byId(registration.id), registration)
  assert.equal(store.byEndpoint('dev-1'), registration)
  assert.equal(store.size, 1)
  assert.equal(store.remove(registration.id), registration)
  assert.equal(store.byEndpoint('dev-1'), undefined)
  assert.equal(store.size, 0)
  assert.equal(store.remove(registration.id), undefined)
})

test('a second Register of the same endpoint replaces the first', () => {
  const store = new RegistrationStore()
  const first = store.add(fields('dev-1')).registration
  const { registration: second, replaced } = store.add({ ...fields('dev-1'), port: 40001 })
  assert.equal(replaced, first)
  assert.notEqual(second.id, first.id)
  assert.equal(store.byId(first.id), undefined)
  assert.equal(store.byEndpoint('dev-1'), second)
  assert.equal(store.size, 1)
  // removing the stale id later must not drop the new registration
  assert.equal(store.remove(first.id), undefined)
  assert.equal(store.byEndpoint('dev-1'), second)
})

test('update refreshes the lifetime and changes only the given fields', () => {
  let now = 1_000_000
  const store = new RegistrationStore(() => now)
  const r = store.add(fields('dev-1', 30)).registration
  now += 20_000
  const u = store.update(r.id, { lifetimeS: 60, smsNumber: undefined, address: '127.0.0.2' })
  assert.equal(u?.lifetimeS, 60)
  assert.equal(u?.address, '127.0.0.2')
  assert.equal(u?.binding, 'U')
  assert.equal(u?.updatedAt, now)
  assert.equal(store.update('nope', { lifetimeS: 1 }), undefined)
})

test('registrations expire when their lifetime passes without an update', () => {
  let now = 0
  const store = new RegistrationStore(() => now)
  const a = store.add(fields('a', 10)).registration
  const b = store.add(fields('b', 30)).registration
  now = 9_999
  assert.deepEqual(store.expire(), [])
  now = 10_000
  assert.deepEqual(store.expire().map(r => r.endpoint), ['a'])
  assert.equal(store.byId(a.id), undefined)
  now = 25_000
  store.update(b.id, {})
  now = 50_000
  assert.deepEqual(store.expire(), [], 'the update restarted b\'s lifetime')
  now = 55_000
  assert.deepEqual(store.expire(1_000), [])
  now = 56_000
  assert.deepEqual(store.expire(1_000).map(r => r.endpoint), ['b'])
  assert.equal(store.size, 0)
})
