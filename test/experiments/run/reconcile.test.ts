import { test } from 'node:test'
import assert from 'node:assert/strict'
import { edgeLossReasons, reconcile } from '../../../experiments/run/reconcile.ts'
import type { GatewayReport, SinkReport } from '../../../experiments/contracts.ts'

const gw = (sent: Record<string, number>): GatewayReport => ({ gateway: 'g', sent, counters: {}, deregistered: { clean: 0, unclean: 0 } })
const sink = (devices: SinkReport['devices']): SinkReport => ({ devices, records: 0, untraced: 0, undecodable: 0 })

test('sent = delivered + lost per device, duplicates apart, across gateways', () => {
  const r = reconcile([gw({ a: 10, b: 5 }), gw({ c: 3 })], sink({
    a: { delivered: 10, duplicates: 2, maxSeq: 9 },
    b: { delivered: 4, duplicates: 0, maxSeq: 4 },
  }), { edgeRecords: 19, cloudRecords: 19 })
  assert.equal(r.sent, 18)
  assert.equal(r.delivered, 14)
  assert.equal(r.lost, 4)
  assert.equal(r.sent, r.delivered + r.lost)
  assert.equal(r.duplicates, 2)
  assert.equal(r.devicesWithLoss, 2)
  assert.deepEqual(r.examples.map(e => e.endpoint), ['b', 'c'])
})

test('the loss reasons follow the hop counts and always add up to lost', () => {
  // 100 sent, 90 reached the edge topic, 85 the cloud topic, the sink read 80
  const r = reconcile([gw({ a: 100 })], sink({ a: { delivered: 80, duplicates: 0, maxSeq: 99 } }), { edgeRecords: 90, cloudRecords: 85 })
  assert.deepEqual([r.lostNotInEdge, r.lostNotMirrored, r.lostNotConsumed], [10, 5, 5])
  assert.equal(r.lostNotInEdge + r.lostNotMirrored + r.lostNotConsumed, r.lost)
  // duplicates inflate topic counts: the split is capped by the exact total
  const d = reconcile([gw({ a: 10 })], sink({ a: { delivered: 9, duplicates: 5, maxSeq: 9 } }), { edgeRecords: 2, cloudRecords: 0 })
  assert.equal(d.lost, 1)
  assert.equal(d.lostNotInEdge + d.lostNotMirrored + d.lostNotConsumed, 1)
})

test('records nobody sent are unexpected, never delivered', () => {
  const r = reconcile([gw({ a: 2 })], sink({ a: { delivered: 3, duplicates: 0, maxSeq: 2 }, z: { delivered: 4, duplicates: 0, maxSeq: 3 } }), { edgeRecords: 7, cloudRecords: 7 })
  assert.equal(r.delivered, 2)
  assert.equal(r.lost, 0)
  assert.equal(r.unexpected, 5)
})

test('edge loss reasons: kernel drops, malformed and undecodable by reason, bridge drops; nothing when all is well', () => {
  assert.deepEqual(edgeLossReasons(undefined, undefined), [])
  assert.deepEqual(edgeLossReasons({ 'lwm2m.notify.received': 100, 'lwm2m.kafka.queued': 100, 'lwm2m.malformed.TOO_SHORT': 0 }, 0), [])
  assert.deepEqual(edgeLossReasons({
    'lwm2m.malformed.TOO_SHORT': 2, 'lwm2m.malformed.BAD_VERSION': 1, 'lwm2m.notify.undecodable.senml': 4,
    'lwm2m.kafka.dropped': 5, 'lwm2m.kafka.failed': 0, 'lwm2m.bridge.observations.undecodable': 1,
  }, 7), [
    'the kernel dropped 7 datagrams at the LWM2M server\'s socket (receive buffer full)',
    '3 malformed datagrams (TOO_SHORT 2, BAD_VERSION 1)',
    '4 notifications the server could not decode (senml 4)',
    '1 notifications the bridge could not map to Avro',
    '5 records the bridge dropped (its queue to Kafka was full)',
  ])
})
