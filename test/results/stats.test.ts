// Known values: scipy.stats.mannwhitneyu's documented example (method='asymptotic', continuity correction),
// Student's t quantiles from the tables, Welch's t/df by hand and its p by numeric integration of the t density;
// the quantile test against normal theory and by its error rates on seeded samples.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Prng } from '../../lib/random.ts'
import { LatencyHistogram } from '../../lib/metrics/histogram.ts'
import { SIGNIFICANCE_LEVEL, compareSamples, mannWhitneyU, quantileStandardError, quantileTest, ranks, regularizedIncompleteBeta, studentTTwoSided, welchFits, welchTTest } from '../../results/stats.ts'

const close = (actual: number | null, expected: number, tol: number, what = ''): void => {
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `${what} ${actual} vs ${expected} (±${tol})`)
}

test('ranks average ties and report the tie groups', () => {
  assert.deepEqual(ranks([10, 20, 20, 5, 20]), { ranks: [2, 4, 4, 1, 4], ties: [3] })
  assert.deepEqual(ranks([]), { ranks: [], ties: [] })
})

test('Mann-Whitney U matches scipy (asymptotic, continuity corrected)', () => {
  // scipy docs: males vs females -> U = 17, asymptotic p = 0.11134688653314041
  const r = mannWhitneyU([19, 22, 16, 29, 24], [20, 11, 17, 12])
  assert.equal(r.test, 'mann-whitney')
  assert.equal(r.statistic, 17)
  close(r.p, 0.11134688653314041, 1e-7, 'p')
  // with ties: U = 3.5, tie-corrected sigma, p = erfc(z / sqrt 2) = 0.0129998544
  const tied = mannWhitneyU([1, 2, 2, 3, 3, 3, 4], [3, 4, 4, 5, 5, 6])
  assert.equal(tied.statistic, 3.5)
  close(tied.p, 0.012999854364387314, 1e-7, 'tied p')
  // symmetric in its samples (U of the other side)
  close(mannWhitneyU([20, 11, 17, 12], [19, 22, 16, 29, 24]).p, 0.11134688653314041, 1e-7)
  // everything tied: no evidence of a difference
  assert.equal(mannWhitneyU([1, 1, 1], [1, 1]).p, 1)
  assert.equal(mannWhitneyU([], [1]).p, null)
})

test('Student t two-sided tail matches the tables; the incomplete beta its closed forms', () => {
  close(studentTTwoSided(2.228138851986274, 10), 0.05, 1e-9, 't(0.975, 10)')
  close(studentTTwoSided(4.032142983557536, 5), 0.01, 1e-9, 't(0.995, 5)')
  close(studentTTwoSided(12.706204736174698, 1), 0.05, 1e-9, 't(0.975, 1)')
  close(studentTTwoSided(0, 7), 1, 1e-12)
  // I_x(1, 1) = x; I_x(2, 1) = x^2
  close(regularizedIncompleteBeta(0.3, 1, 1), 0.3, 1e-12)
  close(regularizedIncompleteBeta(0.7, 2, 1), 0.49, 1e-12)
})

test("Welch's t: statistic, df and p", () => {
  const r = welchTTest([1, 2, 3, 4, 5], [2, 4, 6, 8, 10, 12])
  close(r.statistic, -2.3763541031440183, 1e-12, 't')
  close(r.df ?? null, 6.9722557297949335, 1e-9, 'df')
  close(r.p, 0.049284338206763256, 1e-9, 'p')
  assert.equal(welchTTest([3, 3], [3, 3]).p, 1)
  assert.equal(welchTTest([3, 3], [4, 4]).p, 0)
  assert.equal(welchTTest([1], [1, 2]).p, null)
})

test('Welch is used for long, symmetric samples; Mann-Whitney otherwise', () => {
  const prng = new Prng(11)
  const uniform = (n: number, lo: number): number[] => Array.from({ length: n }, () => lo + prng.next())
  const skewed = (n: number): number[] => Array.from({ length: n }, () => (-Math.log(1 - prng.next())) ** 2)
  assert.equal(welchFits(uniform(40, 0), uniform(40, 0)), true)
  assert.equal(compareSamples(uniform(40, 0), uniform(40, 0.5)).test, 'welch')
  assert.equal(compareSamples(uniform(20, 0), uniform(20, 0)).test, 'mann-whitney', 'too short')
  assert.equal(compareSamples(skewed(60), skewed(60)).test, 'mann-whitney', 'skewed')
  assert.equal(compareSamples(Array(40).fill(1), uniform(40, 0)).test, 'mann-whitney', 'constant')
})

test('quantile test: the McKean-Schrader standard error matches the normal theory; same distributions are significant about 5 % of the time, a shift of four errors nearly always', () => {
  const prng = new Prng(7)
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - prng.next())) * Math.cos(2 * Math.PI * prng.next())
  const histogram = (n: number, shiftMs = 0): LatencyHistogram => {
    const h = new LatencyHistogram()
    for (let i = 0; i < n; i++) h.record(10 + shiftMs + normal())
    return h
  }
  const n = 10_000
  // the median of N(10, 1): standard error sqrt(pi / 2) / sqrt(n)
  const se = quantileStandardError(histogram(n), 0.5)!
  const theory = Math.sqrt(Math.PI / 2) / Math.sqrt(n)
  assert.ok(Math.abs(se / theory - 1) < 0.25, `se ${se} vs ${theory}`)
  let falsePositives = 0
  let detected = 0
  const trials = 100
  for (let i = 0; i < trials; i++) {
    const a = histogram(n)
    if (quantileTest(a, histogram(n), 0.99).p! < SIGNIFICANCE_LEVEL) falsePositives++
    // p99 of N(0, 1) over 10,000 records has a standard error of 0.037 ms, 0.053 ms for the difference of two runs:
    // a shift of 0.2 ms is about 4 of them
    if (quantileTest(a, histogram(n, 0.2), 0.99).p! < SIGNIFICANCE_LEVEL) detected++
  }
  assert.ok(falsePositives <= 12, `${falsePositives} of ${trials} same-distribution pairs significant`)
  assert.ok(detected >= 80, `${detected} of ${trials} shifted pairs detected`)
  // too few records beyond the quantile: no test
  assert.equal(quantileTest(histogram(500), histogram(500), 0.99).p, null)
  assert.throws(() => quantileTest(histogram(10), histogram(10), 1), /within \(0, 1\)/)
})
