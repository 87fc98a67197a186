import { Command, Option } from 'commander'
import { formatDuration, sleep } from '../lib/time.ts'
import { loadPlatformFile, resolvePlatformConfig } from '../platform/config.ts'
import { platformDown, platformUp } from '../platform/platform.ts'
import type { PlatformContext } from '../platform/platform.ts'
import { listPlatforms } from '../platform/inventory.ts'
import { dockerAvailable } from '../platform/runtime/docker.ts'
import { openRuntime, parseRuntimeKind } from '../platform/runtime/index.ts'
import { removeRunnerRecord, runnerAlive } from '../platform/watchdog.ts'
import type { Runtime, RuntimeKind } from '../platform/runtime/index.ts'
import { readState } from '../platform/state.ts'
import { platformStatus } from '../platform/status.ts'
import type { ServiceStatus } from '../platform/status.ts'
import type { CliContext } from './context.ts'
import { formatBytes, table } from './format.ts'
import { countArg, portArg } from './options.ts'

interface CommonOptions { runtime?: RuntimeKind, name: string, json?: boolean }
interface UpOptions extends CommonOptions {
  config?: string
  edgePort?: number
  cloudPort?: number
  edgeBootstrap?: string
  cloudBootstrap?: string
  lwm2mPort?: number
  gateway?: string
  partitions?: number
  datastores?: string
  influxdbPort?: number
  postgresPort?: number
  lwm2m: boolean
}

const runtimeOption = (): Option => new Option('--runtime <kind>',
  'docker (containers through the Docker Engine API) or process (child processes); default: docker when DOCKER_HOST or /var/run/docker.sock answers, else process')
  .argParser(parseRuntimeKind)
const nameOption = (): Option => new Option('--name <name>', 'platform instance name, so several can run side by side').default('default')

