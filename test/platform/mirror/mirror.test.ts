import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cloudToEdgeTopics, edgeToCloudTopics, mirrorProperties } from '../../../platform/mirror/mirror.ts'
import type { MirrorOptions } from '../../../platform/mirror/mirror.ts'

const options: MirrorOptions = {
  platform: 'unit',
  service: 'mirror',
  dir: '/tmp/fleetlab-unit',
  edgeBootstrap: ['127.0.0.1:41092'],
  cloudBootstrap: ['127.0.0.1:42092', '127.0.0.1:42094'],
  refreshSeconds: 7,
  heapMb: 256,
  java: '/usr/bin/java',
  classpath: '/jars/*',
  readonlyPaths: [],
}

function parse (text: string): Map<string, string> {
  return new Map(text.split('\n').filter(line => line !== '').map(line => {
    const at = line.indexOf('=')
    assert.ok(at > 0, `not a key = value line: ${line}`)
    return [line.slice(0, at).trim(), line.slice(at + 1).trim()] as const
  }))
}

const props = parse(mirrorProperties(options))

// MM2's DefaultTopicFilter default for topics.exclude, applied to a flow that sets none.
const MM2_DEFAULT_EXCLUDE = '.*[\\-\\.]internal, .*\\.replica, __.*'

/**
 * A flow's topic filter as MM2 applies it: the comma-separated list joined into one regex that must match
 * the whole topic name (Java's Matcher.matches), minus the excludes.
 */
function flowFilter (flow: 'edge->cloud' | 'cloud->edge'): (topic: string) => boolean {
  const compile = (list: string): RegExp => new RegExp(`^(?:${list.split(',').map(s => s.trim()).filter(s => s !== '').join('|')})$`)
  const include = compile(props.get(`${flow}.topics`) ?? '')
  const exclude = compile(props.get(`${flow}.topics.exclude`) ?? props.get('topics.exclude') ?? MM2_DEFAULT_EXCLUDE)
  return topic => props.get(`${flow}.enabled`) === 'true' && include.test(topic) && !exclude.test(topic)
}

const toCloud = flowFilter('edge->cloud')
const toEdge = flowFilter('cloud->edge')

test('mirrorProperties: identity names, the refresh interval, both flows on both clusters', () => {
  assert.equal(props.get('replication.policy.class'), 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy')
  assert.equal(props.get('refresh.topics.interval.seconds'), '7')
  assert.equal(props.get('clusters'), 'edge, cloud')
  assert.equal(props.get('edge.bootstrap.servers'), '127.0.0.1:41092')
  assert.equal(props.get('cloud.bootstrap.servers'), '127.0.0.1:42092,127.0.0.1:42094')
  assert.equal(props.get('edge->cloud.enabled'), 'true')
  assert.equal(props.get('cloud->edge.enabled'), 'true')
  assert.equal(props.get('edge->cloud.topics'), edgeToCloudTopics)
  assert.equal(props.get('cloud->edge.topics'), cloudToEdgeTopics)
})

test('device data and management replies go edge -> cloud only', () => {
  for (const topic of ['iot.gw1.observations', 'iot.gw1.registrations', 'iot.gw1.management.rep', 'iot.gateway-42.observations']) {
    assert.equal(toCloud(topic), true, `${topic} edge -> cloud`)
    assert.equal(toEdge(topic), false, `${topic} not cloud -> edge`)
  }
})

test('management requests go cloud -> edge only', () => {
  for (const topic of ['iot.gw1.management.req', 'iot.gateway-42.management.req']) {
    assert.equal(toEdge(topic), true, `${topic} cloud -> edge`)
    assert.equal(toCloud(topic), false, `${topic} not edge -> cloud`)
  }
})

test('internal, replica and non-iot topics go nowhere', () => {
  const nowhere = [
    'mm2-offsets.edge.internal', 'mm2-configs.cloud.internal', 'mm2-status.edge.internal', 'edge.checkpoints.internal',
    '__consumer_offsets', '__transaction_state', 'heartbeats',
    'orders', 'iotgw1.observations', 'my.iot.gw1.observations', 'iot', 'iot.gw1.observations.replica',
  ]
  for (const topic of nowhere) {
    assert.equal(toCloud(topic), false, `${topic} edge -> cloud`)
    assert.equal(toEdge(topic), false, `${topic} cloud -> edge`)
  }
})

test('no topic is mirrored both ways (with identity names that would be a cycle)', () => {
  const segments = ['gw1', 'management', 'req', 'rep', 'observations', 'internal', 'replica', 'iot', 'x']
  let checked = 0
  for (const a of segments) {
    for (const b of segments) {
      for (const c of ['', ...segments]) {
        const topic = ['iot', a, b, c].filter(s => s !== '').join('.')
        assert.ok(!(toCloud(topic) && toEdge(topic)), `${topic} matches both flows`)
        checked++
      }
    }
  }
  assert.ok(checked > 500)
})
