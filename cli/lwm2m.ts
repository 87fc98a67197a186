import { Command, Option } from 'commander'
import { FleetlabError, InvalidConfigError } from '../lib/errors.ts'
import { parsePath } from '../lib/lwm2m/path.ts'
import { BOOTSTRAP_EXPECTED, GATEWAY_ID_EXPECTED, isGatewayId, isPort, parseBootstrapList, portExpected } from '../lib/schema/net.ts'
import { createKafkaClient } from '../platform/kafka/index.ts'
import type { KafkaClient } from '../platform/kafka/index.ts'
import { KafkaBridge } from '../platform/lwm2m-server/kafka-bridge.ts'
import { startMetricsServer } from '../platform/lwm2m-server/prometheus.ts'
import type { MetricsServer } from '../platform/lwm2m-server/prometheus.ts'
import { Lwm2mServer, defaultAutoObserve } from '../platform/lwm2m-server/server.ts'
import type { Registration } from '../platform/lwm2m-server/server.ts'
import type { CliContext } from './context.ts'

interface ServeOptions {
  port: string
  host: string
  gateway: string
  kafka?: string
  observe?: string
  serverId?: string
  requestTimeout: string
  metricsPort?: string
  verbose?: boolean
}

interface ServeConfig {
  port: number
  host: string
  gateway: string
  kafka: string[] | undefined
  observe: string[]
  serverId: string | undefined
  requestTimeoutMs: number
  /** TCP port of GET /metrics on --host; 0: no metrics server. */
  metricsPort: number
  verbose: boolean
}

/** Every problem with the flags at once (house rule 2, docs/architecture.md). */
export function serveConfig (o: ServeOptions): ServeConfig {
  const problems: string[] = []
  const port = Number(o.port)
  if (!isPort(port, 0)) problems.push(`--port: expected a UDP ${portExpected(0)} (0: any free port), got ${JSON.stringify(o.port)}`)
  if (!isGatewayId(o.gateway)) problems.push(`--gateway: expected ${GATEWAY_ID_EXPECTED}, got ${JSON.stringify(o.gateway)}`)
  const kafka = o.kafka === undefined ? undefined : parseBootstrapList(o.kafka)
  if (o.kafka !== undefined && kafka === undefined) problems.push(`--kafka: expected ${BOOTSTRAP_EXPECTED}, got ${JSON.stringify(o.kafka)}`)
  const observe = o.observe === undefined ? [...defaultAutoObserve] : o.observe.trim() === 'none' ? [] : o.observe.split(',').map(s => s.trim()).filter(s => s !== '')
  for (const p of observe) {
    try { parsePath(p) } catch (err) { problems.push(`--observe: ${(err as Error).message}`) }
  }
  const requestTimeoutMs = Number(o.requestTimeout)
  if (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs < 100) problems.push(`--request-timeout: expected milliseconds (at least 100), got ${JSON.stringify(o.requestTimeout)}`)
  const metricsPort = Number(o.metricsPort ?? '0')
  if (!isPort(metricsPort, 0)) problems.push(`--metrics-port: expected a TCP ${portExpected()} (0: off), got ${JSON.stringify(o.metricsPort)}`)
  if (problems.length > 0) throw new InvalidConfigError(problems)
  return { port, host: o.host, gateway: o.gateway, kafka, observe, serverId: o.serverId, requestTimeoutMs, metricsPort, verbose: o.verbose === true }
}

export function lwm2mCommand (ctx: CliContext): Command {
  const cmd = new Command('lwm2m').description('fleetlab\'s LWM2M server (LWM2M 1.1 over CoAP/UDP) and its bridge to Kafka')
  cmd.command('serve')
    .description('run the LWM2M server until Ctrl-C: devices register at coap://<host>:<port>/rd; with --kafka, ' +
      'registrations, notifications and management replies go to the edge Kafka in zeelos Avro, and commands are taken from it')
    .option('--port <port>', 'UDP port to listen on (0: any free port)', '5683')
    .option('--host <address>', 'address to listen on; an IPv6 address makes it a udp6 server', '127.0.0.1')
    .option('--gateway <id>', 'gateway id: the topics are iot.<id>.registrations, .observations, .management.req, .management.rep', 'gw1')
    .option('--kafka <bootstrap>', 'edge Kafka bootstrap servers (host:port,...); without it only registrations are logged and everything is counted')
    .option('--observe <paths>', `paths observed as soon as a device registers their object instance, comma-separated, or "none" (default ${defaultAutoObserve.join(',')})`)
    .option('--server-id <id>', 'serverId in the Avro records and the consumer group of management requests (default lwm2m-<gateway>)')
    .option('--request-timeout <ms>', 'how long a request to a device may take, retransmissions included', '30000')
    .option('--metrics-port <port>', 'TCP port on --host serving the counters as Prometheus text at GET /metrics (0 or absent: off)')
    .addOption(new Option('--verbose', 'log every registration event and print the status line every second even when stderr is not a terminal'))
    .addHelpText('after', `
Each second, when stderr is a terminal (or with --verbose), a status line shows the devices registered,
notifications per second, malformed datagrams and, with --kafka, records acknowledged by Kafka per second.
Ctrl-C (or SIGTERM) stops it: management requests under way get a moment to finish, queued records are
flushed to Kafka, then the socket closes.

Examples:
  fleetlab lwm2m serve
  fleetlab lwm2m serve --port 15683 --gateway gw7 --kafka 127.0.0.1:29092
  fleetlab lwm2m serve --observe /3303/0/5700,/3/0/9 --verbose
  fleetlab lwm2m serve --metrics-port 9464`)
    .action(async (o: ServeOptions) => { await serve(ctx, serveConfig(o)) })
  // Usage errors become CommanderErrors (exit 2 in main.ts) rather than commander's own process.exit(1).
  for (const c of cmd.commands) c.exitOverride().configureOutput({ writeOut: s => ctx.stdout(s.trimEnd()), writeErr: s => ctx.stderr(s.trimEnd()) })
  return cmd
}

