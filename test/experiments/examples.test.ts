// Every example file loads, validates and makes a workload of a sensible length.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot } from '../../lib/home.ts'
import { loadExperiment } from '../../experiments/index.ts'

const dir = join(projectRoot, 'experiments', 'examples')
const files = readdirSync(dir).filter(f => /\.(ts|json|ya?ml)$/.test(f))

test('the examples cover every kind and every format', async () => {
  const loaded = await Promise.all(files.map(f => loadExperiment(join(dir, f))))
  assert.deepEqual(new Set(loaded.map(l => l.experiment.kind)), new Set(['linear', 'burst', 'step', 'replay', 'capacity']))
  assert.deepEqual(new Set(loaded.map(l => l.format)), new Set(['ts', 'json', 'yaml']))
})

for (const f of files) {
  test(`${f} loads and sizes its workload for a laptop`, async () => {
    const { experiment } = await loadExperiment(join(dir, f))
    const w = experiment.createWorkload()
    if (w.durationMs !== undefined) assert.ok(w.durationMs > 0 && w.durationMs <= 10 * 60_000, `${w.durationMs} ms`)
    for (let t = 0; t < (w.durationMs ?? 60_000); t += 1000) {
      const p = w.at(t)
      assert.ok(p.devices <= 10_000 && p.devices * p.ratePerDevice <= 10_000, `${f} at ${t} ms: ${JSON.stringify(p)}`)
    }
  })
}

test('quickstart finishes in under 2 minutes with a 25 s platform start and passes on a healthy run', async () => {
  const { experiment } = await loadExperiment(join(dir, 'quickstart.ts'))
  const w = experiment.createWorkload()
  assert.ok(25_000 + w.durationMs! + experiment.config.drainMs <= 100_000)
  assert.deepEqual(experiment.config.thresholds.map(t => t.source), ['e2e.p99 < 1s', 'loss == 0'])
})