export function platformCommand (ctx: CliContext, setExit: (code: number) => void): Command {
  const cmd = new Command('platform')
    .description('start, inspect and stop the embedded platform: LWM2M server, edge Kafka, MirrorMaker 2, cloud Kafka, and the sinks\' databases')

  cmd.command('up')
    .description('start edge and cloud Kafka (KRaft), MirrorMaker 2 and the LWM2M server, and wait until each really works')
    .addOption(runtimeOption())
    .addOption(nameOption())
    .option('--config <file>', 'platform config file (JSON: name, host, edge, cloud, mirror, lwm2m, partitions, datastores); flags override it')
    .option('--edge-port <port>', 'edge Kafka listener port (controller: port+1; default 29092)', portArg('--edge-port'))
    .option('--cloud-port <port>', 'cloud Kafka listener port (controller: port+1; default 39092)', portArg('--cloud-port'))
    .option('--edge-bootstrap <servers>', 'use an existing edge Kafka (host:port,...) instead of starting one')
    .option('--cloud-bootstrap <servers>', 'use an existing cloud Kafka (host:port,...) instead of starting one')
    .option('--lwm2m-port <port>', 'UDP port of the LWM2M server devices register at (default 5683)', portArg('--lwm2m-port'))
    .option('--gateway <id>', 'gateway id of the LWM2M server: its topics are iot.<id>.* (default gw1)')
    .option('--partitions <n>', 'partitions of the gateway\'s observations and registrations topics, edge and cloud: the most sink replicas one group can use (default 12)', countArg('--partitions', 1))
    .option('--datastores <names>', 'also start these databases for the sinks, comma-separated: influxdb, postgres (installed with apt-get when missing, as root)')
    .option('--influxdb-port <port>', 'InfluxDB HTTP port (its RPC service takes port+1; default 8086)', portArg('--influxdb-port'))
    .option('--postgres-port <port>', 'PostgreSQL port (default 5432)', portArg('--postgres-port'))
    .option('--no-lwm2m', 'start no LWM2M server')
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText('after', `
The platform keeps running after this command returns; stop it with 'fleetlab platform down'.
Data, configs and logs live under $FLEETLAB_HOME/platforms/<name>/ (default ~/.cache/fleetlab).

Examples:
  fleetlab platform up
  fleetlab platform up --runtime process --edge-port 19092 --cloud-port 29192
  fleetlab platform up --edge-bootstrap kafka-edge.lan:9092   # bring your own edge cluster
  fleetlab platform up --datastores influxdb,postgres          # the databases of the influxdb and postgres sinks`)
    .action(async (o: UpOptions) => {
      const file = o.config !== undefined ? await loadPlatformFile(o.config) : {}
      const config = resolvePlatformConfig(file, { name: o.name === 'default' ? undefined : o.name, edgePort: o.edgePort, cloudPort: o.cloudPort, edgeBootstrap: o.edgeBootstrap, cloudBootstrap: o.cloudBootstrap, lwm2mPort: o.lwm2mPort, gateway: o.gateway, lwm2m: o.lwm2m, partitions: o.partitions,
        datastores: o.datastores?.split(',').map(s => s.trim()).filter(s => s !== ''),
        datastorePorts: { ...(o.influxdbPort !== undefined ? { influxdb: o.influxdbPort } : {}), ...(o.postgresPort !== undefined ? { postgres: o.postgresPort } : {}) } })
      const runtime = await openRuntime(ctx.home, o.runtime, ctx.env)
      const abort = new AbortController()
      const pctx = { ...platformContext(ctx, runtime), signal: abort.signal }
      const onSignal = (): void => abort.abort()
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      try {
        ctx.stderr(`starting platform '${config.name}' on the ${runtime.kind} runtime`)
        const result = await platformUp(pctx, config)
        const rows = await platformStatus(pctx, result.state)
        if (o.json === true) ctx.stdout(JSON.stringify({ name: config.name, runtime: runtime.kind, healthyMs: result.healthyMs, services: rows }, null, 2))
        else {
          ctx.stdout(`platform '${config.name}' healthy in ${formatDuration(result.healthyMs)} (${runtime.kind} runtime)`)
          ctx.stdout(statusTable(rows))
        }
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
        await runtime.close()
      }
    })

  cmd.command('status')
    .description('show each service: runtime, pid or container id, ports, CPU %, memory, and a live health check')
    .addOption(runtimeOption())
    .addOption(nameOption())
    .option('--json', 'print a JSON array of {name, runtime, id, ports, bootstrap, url, cpuPercent, memoryBytes, healthy}')
    .action(async (o: CommonOptions) => {
      const state = await readState(ctx.home, o.name)
      if (state === undefined) {
        if (o.json === true) ctx.stdout('[]')
        else ctx.stdout(`platform '${o.name}' is not up (start it with: fleetlab platform up)`)
        return
      }
      const runtime = await openRuntime(ctx.home, o.runtime ?? state.runtime, ctx.env)
      try {
        const rows = await platformStatus(platformContext(ctx, runtime), state)
        if (o.json === true) ctx.stdout(JSON.stringify(rows, null, 2))
        else ctx.stdout(statusTable(rows))
        if (rows.some(r => !r.healthy)) setExit(6)
      } finally {
        await runtime.close()
      }
    })

  cmd.command('ls')
    .description('list every platform and run on this machine: what runs under each name, the run that owns it and whether its runner lives')
    .option('--json', 'print a JSON array of {name, runtimes, services, run, runnerPid, runnerAlive, leftover}')
    .action(async (o: { json?: boolean }) => {
      const entries = await withRuntimes(ctx, runtimes => listPlatforms(ctx.home, runtimes))
      if (o.json === true) {
        ctx.stdout(JSON.stringify(entries.map(e => ({
          name: e.name, runtimes: e.runtimes, services: e.instances.map(i => `${i.service}-${i.replica}`),
          run: e.runner?.runId ?? null, runnerPid: e.runner?.pid ?? null, runnerAlive: e.runner === undefined ? null : e.runnerAlive, leftover: e.leftover,
        })), null, 2))
        return
      }
      if (entries.length === 0) { ctx.stdout('no platform or run on this machine'); return }
      ctx.stdout(table(['NAME', 'RUNTIME', 'SERVICES', 'OWNER', 'STATUS'], entries.map(e => [
        e.name,
        e.runtimes.join(',') || e.state?.runtime || '-',
        String(e.instances.length),
        e.runner !== undefined ? `run ${e.runner.runId}` : e.state !== undefined ? 'platform up' : '-',
        e.leftover ? 'LEFTOVER' : e.runner !== undefined ? `running (pid ${e.runner.pid})` : e.instances.length > 0 ? 'up' : 'no services',
      ])))
      const left = entries.filter(e => e.leftover)
      if (left.length > 0) ctx.stderr(`${left.length} leftover${left.length === 1 ? '' : 's'}: nothing owns ${left.length === 1 ? 'it' : 'them'} any more; fleetlab platform down --name <name>, or --all`)
    })

  cmd.command('down')
    .description('stop every service of the platform (SIGTERM, then SIGKILL after a grace period) and remove its data')
    .addOption(runtimeOption())
    .addOption(nameOption())
    .option('--all', 'every platform and run on this machine (platform ls): a run in progress is stopped first, as Ctrl-C would')
    .option('--json', 'print what was stopped as JSON')
    .action(async (o: CommonOptions & { all?: boolean }) => {
      if (o.all === true) {
        const results = await withRuntimes(ctx, async runtimes => await downAll(ctx, runtimes))
        if (o.json === true) ctx.stdout(JSON.stringify(results))
        else ctx.stdout(results.length === 0 ? 'no platform or run on this machine' : results.map(r => `platform '${r.name}' down: ${r.stopped.length} services stopped`).join('\n'))
        return
      }
      const state = await readState(ctx.home, o.name)
      const runtime = await openRuntime(ctx.home, o.runtime ?? state?.runtime, ctx.env)
      try {
        const result = await platformDown(platformContext(ctx, runtime), o.name)
        if (o.json === true) ctx.stdout(JSON.stringify({ name: o.name, runtime: runtime.kind, stopped: result.stopped.map(i => ({ name: i.service, id: i.id })) }))
        else ctx.stdout(result.stopped.length > 0 ? `platform '${o.name}' down: ${result.stopped.length} services stopped` : `platform '${o.name}' was not running`)
      } finally {
        await runtime.close()
      }
    })
  return cmd
}

