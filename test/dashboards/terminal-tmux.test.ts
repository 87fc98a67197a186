// The terminal dashboard in a real terminal (tmux): `fleetlab dashboard <run>` replays a run folder with a time
// cursor, keys and resizing; `fleetlab run` at a terminal shows the dashboard live, then gives the terminal back
// and prints the summary. What is checked is the text tmux shows, as a person would see it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { projectRoot } from '../../lib/home.ts'
import { panelTitles } from '../../dashboards/terminal/view.ts'
import { RunWriter } from '../../results/run-writer.ts'
import { makeMeta, makeRows, makeSummary, services, tempDir, writeRun } from '../results/fixtures.ts'
import { runDir, writeExperiment, onlyRun } from '../experiments/run/fixtures.ts'
import { TmuxSession } from './tmux.ts'

const bin = `node ${join(projectRoot, 'cli', 'bin.js')}`
const titles = Object.values(panelTitles)

function assertPanels (screen: string): void {
  for (const title of titles) assert.ok(screen.includes(title), `panel "${title}" on the screen:\n${screen}`)
  assert.doesNotMatch(screen, /Setulc|Error on xterm/, 'no terminfo noise')
}

test('fleetlab dashboard <run>: the replay shows every panel at the last second; arrows move the cursor, space plays, ? helps, resize re-lays out, q leaves', { timeout: 120_000 }, async t => {
  const parent = await tempDir(t)
  const { dir, rows } = await writeRun(parent, 'run-tmux', { seed: 5, seconds: 40, e2eBaseMs: 10, e2eScaleMs: 5 })
  const tmux = await TmuxSession.start(t, `${bin} dashboard ${dir}`)
  let screen = await tmux.waitFor(new RegExp(`cursor ${rows.length}/${rows.length}`))
  assertPanels(screen)
  assert.match(screen, /REPLAY/)
  assert.match(screen, /linear-ramp/)
  assert.match(screen, /lost 3/)
  await tmux.keys('Left', 'Left', 'Left')
  screen = await tmux.waitFor(new RegExp(`cursor ${rows.length - 3}/${rows.length}`))
  assert.match(screen, /loss: at the end/, 'before the end, loss is not known yet')
  await tmux.keys('+', '+')
  screen = await tmux.waitFor(/ 4x/)
  await tmux.keys('Space')
  await tmux.waitFor(new RegExp(`cursor ${rows.length}/${rows.length} ❚❚`), 10_000)
  await tmux.keys('?')
  screen = await tmux.waitFor(/move the time cursor/)
  await tmux.keys('x')
  await tmux.resize(70, 20)
  screen = await tmux.waitFor(/terminal too small: 70x20/)
  await tmux.resize(120, 40)
  screen = await tmux.waitFor(/cursor \d+\/\d+/)
  assertPanels(screen)
  await tmux.keys('q')
  screen = await tmux.waitFor(/\[exit 0\]/)
  assert.doesNotMatch(screen, /rate \/s: target/, 'the terminal is given back')
})

test('fleetlab dashboard without a run attaches to the run in progress, follows its seconds as they are written, and shows its end; q leaves it running', { timeout: 120_000 }, async t => {
  const runs = await tempDir(t)
  await writeRun(runs, '2026-01-01T00-00-00-finished-0001', { seed: 6, seconds: 5, e2eBaseMs: 10, e2eScaleMs: 5 })
  const id = '2026-01-01T00-00-01-following-0002'
  const meta = makeMeta(id)
  const { rows, e2e } = makeRows({ seed: 7, seconds: 30, e2eBaseMs: 10, e2eScaleMs: 5 })
  const writer = await RunWriter.create(join(runs, id), meta, services)
  for (const r of rows.slice(0, 5)) writer.second(r)
  const tmux = await TmuxSession.start(t, `${bin} dashboard --runs-dir ${runs}`)
  let screen = await tmux.waitFor(new RegExp(`LIVE  run ${id}`))
  assertPanels(screen)
  assert.match(screen, /elapsed 0:04/)
  for (const r of rows.slice(5, 15)) writer.second(r)
  writer.event({ t_s: 14, kind: 'autoscale', source: 'threshold', detail: 'scale-up 1 -> 2: lag 4,000 > 1,000' })
  screen = await tmux.waitFor(/elapsed 0:14/, 20_000)
  assert.match(screen, /scale-up 1 -> 2/)
  for (const r of rows.slice(15)) writer.second(r)
  await writer.finish({ ...meta, complete: true, endedAt: new Date().toISOString() }, makeSummary(id, rows, e2e), {})
  screen = await tmux.waitFor(/FINISHED/, 20_000)
  assert.match(screen, /lost 3/)
  await tmux.keys('q')
  await tmux.waitFor(/\[exit 0\]/)
})

test('fleetlab run at a terminal: the dashboard while it runs (LIVE, phases, values moving, a resize), p pauses, q then n keeps the run; then the summary on the restored terminal', { timeout: 300_000 }, async t => {
  const rd = await runDir(t, 'process')
  const file = await writeExperiment(rd.dir, 'tmux-live', {
    kind: 'linear', name: 'tmux-live', seed: 4,
    workload: { devices: { from: 0, to: 10 }, rate: '2/s', rampDuration: '2s', hold: '15s' },
    drain: '10s',
    thresholds: { 'e2e.p99': '<5s' },
  })
  const tmux = await TmuxSession.start(t, `cd ${rd.dir} && ${bin} run ${file} --runtime process --results-dir ${rd.runs}`)
  let screen = await tmux.waitFor(/LIVE/, 120_000)
  assertPanels(screen)
  screen = await tmux.waitFor(/phase (ramp|hold)/, 60_000)
  assert.match(screen, /tmux-live \(linear\)/)
  // the threshold gets its value once the first records are measured (a second or two into the workload), live
  screen = await tmux.waitFor(/✓ e2e\.p99 < 5s \(\d+(\.\d+)? ms\)/, 15_000)
  assert.match(screen, /LIVE/, 'the threshold live, with its value, while the run goes on')
  // the values move between two captures (elapsed, the charts)
  const elapsed = (text: string): string | undefined => /elapsed (\d+:\d+)/.exec(text)?.[1]
  const first = await tmux.screen()
  await new Promise(resolve => setTimeout(resolve, 2500))
  const second = await tmux.screen()
  assert.notEqual(elapsed(second), elapsed(first), 'elapsed moves')
  assert.notEqual(second, first)
  // resized while the run goes on: laid out again, still alive
  await tmux.resize(100, 30)
  // laid out again for 100 columns: the header's box ends at the last column, every panel is there
  screen = await tmux.waitFor(/^┌─ fleetlab ─*┐$/m)
  assert.equal(screen.split('\n')[0]!.length, 100)
  assertPanels(await tmux.waitFor(/mirror lag \(records\)[\s\S]*LIVE|LIVE[\s\S]*mirror lag \(records\)/))
  await tmux.resize(160, 48)
  await tmux.keys('p')
  await tmux.waitFor(/PAUSED/)
  await tmux.keys('p')
  await tmux.keys('q')
  await tmux.waitFor(/abort the run\? y\/n/)
  await tmux.keys('n')
  screen = await tmux.waitFor(/\[exit \d+\]/, 180_000)
  assert.match(screen, /\[exit 0\]/, screen)
  assert.doesNotMatch(screen, /rate \/s: target/, 'the dashboard is gone')
  assert.match(screen, /tmux-live/, 'the summary is printed')
  const run = await onlyRun(rd.runs)
  assert.equal(run.meta.complete, true)
  assert.ok(run.rows.length > 20)
})
