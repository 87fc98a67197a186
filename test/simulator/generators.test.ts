import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createGenerator, defaultGenerators, parseCsvValues, parseGeneratorSpec } from '../../simulator/generators.ts'
import type { Generator } from '../../simulator/generators.ts'
import { streamSeed } from '../../lib/random.ts'

function series (g: Generator, stream: number, n: number): number[] {
  const out = [g.initial(stream)]
  for (let k = 1; k < n; k++) out.push(g.at(stream, k, out[k - 1]!))
  return out
}

test('every generator is deterministic for a seed and differs between seeds', () => {
  for (const spec of Object.values(defaultGenerators)) {
    const g = createGenerator(spec, 1)
    const a = series(g, streamSeed(1, 0, 3303, 0), 500)
    assert.deepEqual(series(createGenerator(spec, 1), streamSeed(1, 0, 3303, 0), 500), a, spec.kind)
    assert.notDeepEqual(series(g, streamSeed(2, 0, 3303, 0), 500), a, spec.kind)
    for (const v of a) assert.ok(v >= g.range[0] && v <= g.range[1], `${spec.kind}: ${v} outside ${g.range}`)
  }
})

test('random walk: bounded, steps at most `step`, and it moves at every step', () => {
  const g = createGenerator({ kind: 'walk', min: 0, max: 1, step: 0.3, start: 0.5 }, 1)
  const xs = series(g, 99, 10_000)
  assert.equal(xs[0], 0.5)
  for (let i = 1; i < xs.length; i++) {
    assert.ok(xs[i]! >= 0 && xs[i]! <= 1)
    assert.ok(Math.abs(xs[i]! - xs[i - 1]!) <= 0.3 + 1e-12)
    assert.notEqual(xs[i], xs[i - 1])
  }
  // it explores the range rather than sticking to one end
  assert.ok(Math.min(...xs) < 0.1 && Math.max(...xs) > 0.9)
})

test('sine: a diurnal cycle around the offset, noise within bounds, phase from the step period', () => {
  const g = createGenerator({ kind: 'sine', periodS: 86_400, amplitude: 4, offset: 21, noise: 0 }, 3600)
  // one step an hour: step 6 is a quarter of the day, the peak
  assert.ok(Math.abs(g.at(1, 6, 0) - 25) < 1e-9)
  assert.ok(Math.abs(g.at(1, 18, 0) - 17) < 1e-9)
  assert.ok(Math.abs(g.at(1, 24, 0) - 21) < 1e-9)
  const noisy = createGenerator({ kind: 'sine', periodS: 60, amplitude: 1, offset: 0, noise: 0.5, min: -1.2 }, 1)
  for (const v of series(noisy, 5, 2000)) assert.ok(v >= -1.2 && v <= 1.5)
})

test('CSV replay loops over the rows, each device from its own seeded row', () => {
  const values = [1, 2, 3, 4, 5]
  const g = createGenerator({ kind: 'csv', values }, 1)
  const xs = series(g, 1234, 12)
  const start = values.indexOf(xs[0]!)
  for (let k = 0; k < 12; k++) assert.equal(xs[k], values[(start + k) % 5])
  assert.deepEqual(g.range, [1, 5])
  const starts = new Set(Array.from({ length: 50 }, (_, i) => g.initial(streamSeed(1, i))))
  assert.ok(starts.size > 1, 'devices start on different rows')
})

test('CSV parsing: header by name or index, comments, separators, and errors naming the line', () => {
  assert.deepEqual(parseCsvValues('time,temp\n0,20.5\n1,21\n# note\n2,21.5\n', 'temp'), [20.5, 21, 21.5])
  assert.deepEqual(parseCsvValues('20;1\n21;2\n', 1), [1, 2])
  assert.deepEqual(parseCsvValues('7\n8\n'), [7, 8])
  assert.throws(() => parseCsvValues('a,b\n1,x\n', 'b'), /line 2: column 1 is not a number: "x"/)
  assert.throws(() => parseCsvValues('a,b\n1,2\n', 'c'), /no column named "c"/)
  assert.throws(() => parseCsvValues(''), /no values/)
})

test('generator flags: every problem at once; csv files read through the given reader', () => {
  assert.deepEqual(parseGeneratorSpec('walk:min=15,max=30,step=0.2'), { spec: { kind: 'walk', min: 15, max: 30, step: 0.2 }, problems: [] })
  const sine = parseGeneratorSpec('sine:period=12h,amplitude=3,offset=20,noise=0.1,phase-spread=1h')
  assert.deepEqual(sine.spec, { kind: 'sine', periodS: 43_200, amplitude: 3, offset: 20, noise: 0.1, phaseSpreadS: 3600 })
  const csv = parseGeneratorSpec('csv:file=t.csv,column=temp', () => 'temp\n1\n2\n')
  assert.deepEqual(csv.spec, { kind: 'csv', values: [1, 2], source: 't.csv' })
  assert.deepEqual(parseGeneratorSpec('walk:min=5,max=1,step=-1,colour=red').problems, [
    'walk: unknown parameter "colour" (allowed: min, max, step, start)',
    'walk: min=5 must be below max=1',
    'walk: step=-1 must be positive',
  ])
  assert.deepEqual(parseGeneratorSpec('noise').problems, ['unknown generator "noise" (choose walk, sine or csv)'])
  assert.match(parseGeneratorSpec('csv:file=missing.csv', () => { throw new Error('ENOENT') }).problems[0]!, /csv: missing.csv: ENOENT/)
})
