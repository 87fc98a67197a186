// The terminal dashboard without a terminal: the bounded state, the panels as data, the replay cursor over a real
// run folder, the follower over a run folder being written, and how `fleetlab run` picks its outputs. The screen
// drawn in a real terminal (tmux) is tested in terminal-tmux.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { RunWriter } from '../../results/run-writer.ts'
import { loadRun } from '../../results/run-loader.ts'
import { DashboardState, HISTORY_S, LOG_LINES } from '../../dashboards/terminal/state.ts'
import { Ring } from '../../lib/ring.ts'
import { buildView, gatewayLines, niceMax, panelTitles } from '../../dashboards/terminal/view.ts'
import { ReplayCursor, RunFollower, SPEEDS } from '../../dashboards/terminal/replay.ts'
import { isTerminfoNoise } from '../../dashboards/terminal/screen.ts'
import { dashboardNames, thresholdUnitOf } from '../../cli/dashboard-names.ts'
import { withDefaultOutputs } from '../../cli/run.ts'
import { makeMeta, makeRows, makeSummary, services, tempDir, writeRun } from '../results/fixtures.ts'

const viewOptions = { logScale: false, points: 120, width: 160, paused: false, unitOf: thresholdUnitOf, names: dashboardNames }

test('the ring keeps the newest items only, oldest first', () => {
  const r = new Ring<number>(3)
  for (let i = 1; i <= 7; i++) r.push(i)
  assert.deepEqual(r.last(), [5, 6, 7])
  assert.deepEqual(r.last(2), [6, 7])
  assert.equal(r.length, 3)
  assert.throws(() => new Ring(0), /ring capacity/)
})

test('the state holds at most HISTORY_S seconds and LOG_LINES lines however long the run, and sums every second', () => {
  const { rows } = makeRows({ seed: 1, seconds: 20, e2eBaseMs: 10, e2eScaleMs: 5 })
  const state = new DashboardState({ runId: 'r', experiment: 'e', kind: 'linear', plannedWorkloadMs: 20_000, services, thresholds: [] })
  let sent = 0
  for (let i = 0; i < HISTORY_S * 3; i++) {
    const row = { ...rows[2 + (i % 20)]!, t_s: i }
    sent += row.sent ?? 0
    state.second({ row })
    state.event({ t_s: i, kind: 'autoscale', source: 'threshold', detail: `hold {braces} ${i}` })
  }
  assert.equal(state.rows.length, HISTORY_S)
  assert.equal(state.log.length, LOG_LINES)
  assert.equal(state.sums.sent, sent)
  assert.equal(state.sums.seconds, HISTORY_S * 3)
  // braces are escaped, scaling decisions yellow
  assert.match(state.log.last(1)[0]!, /^\{yellow-fg\}.*hold \{open\}braces\{close\}/)
})

test('the panels: header with phase, progress and every threshold, charts with the latest values, log scale, services, fleet', () => {
  const { rows, e2e } = makeRows({ seed: 2, seconds: 30, e2eBaseMs: 40, e2eScaleMs: 20 })
  const state = new DashboardState({ runId: 'run-1', experiment: 'linear-ramp', kind: 'linear', plannedWorkloadMs: 30_000, services,
    thresholds: [{ metric: 'e2e.p99', source: 'e2e.p99<500ms', value: null, passed: true }] })
  for (const row of rows.slice(0, 12)) state.second({ row, thresholds: [{ metric: 'e2e.p99', source: 'e2e.p99<500ms', value: 123.4, passed: true }, { metric: 'loss', source: 'loss==0', value: null, passed: true }] })
  const v = buildView(state, viewOptions)
  assert.match(v.header, /linear-ramp/)
  assert.match(v.header, /phase \{bold\}baseline/)
  assert.match(v.header, /LIVE/)
  assert.match(v.header, /workload 0:10 \/ 0:30 {2}remaining 0:20/)
  assert.match(v.header, /✓.*e2e\.p99<500ms \(123 ms\)/)
  assert.match(v.header, /loss==0 \(at end\)/)
  const last = rows[11]!
  assert.equal(v.rate.series.length, 3)
  assert.equal(v.rate.series[1]!.y.at(-1), last.sent)
  assert.match(v.rate.series[1]!.title, new RegExp(`sent ${last.sent}`))
  assert.ok(v.rate.maxY >= (last.sent ?? 0))
  assert.equal(v.e2e.series[2]!.y.at(-1), last.e2e_p99_ms)
  const logged = buildView(state, { ...viewOptions, logScale: true })
  assert.match(logged.e2e.label, /log10/)
  assert.ok(Math.abs(logged.e2e.series[2]!.y.at(-1)! - Math.log10(last.e2e_p99_ms!)) < 1e-9)
  assert.deepEqual(v.services.headers, ['service', 'cpu %', 'mem MB'])
  assert.equal(v.services.data.length, services.length)
  assert.match(v.fleet, /devices target 100 {2}active 100/)
  assert.match(v.fleet, /loss: at the end/)
  // at the end: loss and duplicates from the summary
  state.end(makeSummary('run-1', rows, e2e), [])
  const done = buildView(state, viewOptions)
  assert.match(done.header, /FINISHED/)
  assert.match(done.fleet, /lost 3 .*duplicates 1/)
  assert.deepEqual(Object.keys(panelTitles), ['header', 'rate', 'e2e', 'lag', 'lagSeconds', 'mirror', 'services', 'fleet', 'log'])
})

