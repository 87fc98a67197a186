// Pieces of the multi-process benchmarks: a bench script forks itself in a role (a server, a simulator) so each is
// measured alone; the parent talks to it over IPC and reads its CPU from /proc (platform/runtime/proc-stats.ts).
import { execFileSync, fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import type { EventEmitter } from 'node:events'
import { udpHostDrops } from '../../control/monitors.ts'
import { LatencyHistogram } from '../../lib/metrics/histogram.ts'
export { processCpuMs } from '../../platform/runtime/proc-stats.ts'

/** A child running `script` with `args`, tsx loaded; --expose-gc for memory figures. */
export function forkRole (script: string, args: string[], options: { gc?: boolean } = {}): ChildProcess {
  return fork(script, args, { execArgv: [...(options.gc === true ? ['--expose-gc'] : []), '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
}

/** The child's next IPC message, or an error when it exits first or stays silent for `timeoutMs`. */
export function nextMessage<T> (child: ChildProcess, timeoutMs = 300_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = (): void => { clearTimeout(timer); child.off('message', onMessage); child.off('exit', onExit) }
    const onMessage = (m: unknown): void => { done(); resolve(m as T) }
    const onExit = (code: number | null): void => { done(); reject(new Error(`child ${child.pid} exited with ${code} before answering`)) }
    const timer = setTimeout(() => { done(); reject(new Error(`child ${child.pid} did not answer within ${timeoutMs} ms`)) }, timeoutMs)
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
}

/** Sends `msg` and resolves with the answer. */
export function ask<T> (child: ChildProcess, msg: object, timeoutMs?: number): Promise<T> {
  const answer = nextMessage<T>(child, timeoutMs)
  child.send(msg)
  return answer
}

/** Resolves when the child has exited; SIGKILL after `graceMs`. */
export function exited (child: ChildProcess, graceMs = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise(resolve => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', () => { clearTimeout(timer); resolve() })
  })
}


/** Heap + external and RSS of this process after forced collections (run with --expose-gc). */
export function gcMemory (): { heap: number, rss: number } {
  const gc = (globalThis as { gc?: () => void }).gc
  for (let i = 0; i < 3; i++) gc?.()
  const m = process.memoryUsage()
  return { heap: m.heapUsed + m.external, rss: m.rss }
}

/** The kernel's count of UDP datagrams dropped for a full receive buffer (machine-wide, Linux; 0 elsewhere). */
export function udpReceiveBufferDrops (): number {
  return udpHostDrops() ?? 0
}

/**
 * The receive buffer the kernel gave the UDP socket bound to `port` (any process): sk_rcvbuf as `ss -u -a -n -m` prints
 * it (rb), which is what getsockopt(SO_RCVBUF) and dgram's getRecvBufferSize() report (Linux doubles the SO_RCVBUF
 * asked for, capped at net.core.rmem_max, so up to twice that; Java's getReceiveBufferSize() halves it again). The same
 * reading for any process, whatever its language. Undefined without ss (iproute2), or when no single such socket is found.
 */
export function udpSocketReceiveBuffer (port: number): number | undefined {
  let out: string
  try {
    out = execFileSync('ss', ['-H', '-u', '-a', '-n', '-m', 'sport', '=', `:${port}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 })
  } catch {
    return undefined
  }
  const sizes = [...out.matchAll(/\brb(\d+)/g)].map(m => Number(m[1]))
  return sizes.length === 1 ? sizes[0] : undefined
}

/** A fleet's notifications sent and late, observations started, and send lateness, tallied from its metric events. */
export interface FleetTally { sent: number, late: number, observing: number, readonly lateness: LatencyHistogram }

export function tallyFleet (events: EventEmitter): FleetTally {
  const tally: FleetTally = { sent: 0, late: 0, observing: 0, lateness: new LatencyHistogram() }
  events.on('counter', (name: string, v: number) => {
    if (name === 'lwm2m.notify.sent') tally.sent += v
    else if (name === 'lwm2m.notify.late') tally.late += v
    else if (name === 'lwm2m.observe.started') tally.observing += v
  })
  events.on('histogram', (name: string, v: number) => { if (name === 'lwm2m.notify.lateness') tally.lateness.record(v) })
  return tally
}
