// `fleetlab lwm2m serve` through the real binary: help, flag errors, a device registering, the status line, Ctrl-C.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { join } from 'node:path'
import { formatCode } from '../../lib/coap/index.ts'
import { projectRoot } from '../../lib/home.ts'
import { runCli } from '../helpers.ts'
import { until } from '../platform/lwm2m-server/helpers.ts'
import { TestDevice } from '../platform/lwm2m-server/test-device.ts'

test('lwm2m serve --help explains the flags, the status line and Ctrl-C', async () => {
  const r = await runCli(['lwm2m', 'serve', '--help'])
  assert.equal(r.code, 0, r.stderr)
  for (const flag of ['--port', '--host', '--gateway', '--kafka', '--observe', '--verbose']) assert.match(r.stdout, new RegExp(flag))
  assert.match(r.stdout, /status line/)
  assert.match(r.stdout, /Ctrl-C/)
})

test('bad flags are reported all at once with exit 2', async () => {
  const r = await runCli(['lwm2m', 'serve', '--port', 'x', '--gateway', 'a b', '--observe', '/3303/x', '--kafka', 'nohost'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /4 problems/)
  for (const flag of ['--port', '--gateway', '--observe', '--kafka']) assert.match(r.stderr, new RegExp(`- ${flag}:`))
  assert.equal((await runCli(['lwm2m', 'serve', '--bogus'])).code, 2)
})

test('serve: a device registers, the log and the status line show it, Ctrl-C stops it cleanly', { timeout: 60_000 }, async t => {
  const child = spawn(process.execPath, [join(projectRoot, 'cli', 'bin.js'), 'lwm2m', 'serve', '--port', '0', '--verbose', '--observe', 'none'], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)))
  await until('the listening line', () => /listening on coap:\/\/127\.0\.0\.1:\d+/.test(stderr), 20_000)
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(stderr)![1])
  assert.match(stderr, /auto-observe off/)
  // the next line may come in the next chunk of stderr
  await until('the no-kafka line', () => /no --kafka: registrations are logged here/.test(stderr), 5000)

  const device = await TestDevice.start({ server: { host: '127.0.0.1', port }, endpoint: 'cli-device-1' })
  t.after(() => device.close())
  assert.equal(formatCode((await device.register()).code), '2.01')
  await until('the registration logged', () => stderr.includes('registered cli-device-1'), 5000)
  await until('a status line with the device', () => /devices 1 {2}observations 0 {2}notifications\/s 0 {2}malformed 0/.test(stderr), 5000)
  const garbage = createSocket('udp4')
  garbage.send(Buffer.from([0xff, 0x00]), port, '127.0.0.1', () => garbage.close())
  await until('the malformed datagram counted', () => /malformed 1/.test(stderr), 5000)

  child.kill('SIGINT')
  assert.equal(await exited, 0, stderr)
  assert.match(stderr, /stopping: /)
  assert.match(stderr, /stopped: 1 registrations, 0 notifications, 1 malformed datagrams/)
})

test('a UDP port already in use is exit 3 with a hint', async t => {
  const busy = createSocket('udp4')
  t.after(() => busy.close())
  await new Promise<void>(resolve => busy.bind(0, '127.0.0.1', () => resolve()))
  const r = await runCli(['lwm2m', 'serve', '--port', String(busy.address().port)])
  assert.equal(r.code, 3, r.stderr)
  assert.match(r.stderr, /already in use/)
  assert.match(r.stderr, /hint: .*--port/)
})
