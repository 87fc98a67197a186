// The web view (dashboards/web/): a synthetic stream through the real output; its server-sent events over real
// HTTP; the page in a real headless Chromium receiving points as they come, and its screenshot; the file left in
// the run folder drawing the whole run offline.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { MetricWindow } from '../../lib/metrics/window.ts'
import { dashboardNames } from '../../cli/dashboard-names.ts'
import { WEB_FILE, WebOutput } from '../../dashboards/web/output.ts'
import type { RunSecond, RunStart } from '../../results/outputs/contract.ts'
import type { RunMeta, SummaryRow, TimeseriesRow } from '../../results/run-format.ts'
import { freePortPair, waitFor } from '../helpers.ts'
import { onlyRun, runDir, spawnCli, writeExperiment } from '../experiments/run/fixtures.ts'

const SERVICES = ['edge-kafka', 'sink']
const BROWSER = ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium'].find(p => existsSync(p))
const BROWSER_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

function row (t: number): TimeseriesRow {
  const phase = t < 2 ? 'setup' : 'baseline'
  return {
    t_s: t, phase, devices_target: 100, devices_active: Math.min(100, t * 10), rate_target: 100, sent: 100 + t, sent_late: 0, lateness_p99_ms: 1,
    edge_in: 100, udp_drops: 0, cloud_out: 100, delivered: 90 + t, e2e_p50_ms: 10 + t, e2e_p95_ms: 20 + t, e2e_p99_ms: 30 + t, e2e_max_ms: 40,
    consumer_lag: 5 * t, mirror_lag: t, consumer_replicas: 1 + (t % 3), errors: 0, consumer_desired: 2, consumer_lag_s: t / 10,
    services: { 'edge-kafka': { cpuPct: 20 + t, memMb: 300 }, sink: { cpuPct: 5, memMb: 80 } },
  }
}
/** The second's window with the fleet's gauges (two gateways, gw-b behind), its totals with the devices' counters. */
function fleetWindow (t: number): MetricWindow {
  const w = new MetricWindow(2_000_000 + t)
  const at = 2_000_000_000 + t * 1000
  w.gauge(dashboardNames.devicesRegistered, 100, 'sum', at)
  w.gauge(`${dashboardNames.devicesActive}.gw-a`, 50, 'last', at)
  w.gauge(`${dashboardNames.devicesRegistered}.gw-a`, 50, 'last', at)
  w.gauge(`${dashboardNames.devicesActive}.gw-b`, 20 + t, 'last', at)
  w.gauge(`${dashboardNames.devicesRegistered}.gw-b`, 50, 'last', at)
  return w
}
const second = (t: number): RunSecond => ({
  second: 2_000_000 + t, row: row(t), window: fleetWindow(t),
  totals: { [dashboardNames.retransmits]: 4 * t, [dashboardNames.registerFailed]: 1, [dashboardNames.duplicates]: 2 },
  thresholds: [{ metric: 'e2e.p99', source: 'e2e.p99 < 500ms', value: 30 + t, passed: true }, { metric: 'loss', source: 'loss == 0', value: null, passed: false }],
})
const meta = (_dir: string, complete = false): RunMeta => ({
  runId: 'T-web-0001', experiment: { name: 'web-view-test', kind: 'linear', file: 'x.ts', config: {} }, complete, thresholds: [],
} as unknown as RunMeta)
const summary = { lost: 0, loss_ratio: 0, duplicates: 3 } as unknown as SummaryRow

/** A headless Chromium on `url`, closed after the test; the page's script errors are collected. */
async function openPage (t: { after: (fn: () => Promise<void>) => void }, url: string): Promise<{ browser: Browser, page: Page, errors: string[] }> {
  assert.ok(BROWSER !== undefined, 'a Chromium (scripts/test-tools installs chromium-headless-shell)')
  const browser = await chromium.launch({ executablePath: BROWSER, args: BROWSER_ARGS })
  t.after(async () => { await browser.close() })
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  const errors: string[] = []
  page.on('pageerror', e => errors.push(e.message))
  await page.goto(url)
  return { browser, page, errors }
}

