// Seeded randomness for the whole lab, so a run and a failing test can be replayed (docs/architecture.md, measurement rules).
// Two shapes of the same 32-bit mixing function (the MurmurHash3 finalizer, a bijection on uint32):
// - counter based: uniformAt(stream, k) is a pure function of a stream seed and a step number, so a device's values
//   do not depend on when (or whether) earlier steps were evaluated: state per sensor is one uint32 seed;
// - sequential: Prng (SplitMix32: a Weyl sequence through the mixer) for fleet-level draws (phases, jitter).

const GOLDEN = 0x9e3779b9

/** MurmurHash3 fmix32: every input bit affects every output bit. */
export function mix32 (x: number): number {
  x ^= x >>> 16
  x = Math.imul(x, 0x85ebca6b)
  x ^= x >>> 13
  x = Math.imul(x, 0xc2b2ae35)
  x ^= x >>> 16
  return x >>> 0
}

/** A stream seed from a run seed and ids (device index, object id, instance id, ...): independent streams. */
export function streamSeed (seed: number, ...ids: readonly number[]): number {
  let h = mix32((seed >>> 0) ^ 0x5bd1e995)
  for (const id of ids) h = mix32((h + Math.imul(GOLDEN, (id >>> 0) + 1)) >>> 0)
  return h
}

/** Uniform in [0, 1) for step `k` of `stream`. */
export function uniformAt (stream: number, k: number): number {
  // k may pass 2^32 in a long run: fold its high part in.
  const hi = Math.floor(k / 0x100000000)
  return mix32((stream ^ mix32((k >>> 0) + Math.imul(hi, GOLDEN))) >>> 0) / 0x100000000
}

/** SplitMix32: a seeded sequence of uint32 values. */
export class Prng {
  private state: number

  constructor (seed: number) {
    this.state = seed >>> 0
  }

  nextUint32 (): number {
    this.state = (this.state + GOLDEN) >>> 0
    return mix32(this.state)
  }

  /** Uniform in [0, 1). */
  next (): number {
    return this.nextUint32() / 0x100000000
  }

  /** Uniform in [min, max). */
  between (min: number, max: number): number {
    return min + (max - min) * this.next()
  }
}

/** A seed from the clock when the user gave none; printed so the run can be repeated. */
export function randomSeed (): number {
  return mix32((Date.now() ^ (process.pid << 16)) >>> 0) % 1_000_000_000
}

/** mulberry32: floats in [0, 1) from a seed; the fuzz tests' input generator (their fixed seeds pin its sequence). */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
