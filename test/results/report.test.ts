// The report page rendered by a real browser: headless Chromium loads report.html, and its DOM must hold the SVG
// charts with their lines; the page screenshot and each chart PNG must be real, non-blank images.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { chromiumPackage, dumpDom, findChromium, screenshot } from '../../results/png.ts'
import { reportHtml, runCharts, writeReport } from '../../results/report.ts'
import { loadRun } from '../../results/run-loader.ts'
import { tempDir, writeRun } from './fixtures.ts'
import { inspectPng } from './png-check.ts'

const chartNames = ['rate', 'latency', 'lag', 'devices', 'cpu', 'memory']

test('the report page holds every chart, the summary, thresholds, events and config, and fetches nothing', async t => {
  const parent = await tempDir(t)
  const run = await loadRun((await writeRun(parent, 'r', { seed: 51, seconds: 20, e2eBaseMs: 20, e2eScaleMs: 5 })).dir)
  assert.deepEqual(runCharts(run).map(c => c.name), chartNames)
  const html = reportHtml(run)
  for (const name of chartNames) assert.match(html, new RegExp(`<svg [^>]*id="chart-${name}"`), name)
  for (const s of ['<h2>Summary</h2>', 'e2e_p99_ms', '✓ pass', '✗ fail', 'loss.ratio', 'baseline, &quot;quoted&quot;, with comma', '&quot;rampMs&quot;: 5000',
    'ramp &lt;to&gt; 100 &amp; hold']) assert.ok(html.includes(s), s)
  assert.doesNotMatch(html, /<script|<link|<img|url\(|https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'self-contained')
})

test('headless Chromium renders the report: SVG charts in the DOM, a real screenshot, and real chart PNGs', async t => {
  const chromium = findChromium()
  assert.ok(chromium !== undefined, `no Chromium on PATH: install ${chromiumPackage} (scripts/test-tools does)`)
  const parent = await tempDir(t)
  const run = await loadRun((await writeRun(parent, 'r', { seed: 52, seconds: 20, e2eBaseMs: 20, e2eScaleMs: 5 })).dir)
  const progress: string[] = []
  const r = await writeReport(run, undefined, { png: true, progress: l => progress.push(l), warn: l => assert.fail(l) })
  assert.equal(r.html, join(run.dir, 'report.html'))
  assert.equal(progress.length, 6)
  assert.match(progress[0]!, /rendering .*charts\/rate\.png \(1\/6\)/)

  const dom = await dumpDom(chromium, r.html)
  const svgs = dom.match(/<svg [^>]*class="chart"[^>]*>/g) ?? []
  assert.equal(svgs.length, 6, 'six charts in the rendered DOM')
  for (const name of chartNames) {
    const start = dom.indexOf(`id="chart-${name}"`)
    assert.ok(start > 0, name)
    const chart = dom.slice(start, dom.indexOf('</svg>', start))
    assert.match(chart, /<polyline [^>]*points="[\d.]+,[\d.]+ [\d.]+,[\d.]+/, `${name} has a drawn line`)
    assert.match(chart, /class="legend"/, `${name} has a legend`)
  }

  const pagePng = join(parent, 'page.png')
  await screenshot(chromium, r.html, pagePng, { width: 1200, height: 2400, scale: 1 })
  const page = inspectPng(await readFile(pagePng))
  assert.deepEqual([page.width, page.height], [1200, 2400])
  assert.ok(page.distinctPixels > 10, `page has ${page.distinctPixels} distinct pixel values`)

  assert.deepEqual(r.pngs.map(p => p.slice(p.lastIndexOf('/') + 1)), chartNames.map(n => `${n}.png`))
  assert.deepEqual((await readdir(join(run.dir, 'charts'))).sort(), chartNames.flatMap(n => [`${n}.png`, `${n}.svg`]).sort())
  for (const p of r.pngs) {
    const png = inspectPng(await readFile(p))
    assert.deepEqual([png.width, png.height], [1600, 640], `${p}: 800x320 at 2x`)
    assert.ok(png.distinctPixels > 5, `${p} is not one flat colour (${png.distinctPixels} distinct pixels)`)
  }
})
