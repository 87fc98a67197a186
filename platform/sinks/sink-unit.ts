// The sink as a unit of a run (lib/channel.ts): `fleetlab sink`, one replica of a sink's consumer group, started by
// the runner through the Runtime (Runtime.scale starts and stops replicas), connects back, waits for its `config`
// (SinkConfig), consumes into its store, tells each batch's arrivals before the batch is committed, and sends its
// closed metric windows every second. It ends in one of three ways:
//   `finish` from the runner   -> stop consuming (offsets committed), close the store, last windows, `report`, exit 0
//   SIGTERM (scaled down)      -> the same: the replica leaves the group cleanly and says what it did, exit 0
//   runner gone, start failed  -> stop (or `fatal`), exit 1
import { isAbsolute } from 'node:path'
import type { SinkConfig } from './contract.ts'
import type { RunnerMessage, UnitMessage } from '../../lib/channel.ts'
import { InvalidConfigError, isFleetlabError } from '../../lib/errors.ts'
import { MetricsRecorder } from '../../lib/metrics/recorder.ts'
import type { KafkaClient } from '../kafka/client.ts'
import { SinkConsumer } from './sink-consumer.ts'
import type { SinkStore } from './store.ts'
import { createStore, storeNames } from './stores/index.ts'
import { parseBootstrapList } from '../../lib/schema/net.ts'
import { unitClock } from '../../lib/clock.ts'
import type { TimeSource } from '../../lib/clock.ts'

/** The unit's side of the control channel (ChannelClient), as much as the unit uses. */
export interface UnitChannel extends TimeSource {
  send (message: UnitMessage): void
  /** Resolves once the message is with the kernel (ChannelClient.sendFlushed). */
  sendFlushed (message: UnitMessage): Promise<void>
  close (): Promise<void>
  on (event: 'message', listener: (message: RunnerMessage) => void): unknown
  on (event: 'close', listener: () => void): unknown
}

export interface SinkUnitDeps {
  channel: UnitChannel
  kafka: (bootstrap: readonly string[]) => KafkaClient
  /** Wall clock, epoch ms, that the unit corrects to the runner's (lib/clock.ts). Default Date.now. */
  now?: () => number
  /** Diagnostics for the unit's log (stderr). */
  log?: (line: string) => void
  /** How long to wait for `config`. Default 30 s. */
  configTimeoutMs?: number
  /** Resolves when the process is told to stop (SIGTERM): a replica scaled down; it finishes cleanly. */
  terminated?: Promise<void>
}

const CONFIG_KEYS = ['bootstrap', 'topicPattern', 'groupId', 'store', 'cost', 'sessionTimeoutMs']

/** Validates a `config` payload, every problem at once (house rule 2, docs/architecture.md); the store checks its own options later. */
export function parseSinkConfig (value: unknown): SinkConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidConfigError(['sink config: expected an object'])
  const v = value as Record<string, unknown>
  const problems: string[] = []
  for (const key of Object.keys(v)) if (!CONFIG_KEYS.includes(key)) problems.push(`sink config.${key}: unknown key (allowed: ${CONFIG_KEYS.join(', ')})`)
  const bootstrap = v.bootstrap
  if (!Array.isArray(bootstrap) || parseBootstrapList(bootstrap) === undefined) {
    problems.push(`sink config.bootstrap: expected a list of host:port brokers, got ${JSON.stringify(bootstrap)}`)
  }
  if (typeof v.topicPattern !== 'string' || v.topicPattern === '') {
    problems.push(`sink config.topicPattern: expected a regular expression, got ${JSON.stringify(v.topicPattern)}`)
  } else {
    try { new RegExp(v.topicPattern) } catch (err) { problems.push(`sink config.topicPattern: ${(err as Error).message}`) }
  }
  if (typeof v.groupId !== 'string' || v.groupId === '') problems.push(`sink config.groupId: expected a non-empty string, got ${JSON.stringify(v.groupId)}`)
  const store = v.store as { kind?: unknown, options?: unknown } | undefined
  if (typeof store !== 'object' || store === null || typeof store.kind !== 'string' || !storeNames.includes(store.kind) ||
    typeof store.options !== 'object' || store.options === null || Array.isArray(store.options)) {
    problems.push(`sink config.store: expected { kind: ${storeNames.join(' | ')}, options: {...} }, got ${JSON.stringify(store)}`)
  } else if (store.kind === 'file') {
    const outFile = (store.options as Record<string, unknown>).outFile
    if (typeof outFile !== 'string' || !isAbsolute(outFile)) problems.push(`sink config.store.options.outFile: expected an absolute path, got ${JSON.stringify(outFile)}`)
  }
  const cost = v.cost as { ms?: unknown, kind?: unknown } | undefined
  if (cost !== undefined && (typeof cost !== 'object' || cost === null || typeof cost.ms !== 'number' || !(cost.ms >= 0) || (cost.kind !== 'cpu' && cost.kind !== 'wait'))) {
    problems.push(`sink config.cost: expected { ms: >= 0, kind: 'cpu' | 'wait' }, got ${JSON.stringify(cost)}`)
  }
  if (v.sessionTimeoutMs !== undefined && (typeof v.sessionTimeoutMs !== 'number' || !Number.isInteger(v.sessionTimeoutMs) || v.sessionTimeoutMs < 6000)) {
    problems.push(`sink config.sessionTimeoutMs: expected a whole number of ms >= 6000 (the broker's minimum), got ${JSON.stringify(v.sessionTimeoutMs)}`)
  }
  if (problems.length > 0) throw new InvalidConfigError(problems)
  return v as unknown as SinkConfig
}

