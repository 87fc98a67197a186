// `fleetlab devices` through the real binary: flag errors (exit 2, naming each flag), help, a short real run against
// the simulator's test server, and Ctrl-C (deregister everything, exit 130).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { projectRoot } from '../../lib/home.ts'
import { runCli, uniqueName } from '../helpers.ts'
import { TestLwm2mServer } from '../simulator/test-server.ts'

test('bad flags exit 2, every problem named by its flag', async () => {
  const r = await runCli(['devices', '--server', 'http://x', '--count', 'lots', '--rate', 'fast', '--duration', '0s', '--format', 'xml',
    '--objects', '3303,42', '--registration-rate', '-5', '--lifetime', '0', '--seed', '-1', '--generator', '3303=walk:min=9,max=1'])
  assert.equal(r.code, 2, r.stderr)
  for (const flag of ['--server', '--count', '--rate', '--duration', '--format', '--objects', '--registration-rate', '--lifetime', '--seed', '--generator 3303']) {
    assert.match(r.stderr, new RegExp(`- ${flag}: `), flag)
  }
  assert.match(r.stderr, /--server: expected the LWM2M server as coap:\/\/host:port .*, got "http:\/\/x"/)
  assert.match(r.stderr, /hint: run fleetlab devices --help/)
  const missing = await runCli(['devices'])
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /--server: required/)
  const dtls = await runCli(['devices', '--server', 'coaps://127.0.0.1:5684'])
  assert.match(dtls.stderr, /coaps:\/\/ \(DTLS\) is not supported yet/)
  const unknown = await runCli(['devices', '--server', 'coap://127.0.0.1', '--colour', 'red'])
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /unknown option '--colour'/)
})

test('--help explains the flags with examples', async () => {
  const r = await runCli(['devices', '--help'])
  assert.equal(r.code, 0)
  for (const s of ['--server <url>', '--count <n>', '--rate <rate>', '--duration <d>', '--lifetime', '--format', '--seed', '--endpoint-prefix',
    '--objects', '--registration-rate', '--generator', 'Examples:', 'open model']) assert.ok(r.stdout.includes(s), s)
  const root = await runCli(['--help'])
  assert.match(root.stdout, /devices/)
})

test('a short run against a server: registers, notifies, reports, deregisters', async t => {
  const server = await TestLwm2mServer.start({ autoObserve: { path: '/3303/0/5700' } })
  t.after(() => server.close())
  const prefix = `${uniqueName('cli')}-`
  const r = await runCli(['devices', '--server', server.url, '--count', '40', '--rate', '2/s', '--duration', '3s', '--seed', '9',
    '--endpoint-prefix', prefix, '--objects', '3303,3304', '--registration-rate', '200/s', '--json'])
  assert.equal(r.code, 0, r.stderr)
  const summary = JSON.parse(r.stdout) as { devices: number, everRegistered: number, notificationsSent: number, late: number,
    latenessMs: { p99: number }, deregistered: { clean: number, unclean: number }, seed: number, errors: Record<string, number> }
  assert.equal(summary.devices, 40)
  assert.equal(summary.everRegistered, 40)
  assert.ok(summary.notificationsSent >= 40 * 4, `${summary.notificationsSent} notifications`)
  assert.deepEqual(summary.deregistered, { clean: 40, unclean: 0 })
  assert.deepEqual(summary.errors, {})
  assert.equal(summary.seed, 9)
  assert.match(r.stderr, /40 LWM2M devices -> coap:\/\/127\.0\.0\.1:\d+, 2\/s per device, registering at 200\/s, seed 9/)
  assert.match(r.stderr, /\[ +\d+s\] registered 40\/40 +notifications \d+\/s +late \d+ +errors 0/)
  const regs = [...server.registrations.values()].filter(x => x.endpoint.startsWith(prefix))
  assert.equal(regs.length, 40)
  assert.ok(regs.every(x => x.deregisteredAt !== undefined))
  assert.equal(regs[0]!.endpoint, `${prefix}000000`)
  const text = await runCli(['devices', '--server', server.url, '--count', '2', '--duration', '1s', '--endpoint-prefix', `${prefix}t-`])
  assert.equal(text.code, 0, text.stderr)
  assert.match(text.stdout, /^devices +2 \(2 registered, 0 registration failures\)/m)
  assert.match(text.stdout, /^lateness +p50 /m)
  assert.match(text.stdout, /^seed +\d+ \(repeat the run with --seed \d+\)/m)
})

test('no server listening: errors counted, exit 6 with a hint', async () => {
  const server = await TestLwm2mServer.start()
  const url = server.url
  await server.close() // a port nobody listens on any more
  const r = await runCli(['devices', '--server', url, '--count', '5', '--duration', '1500ms'])
  assert.equal(r.code, 6, r.stderr)
  assert.match(r.stdout, /^errors +errors\.ECONNREFUSED \d+/m)
  assert.match(r.stderr, /error: no device registered at coap:\/\/127\.0\.0\.1:\d+ \(errors\.ECONNREFUSED \d+\)/)
  assert.match(r.stderr, /hint: is an LWM2M server listening there\?/)
})

test('Ctrl-C deregisters every device, prints the summary and exits 130', async t => {
  const server = await TestLwm2mServer.start()
  t.after(() => server.close())
  const prefix = `${uniqueName('int')}-`
  const child = spawn(process.execPath, [join(projectRoot, 'cli', 'bin.js'), 'devices', '--server', server.url, '--count', '30',
    '--duration', '60s', '--endpoint-prefix', prefix], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', d => { stdout += String(d) })
  child.stderr.on('data', d => { stderr += String(d) })
  await server.waitFor('30 registrations', () => [...server.registrations.keys()].filter(k => k.startsWith(prefix)).length === 30, 20_000)
  child.kill('SIGINT')
  const code = await new Promise<number | null>(resolve => child.once('exit', c => resolve(c)))
  assert.equal(code, 130, stderr)
  const regs = [...server.registrations.values()].filter(x => x.endpoint.startsWith(prefix))
  assert.ok(regs.every(x => x.deregisteredAt !== undefined), 'all deregistered before exit')
  assert.match(stdout, /stopped +30 cleanly \(deregistered, or nothing to deregister\), 0 without confirmation/)
  assert.match(stderr, /stopping: deregistering 30 devices/)
})
