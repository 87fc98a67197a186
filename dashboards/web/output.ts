// `--out web=[host]:port`: the live web view. GET / serves the page (page.ts), GET /events the run as
// server-sent events: a browser that connects late first gets everything so far, then each second as it comes.
// At the end the same page, with the whole run embedded, is written to the run folder as web-dashboard.html (it
// opens offline: nothing in it is fetched), the connected pages get the end, and the server closes.
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FleetlabError } from '../../lib/errors.ts'
import type { Output } from '../../results/outputs/contract.ts'
import type { DashboardMetricNames } from '../second.ts'
import { FeedBuilder } from './feed.ts'
import { webPage } from './page.ts'

export const WEB_FILE = 'web-dashboard.html'
/** A comment line to every client this often, so proxies and browsers keep the stream open. */
const KEEPALIVE_MS = 15_000

export interface WebAddress { readonly host: string, readonly port: number }

export class WebOutput implements Output {
  readonly name = 'web'
  readonly #address: WebAddress
  readonly #feed: FeedBuilder
  readonly #clients = new Set<ServerResponse>()
  readonly #tell: (line: string) => void
  #server: Server | undefined
  #keepalive: NodeJS.Timeout | undefined
  #runDir = ''

  /** `names`: the fleet and accounting metrics shown (cli/dashboard-names.ts). */
  constructor (address: WebAddress, tell: (line: string) => void = () => {}, names?: DashboardMetricNames) {
    this.#feed = new FeedBuilder(names)
    this.#address = address
    this.#tell = tell
  }

  /** The URL the page is served at, once started. */
  get url (): string | undefined {
    const a = this.#server?.address()
    return a === null || a === undefined || typeof a === 'string' ? undefined : `http://${this.#address.host.includes(':') ? `[${this.#address.host}]` : this.#address.host}:${a.port}/`
  }

  async start (run: Parameters<Output['start']>[0]): Promise<void> {
    this.#runDir = run.runDir
    this.#feed.onStart(run)
    const server = createServer((req, res) => { this.#handle(req, res) })
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(err.code === 'EADDRINUSE'
          ? new FleetlabError('FLEETLAB_PORT_IN_USE', `--out web: port ${this.#address.port} on ${this.#address.host} is in use`, { hint: 'choose another with --out web=:<port>' })
          : err)
      })
      server.listen(this.#address.port, this.#address.host, () => { resolve() })
    })
    this.#server = server
    this.#keepalive = setInterval(() => { for (const c of this.#clients) c.write(': keepalive\n\n') }, KEEPALIVE_MS)
    this.#keepalive.unref()
    this.#tell(`web view at ${this.url ?? ''}`)
  }

  add (second: Parameters<Output['add']>[0]): void {
    this.#send('second', this.#feed.onSecond(second))
  }

  event (e: Parameters<Output['event']>[0]): void {
    this.#send('event', this.#feed.onEvent(e))
  }

  async stop (end: Parameters<Output['stop']>[0]): Promise<void> {
    this.#send('end', this.#feed.onEnd(end))
    clearInterval(this.#keepalive)
    const file = join(this.#runDir, WEB_FILE)
    await writeFile(file, webPage(this.#feed.feed()))
    for (const c of this.#clients) c.end()
    this.#clients.clear()
    const server = this.#server
    this.#server = undefined
    if (server !== undefined) await new Promise<void>(resolve => { server.close(() => { resolve() }); server.closeAllConnections() })
    this.#tell(`web view saved as ${file}`)
  }

  #send (kind: string, data: unknown): void {
    if (this.#clients.size === 0) return
    const frame = `event: ${kind}\ndata: ${JSON.stringify(data)}\n\n`
    for (const c of this.#clients) c.write(frame)
  }

  #handle (req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET') { res.writeHead(405, { allow: 'GET' }).end(); return }
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(webPage())
      return
    }
    if (path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
      const f = this.#feed
      let backlog = ''
      if (f.start !== null) backlog += `event: start\ndata: ${JSON.stringify(f.start)}\n\n`
      for (const s of f.seconds) backlog += `event: second\ndata: ${JSON.stringify(s)}\n\n`
      for (const e of f.events) backlog += `event: event\ndata: ${JSON.stringify(e)}\n\n`
      if (f.end !== null) backlog += `event: end\ndata: ${JSON.stringify(f.end)}\n\n`
      res.write(backlog)
      if (f.end !== null) { res.end(); return }
      this.#clients.add(res)
      req.on('close', () => { this.#clients.delete(res) })
      return
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path} (the page is at /, its stream at /events)\n`)
  }
}