/** Reads server-sent events until `until` says enough; returns the frames as { event, data }. */
function readEvents (url: string, until: (frames: Array<{ event: string, data: unknown }>) => boolean): Promise<Array<{ event: string, data: unknown }>> {
  return new Promise((resolve, reject) => {
    const frames: Array<{ event: string, data: unknown }> = []
    const req = get(url, res => {
      assert.equal(res.headers['content-type'], 'text/event-stream')
      let buf = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buf += chunk
        let i
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i)
          buf = buf.slice(i + 2)
          const event = /^event: (.*)$/m.exec(frame)?.[1]
          const data = /^data: (.*)$/m.exec(frame)?.[1]
          if (event !== undefined && data !== undefined) frames.push({ event, data: JSON.parse(data) })
        }
        if (until(frames)) { req.destroy(); resolve(frames) }
      })
      res.on('end', () => { resolve(frames) })
    })
    req.on('error', reject)
  })
}

test('the web view streams the run to late and early pages, in Chromium too, and leaves the run as one offline file', { timeout: 120_000 }, async t => {
  const dir = await mkdtemp(join(tmpdir(), 'fleetlab-web-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const out = new WebOutput({ host: '127.0.0.1', port: 0 }, () => {}, dashboardNames)
  const start: RunStart = { meta: meta(dir), runDir: dir, startMs: 2_000_000_000, services: SERVICES, plannedWorkloadMs: 60_000 }
  await out.start(start)
  t.after(async () => { await out.stop({ meta: meta(dir, true), summary, histograms: {} }).catch(() => {}) })
  const url = out.url!
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/)
  for (let s = 0; s < 5; s++) out.add(second(s))
  out.event({ t_s: 2.1, kind: 'phase', source: 'workload', detail: 'baseline: 100 devices at 1/s each (100/s)' })
  out.event({ t_s: 3.4, kind: 'autoscale', source: 'threshold', detail: 'scale-up 1 -> 2: lag 1,640 / threshold 1,000 -> 2' })

  // a page that connects late gets everything so far first, then what follows
  const late = readEvents(`${url}events`, f => f.filter(x => x.event === 'second').length >= 7)
  await new Promise(resolve => setTimeout(resolve, 200))
  out.add(second(5))
  out.add(second(6))
  const frames = await late
  assert.deepEqual(frames[0], { event: 'start', data: { runId: 'T-web-0001', experiment: 'web-view-test', kind: 'linear', services: SERVICES, plannedS: 60 } })
  const seconds = frames.filter(f => f.event === 'second').map(f => f.data as { t: number, e2e_p99_ms: number, totals: { sent: number }, workloadS: number })
  assert.deepEqual(seconds.map(s => s.t), [0, 1, 2, 3, 4, 5, 6])
  assert.equal(seconds[6]!.e2e_p99_ms, 36)
  assert.equal(seconds[6]!.totals.sent, [0, 1, 2, 3, 4, 5, 6].reduce((n, s) => n + 100 + s, 0), 'running totals of the rows')
  assert.equal(seconds[6]!.workloadS, 5, 'setup seconds are not workload')
  assert.equal(frames.filter(f => f.event === 'event').length, 2)
  const last = frames.filter(f => f.event === 'second').at(-1)!.data as { registered: number, gateways: unknown, totals: Record<string, number> }
  assert.equal(last.registered, 100)
  assert.deepEqual(last.gateways, [{ gateway: 'gw-a', active: 50, registered: 50 }, { gateway: 'gw-b', active: 26, registered: 50 }])
  assert.deepEqual([last.totals.retransmits, last.totals.registerFailed, last.totals.duplicates], [24, 1, 2])

  // a real browser: the page loads, its charts receive points while the stream goes on
  const { browser, page, errors } = await openPage(t, url)
  await page.waitForFunction(() => document.body.dataset.seconds === '7', undefined, { timeout: 10_000 })
  for (let s = 7; s < 12; s++) { out.add(second(s)); await new Promise(resolve => setTimeout(resolve, 50)) }
  await page.waitForFunction(() => document.body.dataset.seconds === '12', undefined, { timeout: 10_000 })
  assert.equal(await page.textContent('#title'), 'web-view-test (linear)')
  assert.equal(await page.textContent('#state'), 'baseline')
  assert.match(await page.textContent('#thresholds') ?? '', /✓ e2e\.p99 < 500ms \(41\.0\).*… loss == 0 \(at the end\)/)
  assert.match(await page.textContent('#l-latency') ?? '', /p99 41\.0/)
  assert.match(await page.textContent('#l-cpu') ?? '', /edge-kafka 31\.0/)
  assert.match(await page.textContent('#events') ?? '', /scale-up 1 -> 2: lag 1,640/)
  // the fleet: every gateway, the one behind first and marked; the devices' counters in the totals
  assert.match(await page.textContent('#fleet') ?? '', /registered 100, 2 gateways.*gw-b3150.*gw-a5050/)
  assert.equal(await page.textContent('#fleet tr.behind td'), 'gw-b')
  assert.match(await page.textContent('#totals') ?? '', /registration failures1retransmissions44duplicates so far2/)
  // the charts drew: a canvas with lines has non-blank pixels
  const inked = await page.evaluate(() => {
    const c = document.getElementById('c-rate') as HTMLCanvasElement
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
    let n = 0
    for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++
    return n
  })
  assert.ok(inked > 500, `${inked} inked pixels in the rate chart`)
  const shot = join(dir, 'web-view.png')
  await page.screenshot({ path: shot, fullPage: true })
  assert.ok((await stat(shot)).size > 10_000, 'a screenshot with content')
  assert.deepEqual(errors, [])

  // the end: the pages get it, the file holds the whole run and draws it with no server
  await out.stop({ meta: { ...meta(dir, true), thresholds: [{ metric: 'loss', source: 'loss == 0', value: 0, passed: true }] }, summary, histograms: {} })
  const html = await readFile(join(dir, WEB_FILE), 'utf8')
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|https?:\/\//, 'nothing fetched')
  const offline = await browser.newPage()
  const offlineErrors: string[] = []
  offline.on('pageerror', e => offlineErrors.push(e.message))
  await offline.goto(`file://${join(dir, WEB_FILE)}`)
  await offline.waitForFunction(() => document.body.dataset.seconds === '12', undefined, { timeout: 10_000 })
  assert.equal(await offline.textContent('#state'), 'complete')
  assert.match(await offline.textContent('#totals') ?? '', /duplicates3/)
  assert.match(await offline.textContent('#thresholds') ?? '', /✓ loss == 0/)
  assert.deepEqual(offlineErrors, [])
})

test('fleetlab run --out web: a real short run streams to a page in Chromium and leaves web-dashboard.html', { timeout: 300_000 }, async t => {
  const rd = await runDir(t, 'process')
  const file = await writeExperiment(rd.dir, 'web-live', {
    kind: 'linear', name: 'web-live', seed: 3,
    workload: { devices: { from: 0, to: 10 }, rate: '2/s', rampDuration: '2s', hold: '12s' },
    drain: '10s',
    thresholds: { 'e2e.p99': '<5s' },
  })
  const port = await freePortPair()
  const cli = spawnCli(rd, ['run', file, '--runtime', 'process', '--results-dir', rd.runs, '--out', `web=:${port}`])
  const url = `http://127.0.0.1:${port}/`
  await waitFor('the web view to be served', async () => /web view at http:\/\/127\.0\.0\.1:\d+\//.test(cli.out.stderr) ? true : undefined, 60_000)
  const { page, errors } = await openPage(t, url)
  // points arrive while the experiment runs: the count grows, and the workload's phase shows
  await page.waitForFunction(() => Number(document.body.dataset.seconds) >= 1, undefined, { timeout: 120_000 })
  const first = Number(await page.getAttribute('body', 'data-seconds'))
  await page.waitForFunction(n => Number(document.body.dataset.seconds) >= n + 3, first, { timeout: 60_000 })
  await page.waitForFunction(() => /ramp|hold/.test(document.getElementById('state')!.textContent ?? ''), undefined, { timeout: 60_000 })
  assert.match(await page.textContent('#title') ?? '', /web-live \(linear\)/)
  await page.screenshot({ path: join(rd.dir, 'web-live.png') })
  assert.ok((await stat(join(rd.dir, 'web-live.png'))).size > 10_000)

  assert.equal(await cli.exited, 0, `stderr:\n${cli.out.stderr}`)
  assert.deepEqual(errors, [])
  const run = await onlyRun(rd.runs)
  const html = await readFile(join(run.dir, WEB_FILE), 'utf8')
  const embedded = JSON.parse(/<script type="application\/json" id="run-data">(.*?)<\/script>/s.exec(html)![1]!) as { seconds: Array<{ t: number, delivered: number }>, end: { complete: boolean } }
  assert.equal(embedded.seconds.length, run.rows.length, 'every second of timeseries.csv is in the file')
  assert.equal(embedded.seconds.reduce((n, s) => n + (s.delivered ?? 0), 0), run.rows.reduce((n, r) => n + (r.delivered ?? 0), 0))
  assert.equal(embedded.end.complete, true)
  assert.match(cli.out.stderr, /web view saved as .*web-dashboard\.html/)
})
