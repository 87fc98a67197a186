// Two-sample tests for `fleetlab compare`.
// - A whole-run percentile (what compare shows for latency, from the merged HDR histograms) is tested on the
//   records themselves: the difference of the two runs' q-quantiles over the McKean-Schrader standard error of
//   each, read from the distribution-free confidence interval of a quantile (the values at ranks
//   n q ± 1.96 sqrt(n q (1 - q))), plus the histograms' own resolution; a two-sided normal p.
// - A per-second metric (rates, lag, CPU, memory) is tested on its per-second samples: Mann-Whitney U (rank based,
//   no assumption about the shape) by default, Welch's t (unequal variances) where it fits: both samples of at
//   least 30 seconds and neither strongly skewed (|skewness| <= 1), where the mean is near normal.
// Neighbouring records and seconds of one run are correlated, so p-values are optimistic; compare says so.
import { errorFunction, gammaln, mean, sampleSkewness, sampleVariance } from 'simple-statistics'

export type TestName = 'mann-whitney' | 'welch' | 'quantile'

export interface TestResult {
  test: TestName
  /** U of the first sample (Mann-Whitney), t (Welch) or z (quantile). */
  statistic: number
  /** Two-sided p-value; null when a sample is too small to test. */
  p: number | null
  /** Welch's degrees of freedom. */
  df?: number
}

/** Average ranks (1-based) of the values in `all`, and the sizes of the tie groups. */
export function ranks (all: readonly number[]): { ranks: number[], ties: number[] } {
  const order = all.map((v, i) => [v, i] as const).sort((x, y) => x[0] - y[0])
  const out = new Array<number>(all.length)
  const ties: number[] = []
  for (let i = 0; i < order.length;) {
    let j = i
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++
    const avg = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) out[order[k]![1]] = avg
    if (j > i) ties.push(j - i + 1)
    i = j + 1
  }
  return { ranks: out, ties }
}

/**
 * Mann-Whitney U, two-sided, normal approximation with tie correction and (by default) continuity correction;
 * the same as scipy.stats.mannwhitneyu(a, b, method='asymptotic').
 */
export function mannWhitneyU (a: readonly number[], b: readonly number[], options: { continuity?: boolean } = {}): TestResult {
  const n1 = a.length
  const n2 = b.length
  if (n1 === 0 || n2 === 0) return { test: 'mann-whitney', statistic: Number.NaN, p: null }
  const { ranks: r, ties } = ranks([...a, ...b])
  let r1 = 0
  for (let i = 0; i < n1; i++) r1 += r[i]!
  const u1 = r1 - n1 * (n1 + 1) / 2
  const n = n1 + n2
  const mu = n1 * n2 / 2
  const tieTerm = ties.reduce((s, t) => s + (t ** 3 - t), 0)
  const variance = n1 * n2 / 12 * ((n + 1) - tieTerm / (n * (n - 1)))
  if (!(variance > 0)) return { test: 'mann-whitney', statistic: u1, p: 1 }
  const diff = Math.abs(u1 - mu) - (options.continuity === false ? 0 : 0.5)
  const z = Math.max(0, diff) / Math.sqrt(variance)
  return { test: 'mann-whitney', statistic: u1, p: Math.min(1, twoSidedNormal(z)) }
}

/** Two-sided normal tail 2 P(Z > z) = erfc(z / sqrt 2); simple-statistics' erf is good to 1.2e-7 (its table is not). */
function twoSidedNormal (z: number): number {
  return Math.max(0, 1 - errorFunction(z / Math.SQRT2))
}

/** Welch's unequal-variances t-test, two-sided (scipy.stats.ttest_ind(a, b, equal_var=False)). */
export function welchTTest (a: readonly number[], b: readonly number[]): TestResult {
  if (a.length < 2 || b.length < 2) return { test: 'welch', statistic: Number.NaN, p: null }
  const va = sampleVariance([...a]) / a.length
  const vb = sampleVariance([...b]) / b.length
  const diff = mean([...a]) - mean([...b])
  if (va + vb === 0) return { test: 'welch', statistic: diff === 0 ? 0 : Math.sign(diff) * Infinity, p: diff === 0 ? 1 : 0 }
  const t = diff / Math.sqrt(va + vb)
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1))
  return { test: 'welch', statistic: t, df, p: studentTTwoSided(t, df) }
}

/** Two-sided p of Student's t with df degrees of freedom: I_{df/(df+t^2)}(df/2, 1/2). */
export function studentTTwoSided (t: number, df: number): number {
  if (!Number.isFinite(t)) return 0
  return regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5)
}