type Outcome = { kind: 'config', config: unknown } | { kind: 'finish' } | { kind: 'gone', why: string }

/** Runs the unit until `finish` (exit code 0) or until it cannot go on (1). Never throws. */
export async function runSinkUnit (deps: SinkUnitDeps): Promise<number> {
  const { channel } = deps
  const log = deps.log ?? (() => {})
  // receive times, windows and events in the runner's time: latency = receive - send, both of the runner's clock
  // (the clock tells its offset only after its first answer, so `clock` is there when it does)
  const { clock, stop: stopClock } = unitClock(channel, deps.now ?? Date.now, detail => channel.send({ type: 'event', atMs: clock.now(), kind: 'clock', detail }))
  const now = clock.now
  const event = (kind: string, detail: string): void => channel.send({ type: 'event', atMs: now(), kind, detail })
  let wake: ((o: Outcome) => void) | undefined
  const queued: Outcome[] = []
  const push = (o: Outcome): void => { if (wake !== undefined) { const w = wake; wake = undefined; w(o) } else queued.push(o) }
  const next = async (timeoutMs?: number): Promise<Outcome> => {
    const q = queued.shift()
    if (q !== undefined) return q
    return await new Promise(resolve => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => { wake = undefined; resolve({ kind: 'gone', why: `no config within ${timeoutMs} ms` }) }, timeoutMs)
      wake = o => { clearTimeout(timer); resolve(o) }
    })
  }
  channel.on('message', m => {
    if (m.type === 'config') push({ kind: 'config', config: m.config })
    else if (m.type === 'finish') push({ kind: 'finish' })
  })
  channel.on('close', () => push({ kind: 'gone', why: 'the runner went away' }))
  void deps.terminated?.then(() => push({ kind: 'gone', why: 'terminated' }))

  const first = await next(deps.configTimeoutMs ?? 30_000)
  if (first.kind !== 'config') {
    log(`sink: ${first.kind === 'gone' ? first.why : 'finish before config'}; exiting`)
    if (first.kind === 'finish') { channel.send({ type: 'fatal', code: 'FLEETLAB_INVALID_CONFIG', message: 'finish arrived before config' }); await channel.close() }
    stopClock()
    return 1
  }

  const metrics = new MetricsRecorder({ now })
  let kafka: KafkaClient | undefined
  let store: SinkStore | undefined
  let sink: SinkConsumer
  try {
    const config = parseSinkConfig(first.config)
    store = await createStore(config.store.kind, { ...config.store.options }, { event, now })
    kafka = deps.kafka(config.bootstrap)
    sink = new SinkConsumer({ topicPattern: config.topicPattern, groupId: config.groupId, ...(config.cost !== undefined ? { cost: config.cost } : {}) }, {
      kafka, store, metrics, now, event,
      ...(config.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: config.sessionTimeoutMs } : {}),
      onArrivals: arrivals => channel.sendFlushed({ type: 'arrivals', arrivals }),
    })
    await sink.start()
    log(`sink: consuming /${config.topicPattern}/ from ${config.bootstrap.join(',')} (group ${config.groupId}) into ${config.store.kind}`)
  } catch (err) {
    const code = isFleetlabError(err) ? err.code : 'FLEETLAB_SERVICE_FAILED'
    log(`sink: start failed: ${(err as Error).message}`)
    channel.send({ type: 'fatal', code, message: (err as Error).message })
    await store?.close().catch(() => {})
    await kafka?.close().catch(() => {})
    await channel.close()
    stopClock()
    return 1
  }

  const sendWindows = (beforeSecond?: number): void => {
    const windows = metrics.drain(beforeSecond).filter(w => !w.isEmpty).map(w => w.toJSON())
    if (windows.length > 0) channel.send({ type: 'windows', windows })
  }
  const ticker = setInterval(() => { sink.sampleLag(); sendWindows() }, 1000)

  let outcome: Outcome
  do outcome = await next(); while (outcome.kind === 'config')
  clearInterval(ticker)
  try {
    await sink.stop()
    await store.close()
  } catch (err) {
    log(`sink: stopping failed: ${(err as Error).message}`)
    event('sink.error', `stopping failed: ${(err as Error).message}`)
  }
  await kafka.close().catch(() => {})
  if (outcome.kind === 'gone' && outcome.why !== 'terminated') {
    log(`sink: ${outcome.why}; stopped after ${sink.records} records`)
    await channel.close()
    stopClock()
    return 1
  }
  // Every window, the current second's included: nothing more is recorded after this.
  sendWindows(metrics.currentSecond() + 1)
  channel.send({ type: 'report', report: sink.report() })
  log(`sink: ${outcome.kind === 'finish' ? 'finished' : 'scaled down (SIGTERM), left the group'} after ${sink.records} records`)
  await channel.close()
  stopClock()
  return 0
}
