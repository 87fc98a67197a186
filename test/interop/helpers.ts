// Shared by the interop tests: cleanups that run last-in first-out, a real edge Kafka, reading a topic.
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKafkaClient } from '../../platform/kafka/index.ts'
import type { IncomingRecord, KafkaClient } from '../../platform/kafka/client.ts'
import { freePortPair, runCli, uniqueName } from '../helpers.ts'

export type Defer = (cleanup: () => unknown) => void

/**
 * node:test runs a test's after hooks in the order they were added; these run last-in first-out, so a client stops
 * before the server it talks to, and the broker goes down last. Every cleanup runs; the first failure is rethrown.
 */
export function cleanups (t: TestContext): Defer {
  const stack: Array<() => unknown> = []
  t.after(async () => {
    let failure: unknown
    while (stack.length > 0) {
      try { await stack.pop()!() } catch (err) { failure ??= err }
    }
    if (failure !== undefined) throw failure
  })
  return cleanup => { stack.push(cleanup) }
}

/** A one-broker edge Kafka through the platform CLI (process runtime, mirror off), as the Kafka bridge tests run it. */
export async function startEdgeKafka (defer: Defer): Promise<KafkaClient> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetlab-interop-'))
  defer(() => rm(dir, { recursive: true, force: true }))
  const port = await freePortPair()
  const platform = uniqueName('t-interop')
  const config = join(dir, 'platform.json')
  await writeFile(config, JSON.stringify({ name: platform, edge: { port, controllerPort: port + 1 }, cloud: { bootstrap: `127.0.0.1:${port}` }, mirror: { enabled: false }, lwm2m: { enabled: false } }))
  defer(() => runCli(['platform', 'down', '--runtime', 'process', '--name', platform]))
  const up = await runCli(['platform', 'up', '--runtime', 'process', '--config', config])
  assert.equal(up.code, 0, up.stderr)
  const kafka = createKafkaClient({ bootstrap: [`127.0.0.1:${port}`], clientId: 'fleetlab-interop-test' })
  defer(() => kafka.close())
  return kafka
}

export async function collect (defer: Defer, kafka: KafkaClient, topic: string): Promise<IncomingRecord[]> {
  const records: IncomingRecord[] = []
  const consumer = await kafka.consume({ groupId: uniqueName('t-interop-reader'), topics: [topic], fromBeginning: true, onRecord: r => { records.push(r) } })
  defer(() => consumer.close())
  return records
}
