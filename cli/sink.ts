// `fleetlab sink`: the sink consumer unit. `fleetlab run` starts it through the Runtime (platform/sinks/service.ts)
// and drives it over the control channel; with --bootstrap it runs alone, for debugging, until Ctrl-C.
import { resolve } from 'node:path'
import { Command } from 'commander'
import { ChannelClient, unitName } from '../lib/channel.ts'
import { InvalidConfigError } from '../lib/errors.ts'
import { MetricsRecorder } from '../lib/metrics/recorder.ts'
import { parseBootstrapList } from '../lib/schema/net.ts'
import { createKafkaClient } from '../platform/kafka/index.ts'
import { SinkConsumer, sinkMetrics } from '../platform/sinks/sink-consumer.ts'
import { createStore } from '../platform/sinks/stores/index.ts'
import { parseSinkConfig, runSinkUnit } from '../platform/sinks/sink-unit.ts'
import type { SinkConfig } from '../experiments/contracts.ts'
import type { CliContext } from './context.ts'

interface SinkOptions {
  bootstrap?: string
  topics: string
  out?: string
  group?: string
}

const DEFAULT_TOPICS = '^iot\\..*\\.observations$'

/** Resolves on the first SIGINT or SIGTERM; `dispose` removes the handlers. */
function stopSignal (): { stopped: Promise<void>, dispose: () => void } {
  let onSignal = (): void => {}
  const stopped = new Promise<void>(resolve => { onSignal = () => resolve() })
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  return { stopped, dispose: () => { process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal) } }
}

export function sinkCommand (ctx: CliContext, setExit: (code: number) => void): Command {
  return new Command('sink')
    .description('the sink consumer of a run (started by `fleetlab run`): reads the observations from the cloud Kafka, ' +
      'measures end-to-end latency and accounts every traced notification, writes NDJSON')
    .option('--bootstrap <servers>', 'run alone (no runner): cloud Kafka bootstrap servers, host:port[,host:port...]')
    .option('--topics <regex>', 'alone: topics to read, a regular expression', DEFAULT_TOPICS)
    .option('--out <file>', 'alone: the NDJSON file to append to (required with --bootstrap)')
    .option('--group <id>', 'alone: consumer group (default: a new one, so everything is read from the beginning)')
    .addHelpText('after', `
Without --bootstrap it is a unit of a run: it connects to the runner named by FLEETLAB_RUNNER (with
FLEETLAB_RUNNER_TOKEN and FLEETLAB_UNIT), takes its configuration from it and reports to it; \`fleetlab run\`
sets these. With --bootstrap it runs alone, prints a progress line each second and, on Ctrl-C, the report.

Examples:
  fleetlab sink --bootstrap 127.0.0.1:39092 --out /tmp/observations.ndjson
  fleetlab sink --bootstrap 127.0.0.1:39092 --topics '^iot\\.gw1\\.observations$' --out obs.ndjson --group debug`)
    .action(async (o: SinkOptions) => {
      const signal = stopSignal()
      try {
        setExit(o.bootstrap === undefined ? await asUnit(ctx, signal.stopped) : await alone(ctx, o, signal.stopped))
      } finally {
        signal.dispose()
      }
    })
}

async function asUnit (ctx: CliContext, terminated: Promise<void>): Promise<number> {
  const channel = await ChannelClient.fromEnv('sink', ctx.env)
  return await runSinkUnit({
    channel,
    kafka: bootstrap => createKafkaClient({ bootstrap, clientId: `fleetlab-${unitName(ctx.env) ?? 'sink'}` }),
    log: line => ctx.stderr(line),
    terminated,
  })
}

async function alone (ctx: CliContext, o: SinkOptions, stopped: Promise<void>): Promise<number> {
  const problems: string[] = []
  if (o.out === undefined) problems.push('--out: the NDJSON file is required with --bootstrap')
  let config: SinkConfig | undefined
  try {
    config = parseSinkConfig({
      bootstrap: parseBootstrapList(o.bootstrap ?? '') ?? o.bootstrap,
      topicPattern: o.topics,
      groupId: o.group ?? `fleetlab-sink-${process.pid}-${Date.now()}`,
      store: { kind: 'file', options: { outFile: resolve(o.out ?? '') } },
    })
  } catch (err) {
    if (!(err instanceof InvalidConfigError)) throw err
    problems.push(...err.problems.map(p => p.replace('sink config.bootstrap', '--bootstrap').replace('sink config.topicPattern', '--topics')))
  }
  if (problems.length > 0 || config === undefined) throw new InvalidConfigError(problems)

  const kafka = createKafkaClient({ bootstrap: config.bootstrap, clientId: 'fleetlab-sink' })
  const metrics = new MetricsRecorder()
  const event = (kind: string, detail: string): void => ctx.stderr(`${kind}: ${detail}`)
  const store = await createStore(config.store.kind, { ...config.store.options }, { event, now: Date.now })
  const sink = new SinkConsumer(config, { kafka, store, metrics, event })
  try {
    await sink.start()
    ctx.stderr(`sink: reading /${config.topicPattern}/ from ${config.bootstrap.join(',')} (group ${config.groupId}) into ${String(config.store.options.outFile)}; Ctrl-C stops`)
    const totals = new Map<string, number>()
    const ticker = setInterval(() => {
      sink.sampleLag()
      for (const w of metrics.drain()) {
        for (const [name, n] of w.counters) totals.set(name, (totals.get(name) ?? 0) + n)
        const latency = w.histograms.get(sinkMetrics.latency)
        const lag = w.gauges.get(sinkMetrics.fetchLag)?.value ?? 0
        ctx.stderr(`${new Date(w.startMs).toISOString().slice(11, 19)}  records ${w.counters.get(sinkMetrics.records) ?? 0}/s` +
          `  delivered ${sink.accounting.delivered}  duplicates ${sink.accounting.duplicates}` +
          `  untraced ${totals.get(sinkMetrics.untraced) ?? 0}  undecodable ${totals.get(sinkMetrics.undecodable) ?? 0}  lag ${lag}` +
          (latency !== undefined && latency.count > 0 ? `  e2e p50 ${latency.percentile(50).toFixed(1)} ms p99 ${latency.percentile(99).toFixed(1)} ms` : ''))
      }
    }, 1000)
    await stopped
    clearInterval(ticker)
    await sink.stop()
    await store.close()
  } finally {
    await kafka.close()
  }
  const report = sink.report()
  ctx.stdout(JSON.stringify(report, null, 2))
  return 0
}
