import { test } from 'node:test'
import assert from 'node:assert/strict'
import { brokerProperties, kraftClusterId } from '../../../platform/kafka/broker.ts'
import type { BrokerOptions } from '../../../platform/kafka/broker.ts'

const options: BrokerOptions = {
  platform: 'unit',
  service: 'edge-kafka',
  dir: '/tmp/fleetlab-unit',
  host: '127.0.0.1',
  port: 41092,
  controllerPort: 41093,
  heapMb: 256,
  java: '/usr/bin/java',
  classpath: '/jars/*',
  readonlyPaths: [],
}

/** key=value lines as Kafka's Properties reads them (no comments or continuations are written). */
function parse (text: string): Map<string, string> {
  const entries = text.split('\n').filter(line => line !== '').map(line => {
    const at = line.indexOf('=')
    assert.ok(at > 0, `not a key=value line: ${line}`)
    return [line.slice(0, at), line.slice(at + 1)] as const
  })
  const map = new Map(entries)
  assert.equal(map.size, entries.length, 'no key is written twice')
  return map
}

test('brokerProperties is a single-node KRaft broker+controller on the given ports and data dir', () => {
  const text = brokerProperties(options, '/data/edge')
  assert.ok(text.endsWith('\n'))
  const p = parse(text)
  assert.equal(p.get('process.roles'), 'broker,controller')
  assert.equal(p.get('node.id'), '1')
  assert.equal(p.get('controller.quorum.voters'), '1@127.0.0.1:41093')
  assert.equal(p.get('listeners'), 'PLAINTEXT://127.0.0.1:41092,CONTROLLER://127.0.0.1:41093')
  assert.equal(p.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:41092')
  assert.equal(p.get('controller.listener.names'), 'CONTROLLER')
  assert.equal(p.get('inter.broker.listener.name'), 'PLAINTEXT')
  const protocols = new Map((p.get('listener.security.protocol.map') ?? '').split(',').map(pair => pair.split(':') as [string, string]))
  assert.equal(protocols.get('CONTROLLER'), 'PLAINTEXT')
  assert.equal(protocols.get('PLAINTEXT'), 'PLAINTEXT')
  assert.equal(p.get('log.dirs'), '/data/edge')
  // One broker: every internal topic must be satisfiable with replication factor 1.
  for (const key of ['offsets.topic.replication.factor', 'transaction.state.log.replication.factor', 'transaction.state.log.min.isr', 'default.replication.factor']) {
    assert.equal(p.get(key), '1', key)
  }
  assert.equal(p.has('zookeeper.connect'), false)
})

test('brokerProperties follows the host and ports it is given', () => {
  const p = parse(brokerProperties({ ...options, host: '10.0.0.5', port: 19092, controllerPort: 19093 }, '/d'))
  assert.equal(p.get('controller.quorum.voters'), '1@10.0.0.5:19093')
  assert.equal(p.get('listeners'), 'PLAINTEXT://10.0.0.5:19092,CONTROLLER://10.0.0.5:19093')
  assert.equal(p.get('advertised.listeners'), 'PLAINTEXT://10.0.0.5:19092')
})

test('kraftClusterId is 22 base64url characters of 16 random bytes, fresh each call', () => {
  const ids = new Set<string>()
  for (let i = 0; i < 2000; i++) {
    const id = kraftClusterId()
    assert.match(id, /^[A-Za-z0-9_-]{22}$/)
    assert.equal(Buffer.from(id, 'base64url').length, 16)
    // StorageTool format -t <id> would read a leading '-' as an option.
    assert.ok(!id.startsWith('-'), id)
    ids.add(id)
  }
  assert.equal(ids.size, 2000)
})