test('the fleet panel lists every gateway that fits, packed in columns; too many: the spread and the fewest active first', () => {
  const gw = (i: number, active: number): { gateway: string, active: number, registered: number } => ({ gateway: `gw-${String(i).padStart(2, '0')}`, active, registered: 40 })
  const few = [gw(1, 40), gw(2, 38), gw(3, 40)]
  const lines = gatewayLines(few, 60, 4)
  assert.equal(lines[0], '3 gateways (active/registered):')
  assert.equal(lines.length, 2, 'three short cells share one line of 60 columns')
  for (const g of few) assert.ok(lines[1]!.includes(`${g.gateway} ${g.active}/40`), lines[1])

  const many = Array.from({ length: 30 }, (_, i) => gw(i + 1, i === 17 ? 3 : i === 5 ? 12 : 40))
  const tight = gatewayLines(many, 38, 3)
  assert.equal(tight[0], '30 gateways, active 3 to 40, median 40')
  assert.equal(tight.length, 4, 'the summary line and the 3 lines given')
  assert.match(tight[3]!, /^ {2}\+\d+ more; fewest active first$/)
  const shown = tight.slice(1, 3).join(' ')
  assert.ok(shown.indexOf('gw-18 3/40') >= 0 && shown.indexOf('gw-18') < shown.indexOf('gw-06 12/40'), `the gateways behind come first: ${shown}`)
  const cellsShown = shown.match(/gw-\d\d/g)?.length ?? 0
  assert.equal(cellsShown, 4, 'two cells a line in 38 columns, on the two lines left')
  assert.equal(Number(/\+(\d+) more/.exec(tight[3]!)?.[1]), 30 - cellsShown, 'the count not shown is exact')
  for (const line of tight) assert.ok(line.length <= 38, `fits the panel: ${line}`)
})

test('chart tops are round and never 0', () => {
  assert.equal(niceMax(0), 1)
  assert.equal(niceMax(NaN), 1)
  assert.equal(niceMax(95), 200)
  assert.equal(niceMax(1000), 2000)
  assert.equal(niceMax(4), 5)
})

test('blessed\'s terminfo noise is recognised, ordinary errors are not', () => {
  assert.ok(isTerminfoNoise('Error on xterm-256color.Setulc:'))
  assert.ok(isTerminfoNoise('  var v, dyn = {}, stat = {}, stack = [], out = [];\\x1b[58::2::'))
  assert.ok(!isTerminfoNoise('sink-1: consumer crashed: connection refused'))
})

