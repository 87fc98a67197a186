/**
 * Operations per second of `fn` for a micro benchmark: a 300 ms warm-up, then batches of 1,000 calls
 * for `seconds`. Results are kept alive in a sink so the JIT cannot drop the calls.
 */
export function opsPerSecond (fn: (i: number) => unknown, seconds: number): number {
  let sink = 0
  const run = (ms: number): number => {
    const end = performance.now() + ms
    let n = 0
    while (performance.now() < end) {
      for (let i = 0; i < 1000; i++) if (fn(n + i) !== undefined) sink++
      n += 1000
    }
    return n
  }
  run(300)
  const start = performance.now()
  const n = run(seconds * 1000)
  if (sink < 0) console.log(sink)
  return n / ((performance.now() - start) / 1000)
}