/** The process runtime, and the docker one when an engine answers; closed after `fn`. */
async function withRuntimes<T> (ctx: CliContext, fn: (runtimes: Runtime[]) => Promise<T>): Promise<T> {
  const runtimes = [await openRuntime(ctx.home, 'process', ctx.env)]
  if (await dockerAvailable(ctx.env)) runtimes.push(await openRuntime(ctx.home, 'docker', ctx.env))
  try {
    return await fn(runtimes)
  } finally {
    await Promise.all(runtimes.map(r => r.close()))
  }
}

/** How long `down --all` waits for a run in progress to end after its SIGTERM (it drains and writes its results). */
const RUN_STOP_WAIT_MS = 60_000

async function downAll (ctx: CliContext, runtimes: Runtime[]): Promise<Array<{ name: string, stopped: Array<{ name: string, id: string }> }>> {
  const entries = await listPlatforms(ctx.home, runtimes)
  // runs in progress first: their runner stops what it started and keeps its partial results
  for (const e of entries.filter(e => e.runner !== undefined && e.runnerAlive)) {
    ctx.stderr(`  stopping run ${e.runner!.runId} (SIGTERM to its runner, pid ${e.runner!.pid})`)
    try { process.kill(e.runner!.pid, 'SIGTERM') } catch { continue }
    const deadline = Date.now() + RUN_STOP_WAIT_MS
    while (await runnerAlive(e.runner!) && Date.now() < deadline) await sleep(250)
  }
  const out: Array<{ name: string, stopped: Array<{ name: string, id: string }> }> = []
  for (const e of entries) {
    const stopped: Array<{ name: string, id: string }> = []
    for (const runtime of runtimes) {
      if (!e.runtimes.includes(runtime.kind) && e.state?.runtime !== runtime.kind) continue
      const r = await platformDown(platformContext(ctx, runtime), e.name)
      stopped.push(...r.stopped.map(i => ({ name: i.service, id: i.id })))
    }
    if (e.runtimes.length === 0 && e.state === undefined) await platformDown(platformContext(ctx, runtimes[0]!), e.name)
    await removeRunnerRecord(ctx.home, e.name)
    out.push({ name: e.name, stopped })
  }
  return out
}

function platformContext (ctx: CliContext, runtime: Runtime): PlatformContext {
  return { home: ctx.home, runtime, progress: line => ctx.stderr(`  ${line}`) }
}

export function statusTable (rows: ServiceStatus[]): string {
  return table(['SERVICE', 'RUNTIME', 'ID', 'PORTS', 'CPU %', 'MEMORY', 'HEALTHY'], rows.map(r => [
    r.name,
    r.runtime,
    r.id === null ? '-' : r.runtime === 'docker' ? r.id.slice(0, 12) : r.id,
    r.bootstrap?.join(',') ?? r.url ?? (Object.values(r.ports).join(',') || '-'),
    r.cpuPercent === null ? '-' : r.cpuPercent.toFixed(1),
    formatBytes(r.memoryBytes),
    r.healthy ? 'yes' : 'NO',
  ]))
}