async function serve (ctx: CliContext, c: ServeConfig): Promise<void> {
  const log = (line: string): void => ctx.stderr(line)
  const server = new Lwm2mServer({ host: c.host, port: c.port, autoObserve: c.observe, requestTimeoutMs: c.requestTimeoutMs })
  try {
    await server.start()
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'EADDRINUSE') throw new FleetlabError('FLEETLAB_PORT_IN_USE', `UDP port ${c.port} on ${c.host} is already in use`, { hint: 'stop whatever listens there (ss -lunp) or choose another --port' })
    throw err
  }
  const { address, port } = server.address()
  log(`lwm2m server listening on coap://${address.includes(':') ? `[${address}]` : address}:${port} (gateway ${c.gateway}; auto-observe ${c.observe.length > 0 ? c.observe.join(' ') : 'off'})`)
  // Before the ready line (readyLine, service.ts): once the platform sees the server ready, /metrics answers.
  let metrics: MetricsServer | undefined
  if (c.metricsPort > 0) {
    try {
      metrics = await startMetricsServer(server, c.host, c.metricsPort)
    } catch (err) {
      await server.stop()
      const code = (err as { code?: string }).code
      if (code === 'EADDRINUSE') throw new FleetlabError('FLEETLAB_PORT_IN_USE', `TCP port ${c.metricsPort} on ${c.host} is already in use`, { hint: 'stop whatever listens there (ss -ltnp) or choose another --metrics-port' })
      throw err
    }
    log(`metrics on http://${c.host.includes(':') ? `[${c.host}]` : c.host}:${metrics.port}/metrics`)
  }
  let kafka: KafkaClient | undefined
  let bridge: KafkaBridge | undefined
  if (c.kafka !== undefined) {
    kafka = createKafkaClient({ bootstrap: c.kafka, clientId: `fleetlab-lwm2m-${c.gateway}` })
    bridge = new KafkaBridge({ server, kafka, gateway: c.gateway, ...(c.serverId !== undefined ? { serverId: c.serverId } : {}), log })
    try {
      await bridge.start()
    } catch (err) {
      await metrics?.close()
      await server.stop()
      await kafka.close()
      throw err
    }
    // The platform's health check waits for this line (readyLine, platform/lwm2m-server/service.ts).
    log(`kafka bridge on ${c.kafka.join(',')}: producing ${bridge.topics.registrations}, ${bridge.topics.observations}, ${bridge.topics.replies}; consuming ${bridge.topics.requests} (group ${bridge.serverId})`)
  } else {
    log('no --kafka: registrations are logged here, notifications only counted')
  }
  if (c.kafka === undefined || c.verbose) logRegistrations(server, log)
  const stopStatus = statusLine(server, log, c.verbose || process.stderr.isTTY === true, bridge !== undefined)

  await new Promise<void>(resolve => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  log('stopping: finishing requests under way, flushing to Kafka')
  stopStatus()
  await metrics?.close()
  await bridge?.stop()
  await server.stop()
  await kafka?.close()
  const s = server.snapshot().counters
  log(`stopped: ${s['lwm2m.register'] ?? 0} registrations, ${s['lwm2m.notify.received'] ?? 0} notifications, ${server.metrics.sum('lwm2m.malformed.')} malformed datagrams` +
    (bridge !== undefined ? `, ${s['lwm2m.kafka.acked'] ?? 0} records acknowledged by Kafka` : ''))
}

function describe (reg: Registration): string {
  const objects = reg.links?.objects.map(o => `/${o.objectId}${o.instanceId !== undefined ? `/${o.instanceId}` : ''}`).join(' ') ?? ''
  return `${reg.endpoint} (rd/${reg.id}) from ${reg.address}:${reg.port} lt=${reg.lifetimeS}s lwm2m=${reg.lwm2mVersion} b=${reg.binding}${reg.queueMode ? 'Q' : ''} ${objects}`
}

function logRegistrations (server: Lwm2mServer, log: (line: string) => void): void {
  server.on('registered', reg => log(`registered ${describe(reg)}`))
  server.on('updated', reg => log(`updated ${describe(reg)}`))
  server.on('deregistered', reg => log(`deregistered ${reg.endpoint} (rd/${reg.id})`))
  server.on('expired', reg => log(`expired ${reg.endpoint} (rd/${reg.id}): no update within ${reg.lifetimeS}s`))
}

/** Once a second: devices, notifications/s, malformed, Kafka acks/s. Returns the function that stops it. */
function statusLine (server: Lwm2mServer, log: (line: string) => void, enabled: boolean, kafka: boolean): () => void {
  if (!enabled) return () => {}
  let last = server.snapshot()
  const timer = setInterval(() => {
    const now = server.snapshot()
    const rate = (name: string): number => Math.round(((now.counters[name] ?? 0) - (last.counters[name] ?? 0)) * 1000 / Math.max(1, now.at - last.at))
    const parts = [`devices ${now.gauges['lwm2m.registrations'] ?? 0}`, `observations ${now.gauges['lwm2m.observations'] ?? 0}`,
      `notifications/s ${rate('lwm2m.notify.received')}`, `malformed ${server.metrics.sum('lwm2m.malformed.')}`]
    if (kafka) parts.push(`kafka acked/s ${rate('lwm2m.kafka.acked')}`, `queue ${now.gauges['lwm2m.kafka.queue'] ?? 0}`)
    log(parts.join('  '))
    last = now
  }, 1000)
  timer.unref()
  return () => clearInterval(timer)
}
