// Shared by the LWM2M server tests: a started server with its cleanup, test devices, waiting for events.
import { once } from 'node:events'
import type { TestContext } from 'node:test'
import { Lwm2mServer } from '../../../platform/lwm2m-server/server.ts'
import type { Lwm2mServerEvents, Lwm2mServerOptions } from '../../../platform/lwm2m-server/server.ts'
import { uniqueName } from '../../helpers.ts'
import { TestDevice } from './test-device.ts'
import type { TestDeviceOptions } from './test-device.ts'

/** A server on 127.0.0.1 and a free port, stopped after the test. */
export async function startServer (t: TestContext, options: Lwm2mServerOptions = {}): Promise<Lwm2mServer> {
  const server = new Lwm2mServer({ port: 0, ...options })
  await server.start()
  t.after(() => server.stop())
  return server
}

export async function startDevice (t: TestContext, server: Lwm2mServer, options: Partial<TestDeviceOptions> = {}): Promise<TestDevice> {
  const device = await TestDevice.start({ server: { host: '127.0.0.1', port: server.address().port }, endpoint: uniqueName('dev'), ...options })
  t.after(() => device.close())
  return device
}

/** The next `event` of the server, or an error after `timeoutMs`. */
export async function nextEvent<K extends keyof Lwm2mServerEvents> (server: Lwm2mServer, event: K, timeoutMs = 5000): Promise<Lwm2mServerEvents[K]> {
  const signal = AbortSignal.timeout(timeoutMs)
  return await once(server as unknown as NodeJS.EventEmitter, event as string, { signal }) as Lwm2mServerEvents[K]
}

export async function until (what: string, probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}
