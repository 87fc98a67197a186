import { test } from 'node:test'
import assert from 'node:assert/strict'
import { gatewayNumber, gatewayPlacement, gatewayPlacementProblems, gatewaysNeeded, placeDevices } from '../../simulator/gateway-placement.ts'

test('gatewaysNeeded: enough gateways for the peak at the cap, at least one', () => {
  assert.equal(gatewaysNeeded(0, 5000), 1)
  assert.equal(gatewaysNeeded(5000, 5000), 1)
  assert.equal(gatewaysNeeded(5001, 5000), 2)
  assert.equal(gatewaysNeeded(12_000, 5000), 3)
  assert.throws(() => gatewaysNeeded(10, 0), /maxPerGateway must be a whole number of at least 1/)
  assert.throws(() => gatewaysNeeded(1.5, 10), /peak must be a whole number/)
})

test('fill-first fills gateway 0 to the cap, then gateway 1, ... (EMU-IoT)', () => {
  const o = { maxPerGateway: 5000, policy: 'fill-first', gateways: 3 } as const
  assert.deepEqual(placeDevices(0, o), [0, 0, 0])
  assert.deepEqual(placeDevices(4999, o), [4999, 0, 0])
  assert.deepEqual(placeDevices(5000, o), [5000, 0, 0])
  assert.deepEqual(placeDevices(7500, o), [5000, 2500, 0])
  assert.deepEqual(placeDevices(15_000, o), [5000, 5000, 5000])
})

test('spread is as even as possible, the first gateways take the remainder', () => {
  const o = { maxPerGateway: 5000, policy: 'spread', gateways: 3 } as const
  assert.deepEqual(placeDevices(0, o), [0, 0, 0])
  assert.deepEqual(placeDevices(7, o), [3, 2, 2])
  assert.deepEqual(placeDevices(7500, o), [2500, 2500, 2500])
  assert.deepEqual(placeDevices(15_000, o), [5000, 5000, 5000])
})

test('every split adds up to the total and respects the cap', () => {
  for (const policy of ['fill-first', 'spread'] as const) {
    for (let total = 0; total <= 40; total++) {
      const counts = placeDevices(total, { maxPerGateway: 10, policy, gateways: 4 })
      assert.equal(counts.reduce((a, b) => a + b, 0), total)
      assert.ok(counts.every(c => c >= 0 && c <= 10))
      assert.ok(Math.max(...counts) - Math.min(...counts) <= (policy === 'spread' ? 1 : 10))
    }
  }
  assert.throws(() => placeDevices(41, { maxPerGateway: 10, policy: 'spread', gateways: 4 }), /41 devices do not fit on 4 gateways of 10/)
  assert.throws(() => placeDevices(1, { maxPerGateway: 10, policy: 'round-robin' as 'spread', gateways: 1 }), /unknown placement policy "round-robin"/)
})

test('each gateway binds its own block of loopback addresses; a wildcard stays the wildcard', () => {
  const run = { firstAddress: '127.0.0.1', perAddress: 10_000 }
  assert.equal(gatewayNumber(10_000, 5000), 2)
  assert.deepEqual(gatewayPlacement(run, 0, 5000), run)
  assert.deepEqual(gatewayPlacement(run, 1, 5000), { firstAddress: '127.0.0.2', perAddress: 10_000 })
  // 25,000 devices per gateway at 10,000 per address: 3 addresses each
  assert.equal(gatewayPlacement(run, 2, 25_000).firstAddress, '127.0.0.7')
  assert.equal(gatewayPlacement({ firstAddress: '127.0.0.250', perAddress: 1 }, 3, 4).firstAddress, '127.0.1.6')
  assert.deepEqual(gatewayPlacement({ firstAddress: '0.0.0.0', perAddress: 10_000 }, 5, 5000), { firstAddress: '0.0.0.0', perAddress: 10_000 })
  assert.deepEqual(gatewayPlacementProblems(run, 100, 5000), [])
  assert.match(gatewayPlacementProblems({ firstAddress: '127.255.255.0', perAddress: 1 }, 2, 200).join(), /gateway 1: 2 gateways of 200 devices .* run past 127.255.255.255/)
})
