// The sink as a unit of a run (lib/channel.ts): `fleetlab sink`, started by the runner through the Runtime, connects
// back, waits for its `config` (SinkConfig), runs the file sink, sends its closed metric windows every second and, on
// `finish`, stops consuming (offsets committed), flushes the file, sends the last windows and its `report`.
//   runner gone before finish  -> stop, exit 1
//   start-up failed            -> `fatal`, exit 1
import { isAbsolute } from 'node:path'
import type { SinkConfig } from '../../experiments/contracts.ts'
import type { RunnerMessage, UnitMessage } from '../../lib/channel.ts'
import { InvalidConfigError, isFleetlabError } from '../../lib/errors.ts'
import { MetricsRecorder } from '../../lib/metrics/recorder.ts'
import type { KafkaClient } from '../kafka/client.ts'
import { FileSink } from './file-sink.ts'

/** The unit's side of the control channel (ChannelClient), as much as the unit uses. */
export interface UnitChannel {
  send (message: UnitMessage): void
  close (): Promise<void>
  on (event: 'message', listener: (message: RunnerMessage) => void): unknown
  on (event: 'close', listener: () => void): unknown
}

export interface SinkUnitDeps {
  channel: UnitChannel
  kafka: (bootstrap: readonly string[]) => KafkaClient
  /** Wall clock, epoch ms. Default Date.now. */
  now?: () => number
  /** Diagnostics for the unit's log (stderr). */
  log?: (line: string) => void
  /** How long to wait for `config`. Default 30 s. */
  configTimeoutMs?: number
  /** Resolves when the process is told to stop (SIGTERM): handled like a runner that went away. */
  terminated?: Promise<void>
}

/** Validates a `config` payload, every problem at once (STYLE.md rule 2). */
export function parseSinkConfig (value: unknown): SinkConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidConfigError(['sink config: expected an object'])
  const v = value as Record<string, unknown>
  const problems: string[] = []
  const allowed = ['bootstrap', 'topicPattern', 'groupId', 'outFile']
  for (const key of Object.keys(v)) if (!allowed.includes(key)) problems.push(`sink config.${key}: unknown key (allowed: ${allowed.join(', ')})`)
  const bootstrap = v.bootstrap
  if (!Array.isArray(bootstrap) || bootstrap.length === 0 || !bootstrap.every(b => typeof b === 'string' && /^[^:\s]+:\d{1,5}$/.test(b))) {
    problems.push(`sink config.bootstrap: expected ["host:port", ...], got ${JSON.stringify(bootstrap)}`)
  }
  if (typeof v.topicPattern !== 'string' || v.topicPattern === '') {
    problems.push(`sink config.topicPattern: expected a regular expression, got ${JSON.stringify(v.topicPattern)}`)
  } else {
    try { new RegExp(v.topicPattern) } catch (err) { problems.push(`sink config.topicPattern: ${(err as Error).message}`) }
  }
  if (typeof v.groupId !== 'string' || v.groupId === '') problems.push(`sink config.groupId: expected a non-empty string, got ${JSON.stringify(v.groupId)}`)
  if (typeof v.outFile !== 'string' || !isAbsolute(v.outFile)) problems.push(`sink config.outFile: expected an absolute path, got ${JSON.stringify(v.outFile)}`)
  if (problems.length > 0) throw new InvalidConfigError(problems)
  return v as unknown as SinkConfig
}

type Outcome = { kind: 'config', config: unknown } | { kind: 'finish' } | { kind: 'gone', why: string }

/** Runs the unit until `finish` (exit code 0) or until it cannot go on (1). Never throws. */
export async function runSinkUnit (deps: SinkUnitDeps): Promise<number> {
  const { channel } = deps
  const now = deps.now ?? Date.now
  const log = deps.log ?? (() => {})
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
    return 1
  }

  const metrics = new MetricsRecorder({ now })
  let kafka: KafkaClient | undefined
  let sink: FileSink
  try {
    const config = parseSinkConfig(first.config)
    kafka = deps.kafka(config.bootstrap)
    sink = new FileSink(config, { kafka, metrics, now, event })
    await sink.start()
    log(`sink: consuming /${config.topicPattern}/ from ${config.bootstrap.join(',')} (group ${config.groupId}) into ${config.outFile}`)
  } catch (err) {
    const code = isFleetlabError(err) ? err.code : 'FLEETLAB_SERVICE_FAILED'
    log(`sink: start failed: ${(err as Error).message}`)
    channel.send({ type: 'fatal', code, message: (err as Error).message })
    await kafka?.close().catch(() => {})
    await channel.close()
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
  } catch (err) {
    log(`sink: stopping failed: ${(err as Error).message}`)
    event('sink.error', `stopping failed: ${(err as Error).message}`)
  }
  await kafka.close().catch(() => {})
  if (outcome.kind === 'gone') {
    log(`sink: ${outcome.why}; stopped after ${sink.records} records`)
    await channel.close()
    return 1
  }
  // Every window, the current second's included: nothing more is recorded after this.
  sendWindows(metrics.currentSecond() + 1)
  channel.send({ type: 'report', report: sink.report() })
  log(`sink: finished after ${sink.records} records`)
  await channel.close()
  return 0
}
