import { createServer } from 'node:net'
import { PortInUseError } from '../lib/errors.ts'

/** True when nothing listens on host:port (we could bind it ourselves). */
export function portFree (port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise(resolve => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/** Checks every port first and reports all the busy ones at once, before anything starts. */
export async function assertPortsFree (ports: Array<{ service: string, port: number }>, host = '127.0.0.1'): Promise<void> {
  const busy: Array<{ service: string, port: number }> = []
  for (const p of ports) {
    if (!await portFree(p.port, host)) busy.push(p)
  }
  if (busy.length > 0) throw new PortInUseError(busy)
}
