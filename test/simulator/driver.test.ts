import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { InvalidConfigError } from '../../lib/errors.ts'
import { createDriver, defaultDriverContext, protocolNamed, protocols } from '../../simulator/driver.ts'
import type { Protocol } from '../../simulator/driver.ts'

test('drivers are registered by name, lwm2m first', () => {
  assert.deepEqual(protocols(), ['lwm2m'])
  assert.equal(protocolNamed('lwm2m'), 'lwm2m')
})

test('an unknown protocol fails with a message that lists the ones that exist', () => {
  assert.throws(() => protocolNamed('mqtt'), (err: unknown) => {
    assert.ok(err instanceof InvalidConfigError)
    assert.match(err.message, /unknown device protocol "mqtt" \(available: lwm2m\)/)
    assert.match(err.hint ?? '', /use one of: lwm2m/)
    return true
  })
  assert.throws(() => createDriver('coap' as Protocol, {} as never, defaultDriverContext(1)), /unknown device protocol "coap"/)
})

test('a driver makes devices that report through the events they are given, and rejects a reused index', () => {
  const driver = createDriver('lwm2m', {
    server: { host: '127.0.0.1', port: 9 }, lifetimeS: 60, ratePerS: 1, format: 110, objects: [{ objectId: 3303, instances: 1 }],
  }, defaultDriverContext(1))
  const events = new EventEmitter()
  const device = driver.createDevice({ index: 0, endpoint: 'd0', bindAddress: '127.0.0.1' }, events)
  assert.equal(driver.protocol, 'lwm2m')
  assert.equal(device.status, 'idle')
  assert.equal(device.endpoint, 'd0')
  assert.throws(() => driver.createDevice({ index: 0, endpoint: 'again', bindAddress: '127.0.0.1' }, events), /index 0 exists already/)
  assert.throws(() => driver.createDevice({ index: -1, endpoint: 'neg', bindAddress: '127.0.0.1' }, events), /non-negative/)
  driver.close()
})
