// Two virtual gateways as real processes, started through the process Runtime from gatewayServiceSpec, driven over
// the control channel like `fleetlab run` drives them, against our LWM2M server in this process (no Kafka).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ChannelServer } from '../../lib/channel.ts'
import type { UnitConnection, UnitMessage } from '../../lib/channel.ts'
import { MetricWindow } from '../../lib/metrics/window.ts'
import { mergeWindows } from '../../lib/metrics/recorder.ts'
import { openRuntime } from '../../platform/runtime/index.ts'
import { Lwm2mServer } from '../../platform/lwm2m-server/server.ts'
import type { GatewayConfig, GatewayReport } from '../../experiments/contracts.ts'
import { endpointName } from '../../simulator/fleet.ts'
import { gatewayServiceSpec } from '../../simulator/gateway-service.ts'
import { placeDevices } from '../../simulator/gateway-placement.ts'
import { uniqueName, runCli } from '../helpers.ts'

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

async function until (what: string, probe: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(50)
  }
}

test('two gateway units follow targets; their windows merge exactly to the reports, endpoints are global and disjoint', { timeout: 120_000 }, async t => {
  const server = new Lwm2mServer({ port: 0 })
  await server.start()
  t.after(() => server.stop())
  const addresses = new Map<string, Set<string>>()
  server.on('registered', reg => {
    const gateway = Number(reg.endpoint.slice(-6)) < 100 ? 'gateway-0' : 'gateway-1'
    addresses.set(gateway, (addresses.get(gateway) ?? new Set()).add(reg.address))
  })
  const channel = await ChannelServer.listen()
  t.after(() => channel.close())
  const home = await mkdtemp(join(tmpdir(), 'fleetlab-gw-'))
  t.after(() => rm(home, { recursive: true, force: true }))
  const platform = uniqueName('gwtest')
  const runtime = await openRuntime(home, 'process')
  t.after(async () => { await runtime.sweep(platform); await runtime.close() })

  const names = ['gateway-0', 'gateway-1']
  const log = new Map<string, UnitMessage[]>(names.map(n => [n, []]))
  channel.on('message', (conn: UnitConnection, m: UnitMessage) => log.get(conn.unit)?.push(m))
  const gone = new Set<string>()
  channel.on('gone', (conn: UnitConnection) => gone.add(conn.unit))
  const specs = names.map((name, i) => gatewayServiceSpec({ platform, index: i, dir: join(home, platform), env: channel.envFor(name) }))
  assert.equal(specs[1]!.service, 'gateway')
  await Promise.all(specs.map((spec, i) => runtime.start(spec, i)))
  const conns = await Promise.all(names.map(name => channel.waitForUnit(name, 30_000)))

  const max = 100
  const prefix = `${uniqueName('gw')}-`
  const port = server.address().port
  conns.forEach((conn, i) => conn.send({
    type: 'config',
    config: {
      gateway: names[i]!, maxDevices: max, firstIndex: i * max, endpointPrefix: prefix, totalDevices: 2 * max,
      driver: { server: { host: '127.0.0.1', port }, lifetimeS: 60, ratePerS: 2, format: 112, objects: [{ objectId: 3303, instances: 1 }], trace: true, capacity: max },
      placement: { firstAddress: '127.0.0.12', perAddress: 10_000 }, registrationRate: 200, seed: 7,
    } satisfies GatewayConfig,
  }))
  const target = (devices: number, rate: number, surge = false): void => {
    const counts = placeDevices(devices, { maxPerGateway: max, policy: 'fill-first', gateways: 2 })
    conns.forEach((conn, i) => conn.send({ type: 'target', devices: counts[i]!, ratePerDevice: rate, surge }))
  }
  target(150, 2)
  await until('150 devices registered', () => server.registrations.size === 150)
  await sleep(2500)
  target(120, 4, true) // gateway 1 shrinks to 20, everyone notifies faster
  await until('30 devices deregistered', () => server.registrations.size === 120)
  await sleep(2000)
  const finishedAt = Date.now()
  for (const conn of conns) conn.send({ type: 'finish' })
  await until('both reports', () => names.every(n => log.get(n)!.some(m => m.type === 'report')))
  await until('both units gone', () => names.every(n => gone.has(n)))
  for (let i = 0; i < 100 && (await runtime.list({ platform })).length > 0; i++) await sleep(100)
  assert.deepEqual(await runtime.list({ platform }), [], 'both processes exited after finish')
  assert.ok(Date.now() >= finishedAt)

  const reports = names.map(n => (log.get(n)!.find(m => m.type === 'report') as { report: GatewayReport }).report)
  for (const [i, name] of names.entries()) {
    const messages = log.get(name)!
    assert.equal(messages.at(-1)!.type, 'report', `${name}: the report is the last message, after the last windows`)
    assert.equal(messages.filter(m => m.type === 'fatal').length, 0)
    const events = messages.filter(m => m.type === 'event').map(m => (m as { kind: string }).kind)
    assert.ok(events.includes('registration-storm-started') && events.includes('registration-storm-finished'), `${name} events: ${events.join(', ')}`)
    assert.equal(reports[i]!.gateway, name)
  }
  // endpoints are global names, disjoint between gateways: gateway 0 ran 0-99, gateway 1 ran 100-149 (20 to the end)
  const width = 200
  assert.deepEqual(Object.keys(reports[0]!.sent), Array.from({ length: 100 }, (_, k) => endpointName(prefix, k, width)))
  assert.deepEqual(Object.keys(reports[1]!.sent), Array.from({ length: 50 }, (_, k) => endpointName(prefix, 100 + k, width)))
  assert.deepEqual(reports[0]!.deregistered, { clean: 100, unclean: 0 })
  assert.deepEqual(reports[1]!.deregistered, { clean: 50, unclean: 0 })

  // the windows of both gateways merge into exactly the reports' totals
  const windows = names.flatMap(n => log.get(n)!.flatMap(m => m.type === 'windows' ? m.windows.map(w => MetricWindow.fromJSON(w)) : []))
  const merged = mergeWindows(windows)
  const totals = new Map<string, number>()
  for (const w of merged) for (const [k, v] of w.counters) totals.set(k, (totals.get(k) ?? 0) + v)
  const reported = new Map<string, number>()
  for (const r of reports) for (const [k, v] of Object.entries(r.counters)) reported.set(k, (reported.get(k) ?? 0) + v)
  assert.deepEqual(Object.fromEntries([...totals].sort()), Object.fromEntries([...reported].sort()))
  const sentTotal = reports.reduce((n, r) => n + Object.values(r.sent).reduce((a, b) => a + b, 0), 0)
  assert.equal(totals.get('lwm2m.notify.sent'), sentTotal, 'notifications counted = the sum of the devices\' sequences')
  assert.equal(totals.get('lwm2m.register.ok'), 150)
  assert.equal(totals.get('lwm2m.deregister.ok'), 150)
  const lateness = merged.reduce((n, w) => n + (w.histograms.get('lwm2m.notify.lateness')?.count ?? 0), 0)
  assert.equal(lateness, sentTotal - totals.get('lwm2m.observe.started')!, 'one lateness per scheduled notification')
  // gauges (mode sum): in a steady second both gateways add up to the fleet
  const steady = merged.filter(w => w.gauges.get('fleet.devices.target')?.value === 150 && w.gauges.get('fleet.devices.registered')?.value === 150)
  assert.ok(steady.length >= 1, 'a merged second shows 150 devices registered over both gateways')
  // and per gateway, so the dashboard and Prometheus show them by gateway
  const s = steady[0]!
  assert.deepEqual(['gateway-0', 'gateway-1'].map(g => s.gauges.get(`fleet.devices.registered.${g}`)?.value), [100, 50])
  const active = ['gateway-0', 'gateway-1'].map(g => s.gauges.get(`fleet.devices.active.${g}`)?.value)
  assert.ok(active.every(v => typeof v === 'number'), `active by gateway: ${active.join(', ')}`)
  assert.equal(active[0]! + active[1]!, s.gauges.get('fleet.devices.active')?.value, 'the gateways add up to the fleet')

  // the server saw each gateway on its own source address: gateway 0 127.0.0.12, gateway 1 127.0.0.13
  assert.deepEqual(Object.fromEntries([...addresses].map(([g, a]) => [g, [...a]])), { 'gateway-0': ['127.0.0.12'], 'gateway-1': ['127.0.0.13'] })
  assert.equal(server.registrations.size, 0, 'every device deregistered')
  const log0 = await readFile(join(home, platform, 'gateway', '0', 'gateway.log'), 'utf8')
  assert.match(log0, /gateway gateway-0: up to 100 devices from /)
})

test('fleetlab gateway without the runner\'s environment says who starts it', async () => {
  const r = await runCli(['gateway'], { FLEETLAB_RUNNER: '', FLEETLAB_RUNNER_TOKEN: '', FLEETLAB_UNIT: '' })
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stderr, /started by `fleetlab run`/)
  const help = await runCli(['gateway', '--help'])
  assert.equal(help.code, 0)
  assert.match(help.stdout, /started by `fleetlab run` through the runtime/)
})
