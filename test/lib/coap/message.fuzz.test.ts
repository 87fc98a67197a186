// 100,000 random and mutated datagrams through `decode`: only CoapMalformedError may come out, every failure class
// shows up, and whatever decodes re-encodes to the very same bytes (the wire format has one encoding per message).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Code } from '../../../lib/coap/codes.ts'
import { CoapMalformedError, coapMalformedReasons } from '../../../lib/coap/errors.ts'
import type { CoapMalformedReason } from '../../../lib/coap/errors.ts'
import { coapTypes, decode, encode } from '../../../lib/coap/message.ts'
import type { CoapOption } from '../../../lib/coap/message.ts'
import { prng } from '../../../lib/random.ts'


const SEED = Number(process.env.FLEETLAB_FUZZ_SEED ?? 0x5eed)
const DATAGRAMS = 100_000
const codes = [Code.EMPTY, Code.GET, Code.POST, Code.PUT, Code.DELETE, Code.CREATED, Code.CHANGED, Code.CONTENT, Code.NOT_FOUND, Code.INTERNAL_SERVER_ERROR]
const special = [0x00, 0x0d, 0x0e, 0x0f, 0xd0, 0xdd, 0xe0, 0xee, 0xf0, 0xff, 0x40, 0x20, 0xc0]

function validMessage (rnd: () => number): Buffer {
  const int = (n: number): number => Math.floor(rnd() * n)
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)))
  const code = codes[int(codes.length)]!
  if (code === Code.EMPTY) return encode({ type: coapTypes[int(4)]!, code, messageId: int(65536) })
  const options: CoapOption[] = []
  let number = 0
  for (let i = int(7); i > 0; i--) {
    const r = rnd()
    number += r < 0.5 ? int(13) : r < 0.85 ? 13 + int(256) : 269 + int(2000)
    if (number > 65535) break
    const l = rnd()
    options.push({ number, value: bytes(l < 0.7 ? int(13) : l < 0.95 ? 13 + int(60) : 269 + int(100)) })
  }
  return encode({
    type: coapTypes[int(4)]!, code, messageId: int(65536), token: bytes(int(9)), options,
    payload: rnd() < 0.5 ? bytes(1 + int(80)) : undefined,
  })
}

function mutate (rnd: () => number, wire: Buffer): Buffer {
  const int = (n: number): number => Math.floor(rnd() * n)
  const b = Buffer.from(wire)
  switch (int(7)) {
    case 0: { // bit flips
      for (let i = 1 + int(3); i > 0 && b.length > 0; i--) b[int(b.length)]! ^= 1 << int(8)
      return b
    }
    case 1: return b.subarray(0, int(b.length + 1)) // truncation
    case 2: return Buffer.concat([b, Buffer.from(Array.from({ length: 1 + int(20) }, () => int(256)))]) // extension
    case 3: { // a byte set to a value that means something to the parser
      if (b.length > 0) b[int(b.length)] = special[int(special.length)]!
      return b
    }
    case 4: { // one byte inserted or removed
      const at = int(b.length + 1)
      return rnd() < 0.5 ? Buffer.concat([b.subarray(0, at), Buffer.from([int(256)]), b.subarray(at)]) : Buffer.concat([b.subarray(0, at), b.subarray(at + 1)])
    }
    case 5: { // a random header on a valid body
      if (b.length > 0) b[0] = int(256)
      if (b.length > 1 && rnd() < 0.5) b[1] = int(256)
      return b
    }
    default: return Buffer.from(Array.from({ length: int(40) }, () => int(256))) // noise
  }
}

test(`${DATAGRAMS} random and mutated datagrams: only CoapMalformedError, every reason, canonical re-encoding (seed ${SEED})`, (t) => {
  const rnd = prng(SEED)
  const reasons = new Map<CoapMalformedReason, number>()
  let decoded = 0
  for (let i = 0; i < DATAGRAMS; i++) {
    const datagram = rnd() < 0.1 ? validMessage(rnd) : mutate(rnd, validMessage(rnd))
    let msg
    try {
      msg = decode(datagram)
    } catch (err) {
      if (!(err instanceof CoapMalformedError)) {
        assert.fail(`datagram #${i} ${datagram.toString('hex')} threw ${err instanceof Error ? err.stack : String(err)}`)
      }
      reasons.set(err.reason, (reasons.get(err.reason) ?? 0) + 1)
      continue
    }
    decoded++
    const again = encode(msg)
    if (!again.equals(datagram)) assert.fail(`datagram #${i} ${datagram.toString('hex')} re-encodes as ${again.toString('hex')}`)
  }
  t.diagnostic(`decoded ${decoded}; malformed by reason ${JSON.stringify(Object.fromEntries(reasons))}`)
  const decodeReasons = coapMalformedReasons.filter(r => r !== 'BAD_OPTION_VALUE')
  for (const reason of decodeReasons) assert.ok((reasons.get(reason) ?? 0) > 0, `reason ${reason} never observed: ${JSON.stringify([...reasons])}`)
  assert.ok(!reasons.has('BAD_OPTION_VALUE'), 'decode never judges option values')
  assert.ok(decoded > DATAGRAMS / 10, `only ${decoded} datagrams decoded`)
})
