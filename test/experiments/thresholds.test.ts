import { test } from 'node:test'
import assert from 'node:assert/strict'
import { evaluateThresholds, parseThresholds, thresholdMetrics } from '../../experiments/thresholds.ts'

test('values are normalised: ms for latencies, fractions for ratios, numbers for counts', () => {
  const { thresholds, problems } = parseThresholds({
    'e2e.p99': '<500ms', 'e2e.max': '<=2s', 'lateness.p99': '< 10ms', loss: '==0', late: '<0.1%', 'rate.accuracy': '>99%',
    errors: '==0', 'lag.max': '<10_000', sent: ['>0', '<1000000'],
  })
  assert.deepEqual(problems, [])
  assert.deepEqual(thresholds.map(t => `${t.metric} ${t.op} ${t.value}`), [
    'e2e.p99 < 500', 'e2e.max <= 2000', 'lateness.p99 < 10', 'loss == 0', 'late < 0.001', 'rate.accuracy > 0.99',
    'errors == 0', 'lag.max < 10000', 'sent > 0', 'sent < 1000000',
  ])
  assert.equal(thresholds[0]!.source, 'e2e.p99 < 500ms')
})

test('unknown metrics name the known ones; bad conditions say what is expected', () => {
  const { problems } = parseThresholds({ p99: '<1s', 'e2e.p99': '<500', loss: 'small', errors: '<-1', 'e2e.p50': 5 })
  assert.deepEqual(problems.map(p => p.metric), ['p99', 'e2e.p99', 'loss', 'errors', 'e2e.p50'])
  assert.equal(problems[0]!.message, `unknown metric (known: ${Object.keys(thresholdMetrics).join(', ')})`)
  assert.match(problems[1]!.message, /with its unit/)
  assert.match(problems[2]!.message, /operators < <= > >= ==/)
  assert.match(problems[3]!.message, /non-negative number/)
  assert.match(problems[4]!.message, /expected a condition/)
})

test('evaluation: each threshold passes or fails; a metric without a value fails, saying so', () => {
  const { thresholds } = parseThresholds({ 'e2e.p99': '<500ms', loss: '==0', 'rate.accuracy': '>=99%', 'lag.max': '<100' })
  const results = evaluateThresholds(thresholds, { 'e2e.p99': 499.9, loss: 0.01, 'rate.accuracy': 0.99, 'lag.max': Number.NaN })
  assert.deepEqual(results, [
    { metric: 'e2e.p99', source: 'e2e.p99 < 500ms', value: 499.9, passed: true },
    { metric: 'loss', source: 'loss == 0', value: 0.01, passed: false },
    { metric: 'rate.accuracy', source: 'rate.accuracy >= 99%', value: 0.99, passed: true },
    { metric: 'lag.max', source: 'lag.max < 100', value: null, passed: false, note: 'not measured in this run' },
  ])
})
