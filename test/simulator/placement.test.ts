import { test } from 'node:test'
import assert from 'node:assert/strict'
import { WILDCARD, checkPlacement, defaultPlacement, descriptorBudget, intToIpv4, ipv4ToInt, isLoopback, sourceAddress } from '../../simulator/placement.ts'

test('devices fill a loopback address, then the next one', () => {
  const p = { firstAddress: '127.0.0.2', perAddress: 1000 }
  assert.equal(sourceAddress(p, 0), '127.0.0.2')
  assert.equal(sourceAddress(p, 999), '127.0.0.2')
  assert.equal(sourceAddress(p, 1000), '127.0.0.3')
  assert.equal(sourceAddress({ firstAddress: '127.0.0.255', perAddress: 1 }, 1), '127.0.1.0')
  assert.equal(intToIpv4(ipv4ToInt('10.1.2.3')), '10.1.2.3')
})

test('a loopback server gets loopback sources, a remote one the wildcard', () => {
  assert.deepEqual(defaultPlacement('127.0.0.1'), { firstAddress: '127.0.0.1', perAddress: 10_000 })
  assert.deepEqual(defaultPlacement('localhost', 500), { firstAddress: '127.0.0.1', perAddress: 500 })
  assert.equal(defaultPlacement('leshan.example.org').firstAddress, WILDCARD)
  assert.equal(sourceAddress(defaultPlacement('192.168.1.10'), 123), WILDCARD)
  assert.ok(isLoopback('127.9.9.9'))
  assert.ok(!isLoopback('128.0.0.1'))
})

test('placement problems are explained', () => {
  assert.deepEqual(checkPlacement({ firstAddress: '127.0.0.1', perAddress: 10_000 }, 20_000), [])
  assert.match(checkPlacement({ firstAddress: WILDCARD, perAddress: 1 }, 30_000)[0]!, /ephemeral ports/)
  assert.match(checkPlacement({ firstAddress: '127.255.255.255', perAddress: 1 }, 3)[0]!, /run past 127.255.255.255/)
  assert.match(checkPlacement({ firstAddress: '127.0.0.1', perAddress: 0 }, 3)[0]!, /1-28000/)
  assert.match(checkPlacement({ firstAddress: 'nope', perAddress: 1 }, 3)[0]!, /not an IPv4 address/)
})

test('the file descriptor budget comes from RLIMIT_NOFILE minus what is open', () => {
  const b = descriptorBudget(10)
  assert.ok(b.limit > 0 && b.open > 0)
  assert.equal(b.free, Math.max(0, b.limit - b.open - 10))
})
