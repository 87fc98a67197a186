import { createSocket } from 'node:dgram'
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

/**
 * A port p with p and p+1 both free (a broker listener and its controller), drawn at random from
 * [from, from + 2 * span), so tests and benchmarks running side by side rarely collide.
 */
export async function findFreePortPair (from: number, span: number, host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = from + 2 * Math.floor(Math.random() * span)
    if (await portFree(p, host) && await portFree(p + 1, host)) return p
  }
  throw new Error(`no free port pair found in ${from}-${from + 2 * span}`)
}

/** True when no socket is bound to the UDP host:port. */
export function udpPortFree (port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise(resolve => {
    const socket = createSocket('udp4')
    socket.once('error', () => { socket.close(); resolve(false) })
    socket.bind({ port, address: host, exclusive: true }, () => socket.close(() => resolve(true)))
  })
}

/** A free UDP port drawn at random from [from, from + span), so platforms started side by side rarely pick the same. */
export async function findFreeUdpPort (from: number, span: number, host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = from + Math.floor(Math.random() * span)
    if (await udpPortFree(p, host)) return p
  }
  throw new Error(`no free UDP port found in ${from}-${from + span - 1}`)
}

/** Checks every port first and reports all the busy ones at once, before anything starts. */
export async function assertPortsFree (ports: Array<{ service: string, port: number, udp?: boolean }>, host = '127.0.0.1'): Promise<void> {
  const busy: Array<{ service: string, port: number }> = []
  for (const p of ports) {
    if (!await (p.udp === true ? udpPortFree(p.port, host) : portFree(p.port, host))) busy.push({ service: p.service, port: p.port })
  }
  if (busy.length > 0) throw new PortInUseError(busy)
}