/** I_x(a, b) by the continued fraction of Numerical Recipes §6.4 (modified Lentz). */
export function regularizedIncompleteBeta (x: number, a: number, b: number): number {
  if (x <= 0) return 0
  if (x >= 1) return 1
  const front = Math.exp(gammaln(a + b) - gammaln(a) - gammaln(b) + a * Math.log(x) + b * Math.log(1 - x))
  // the continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) otherwise
  if (x > (a + 1) / (a + b + 2)) return 1 - front * betaFraction(1 - x, b, a) / b
  return front * betaFraction(x, a, b) / a
}

function betaFraction (x: number, a: number, b: number): number {
  const tiny = 1e-300
  let c = 1
  let d = 1 - (a + b) * x / (a + 1)
  if (Math.abs(d) < tiny) d = tiny
  d = 1 / d
  let h = d
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m
    let aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
    d = 1 + aa * d; if (Math.abs(d) < tiny) d = tiny
    c = 1 + aa / c; if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    h *= d * c
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
    d = 1 + aa * d; if (Math.abs(d) < tiny) d = tiny
    c = 1 + aa / c; if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < 1e-14) break
  }
  return h
}

/** True when Welch's t fits both samples (see the top of this file). */
export function welchFits (a: readonly number[], b: readonly number[]): boolean {
  const symmetric = (s: readonly number[]): boolean => {
    if (sampleVariance([...s]) === 0) return false
    return Math.abs(sampleSkewness([...s])) <= 1
  }
  return a.length >= 30 && b.length >= 30 && symmetric(a) && symmetric(b)
}

/** The test that fits the two samples, run. */
export function compareSamples (a: readonly number[], b: readonly number[]): TestResult {
  return welchFits(a, b) ? welchTTest(a, b) : mannWhitneyU(a, b)
}

export const SIGNIFICANCE_LEVEL = 0.05

/** A run's records as a histogram (LatencyHistogram): how many, and the value at a percentile (0..100). */
export interface QuantileSource {
  readonly count: number
  readonly significantDigits: number
  percentile (p: number): number
}

const Z95 = 1.959963984540054

/**
 * The standard error of the q-quantile (0 < q < 1) of a histogram's records, McKean-Schrader: the distribution-free
 * 95 % interval of the quantile runs from the value at rank n q - 1.96 sqrt(n q (1 - q)) to the one at n q + ...;
 * its width over 2 x 1.96. Null below 2 records.
 */
export function quantileStandardError (h: QuantileSource, q: number): number | null {
  const n = h.count
  if (n < 2) return null
  const half = Z95 * Math.sqrt(n * q * (1 - q))
  const lo = Math.max(1, Math.floor(n * q - half))
  const hi = Math.min(n, Math.ceil(n * q + half))
  return (h.percentile(100 * hi / n) - h.percentile(100 * lo / n)) / (2 * Z95)
}

/**
 * Whether two runs' q-quantiles differ: z = (Q_b - Q_a) / sqrt(se_a^2 + se_b^2 + the quantization of both), the
 * quantization being a value's HDR resolution (value x 10^-digits) as a uniform error (width^2 / 12). Two-sided
 * normal p; null when a histogram has fewer than MIN_QUANTILE_RECORDS records or the tail rank is not reached.
 */
export function quantileTest (a: QuantileSource, b: QuantileSource, q: number): TestResult {
  if (!(q > 0 && q < 1)) throw new RangeError(`quantile must be within (0, 1), got ${q}`)
  const na = a.count
  const nb = b.count
  // at least ~10 records beyond the quantile on each side, or the interval is not there to read
  if (Math.min(na, nb) * Math.min(q, 1 - q) < 10) return { test: 'quantile', statistic: Number.NaN, p: null }
  const qa = a.percentile(100 * q)
  const qb = b.percentile(100 * q)
  const sa = quantileStandardError(a, q)!
  const sb = quantileStandardError(b, q)!
  const resolution = (v: number, digits: number): number => (Math.abs(v) * 10 ** -digits) ** 2 / 12
  const se = Math.sqrt(sa ** 2 + sb ** 2 + resolution(qa, a.significantDigits) + resolution(qb, b.significantDigits))
  const diff = qb - qa
  if (!(se > 0)) return { test: 'quantile', statistic: diff === 0 ? 0 : Math.sign(diff) * Infinity, p: diff === 0 ? 1 : 0 }
  const z = diff / se
  return { test: 'quantile', statistic: z, p: Math.min(1, twoSidedNormal(Math.abs(z))) }
}