test('replay: the cursor starts on the last second with the summary; stepping back rebuilds the state as it was; play and speed', async t => {
  const parent = await tempDir(t)
  const { dir, rows } = await writeRun(parent, 'run-replay', { seed: 3, seconds: 20, e2eBaseMs: 10, e2eScaleMs: 5 })
  const run = await loadRun(dir)
  let changes = 0
  const cursor = new ReplayCursor(run, () => { changes++ })
  t.after(() => cursor.stop())
  assert.equal(cursor.total, rows.length)
  assert.equal(cursor.index, rows.length - 1)
  const end = cursor.state()
  assert.equal(end.live, false)
  assert.ok(end.summary !== undefined)
  assert.equal(end.sums.sent, rows.reduce((s, r) => s + (r.sent ?? 0), 0))
  assert.equal(end.info.plannedWorkloadMs, 20_000)
  cursor.step(-10)
  const back = cursor.state()
  assert.equal(back.latest?.t_s, rows[rows.length - 11]!.t_s)
  assert.equal(back.summary, undefined)
  assert.equal(back.live, true)
  assert.equal(back.sums.sent, rows.slice(0, rows.length - 10).reduce((s, r) => s + (r.sent ?? 0), 0))
  // only the events up to the cursor's second
  assert.ok(back.log.last().some(l => l.includes('baseline, "quoted"')))
  cursor.moveTo(0)
  assert.equal(cursor.state().log.last().some(l => l.includes('quoted')), false)
  assert.equal(cursor.view().speed, 1)
  cursor.faster(); cursor.faster()
  assert.equal(cursor.speed, 4)
  for (let i = 0; i < 20; i++) cursor.faster()
  assert.equal(cursor.speed, SPEEDS.at(-1))
  cursor.togglePlay()
  assert.equal(cursor.playing, true)
  await new Promise(resolve => setTimeout(resolve, 400))
  assert.ok(cursor.index > 5, `played forward (at ${cursor.index})`)
  await new Promise(resolve => setTimeout(resolve, 1500))
  assert.equal(cursor.index, rows.length - 1)
  assert.equal(cursor.playing, false, 'stops at the end')
  assert.ok(changes > 5)
})

test('follow: seconds and events appended to a run folder reach the state; the end of the run shows its summary', async t => {
  const parent = await tempDir(t)
  const dir = join(parent, 'run-follow')
  const meta = makeMeta('run-follow')
  const { rows, e2e } = makeRows({ seed: 4, seconds: 10, e2eBaseMs: 10, e2eScaleMs: 5 })
  const writer = await RunWriter.create(dir, meta, services)
  const follower = new RunFollower(dir, meta, services)
  t.after(() => follower.close())
  assert.equal(await follower.poll(), false)
  for (const r of rows.slice(0, 5)) writer.second(r)
  writer.event({ t_s: 3, kind: 'phase', source: 'workload', detail: 'baseline: 100 devices' })
  assert.equal(await follower.poll(), true)
  assert.equal(follower.state.rows.length, 5)
  assert.equal(follower.state.latest?.t_s, 4)
  assert.ok(follower.state.log.last().some(l => l.includes('baseline: 100 devices')))
  assert.equal(await follower.poll(), false)
  for (const r of rows.slice(5)) writer.second(r)
  const summary = makeSummary('run-follow', rows, e2e)
  await writer.finish({ ...meta, complete: true, endedAt: new Date().toISOString() }, summary, {})
  assert.equal(await follower.poll(), true)
  assert.equal(follower.state.rows.length, rows.length)
  assert.equal(follower.ended, true)
  assert.equal(follower.state.live, false)
  assert.equal(follower.state.summary?.lost, 3)
})

test('fleetlab run\'s outputs: the dashboard at a terminal unless --no-dashboard or --json, else the progress line', () => {
  const names = (o: Array<{ name: string }>): string[] => o.map(c => c.name)
  assert.deepEqual(names(withDefaultOutputs([], {}, true)), ['dashboard'])
  assert.deepEqual(names(withDefaultOutputs([], {}, false)), ['progress'])
  assert.deepEqual(names(withDefaultOutputs([], { dashboard: false }, true)), ['progress'])
  assert.deepEqual(names(withDefaultOutputs([], { json: true }, true)), ['progress'])
  assert.deepEqual(names(withDefaultOutputs([{ name: 'web', arg: ':0' }], {}, true)), ['dashboard', 'web'])
  assert.deepEqual(names(withDefaultOutputs([{ name: 'dashboard', arg: undefined }], {}, true)), ['dashboard'])
  assert.throws(() => withDefaultOutputs([{ name: 'dashboard', arg: undefined }], {}, false), /must be a terminal/)
  assert.throws(() => withDefaultOutputs([{ name: 'dashboard', arg: undefined }], { dashboard: false }, true), /choose one/)
})
