// Seeded random and mutated inputs for the codecs' "malformed input only ever throws Lwm2mFormatError" tests.
import assert from 'node:assert/strict'
import { Lwm2mFormatError } from '../../../lib/lwm2m/errors.ts'
import { prng } from '../../../lib/random.ts'

export { prng } from '../../../lib/random.ts'

/** `count` inputs: a quarter random bytes, the rest mutations (flip, truncate, insert, delete, splice) of the seeds. */
export function* fuzzInputs (seed: number, seeds: readonly Uint8Array[], count: number): Generator<Buffer> {
  const rnd = prng(seed)
  const int = (n: number): number => Math.floor(rnd() * n)
  for (let k = 0; k < count; k++) {
    if (seeds.length === 0 || k % 4 === 0) {
      const b = Buffer.allocUnsafe(int(48))
      for (let i = 0; i < b.length; i++) b[i] = int(256)
      yield b
      continue
    }
    let b = Buffer.from(seeds[int(seeds.length)]!)
    const edits = 1 + int(3)
    for (let e = 0; e < edits; e++) {
      const at = int(b.length + 1)
      switch (int(6)) {
        case 0: if (b.length > 0) b[Math.min(at, b.length - 1)]! ^= 1 << int(8); break
        case 1: b = b.subarray(0, at); break
        case 2: b = Buffer.concat([b.subarray(0, at), Buffer.from([int(256)]), b.subarray(at)]); break
        case 3: b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]); break
        case 4: if (b.length > 0) b[Math.min(at, b.length - 1)] = [0x00, 0xff, 0x7f, 0x80, 0x22, 0x2c][int(6)]!; break
        default: b = Buffer.concat([b.subarray(0, at), b.subarray(int(b.length + 1))])
      }
    }
    yield b
  }
}

/** Runs `fn` on every input; anything it throws must be an Lwm2mFormatError. Returns how many were rejected. */
export function expectOnlyFormatErrors (inputs: Iterable<Buffer>, fn: (input: Buffer) => unknown): number {
  let rejected = 0
  for (const input of inputs) {
    try {
      fn(input)
    } catch (err) {
      if (!(err instanceof Lwm2mFormatError)) {
        assert.fail(`input ${input.toString('hex')} threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
      }
      rejected++
    }
  }
  return rejected
}

export function hex (text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex')
}

/** assert.throws for an Lwm2mFormatError with this reason. */
export function throwsReason (fn: () => unknown, reason: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Lwm2mFormatError, `expected Lwm2mFormatError, got ${String(err)}`)
    assert.equal(err.reason, reason, err.message)
    if (message !== undefined) assert.match(err.message, message)
    return true
  })
}
