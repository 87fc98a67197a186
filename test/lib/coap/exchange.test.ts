import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  ACK_TIMEOUT_MS, DedupCache, EXCHANGE_LIFETIME_MS, MAX_TRANSMIT_SPAN_MS, MAX_TRANSMIT_WAIT_MS, MessageIdGenerator,
  RetransmissionTracker, TokenGenerator, tokenKey,
} from '../../../lib/coap/exchange.ts'

function fakeClock (start = 1_000_000): { now: () => number, advance: (ms: number) => number } {
  let t = start
  return { now: () => t, advance: ms => (t += ms) }
}

test('message ids start at a random point and wrap at 2^16', () => {
  const ids = new MessageIdGenerator(() => 0.99999)
  const first = ids.next()
  assert.equal(first, 0) // 65535 + 1 wraps
  assert.equal(ids.next(), 1)
  const seen = new Set<number>()
  const gen = new MessageIdGenerator()
  for (let i = 0; i < 65536; i++) seen.add(gen.next())
  assert.equal(seen.size, 65536)
})

test('tokens have the asked length and do not repeat', () => {
  for (const length of [0, 1, 2, 4, 8]) {
    const gen = new TokenGenerator(length)
    const a = gen.next()
    const b = gen.next()
    assert.equal(a.length, length)
    if (length > 0) assert.notDeepEqual(a, b)
  }
  const gen = new TokenGenerator(4)
  const keys = new Set<string>()
  for (let i = 0; i < 10_000; i++) keys.add(tokenKey(gen.next()))
  assert.equal(keys.size, 10_000)
  const long = new TokenGenerator(8, () => 0.5)
  assert.equal(long.next().subarray(0, 4).toString('hex'), '80808080')
  assert.throws(() => new TokenGenerator(9), RangeError)
})

test('a CON is retransmitted 4 times with doubling timeouts, then given up (RFC 7252 §4.2)', () => {
  const clock = fakeClock()
  const sent: Array<{ at: number, attempt: number }> = []
  const gaveUp: number[] = []
  const start = clock.now()
  // random() = 0: the first timeout is exactly ACK_TIMEOUT.
  const tracker = new RetransmissionTracker<string, string>({
    now: clock.now, random: () => 0, interval: false, tickMs: 10,
    retransmit: (_key, _exchange, attempt) => sent.push({ at: clock.now() - start, attempt }),
    giveUp: () => gaveUp.push(clock.now() - start),
  })
  tracker.add('a', 'datagram')
  for (let t = 0; t < 100_000; t += 10) tracker.tick(clock.advance(10))
  assert.deepEqual(sent.map(s => s.attempt), [1, 2, 3, 4])
  // 2, 2+4, 2+4+8, 2+4+8+16 s: within a slot or two of the schedule.
  const expected = [2000, 6000, 14000, 30000]
  sent.forEach((s, i) => assert.ok(s.at >= expected[i]! && s.at <= expected[i]! + 40, `retransmission ${i + 1} at ${s.at} ms`))
  assert.equal(gaveUp.length, 1)
  assert.ok(gaveUp[0]! >= 62_000 && gaveUp[0]! <= 62_040, `gave up at ${gaveUp[0]}`)
  assert.equal(tracker.size, 0)
})

test('the first timeout is random in [ACK_TIMEOUT, 1.5 ACK_TIMEOUT] and the last retransmission is within MAX_TRANSMIT_SPAN', () => {
  const clock = fakeClock()
  const last = new Map<number, number>()
  const firsts = new Map<number, number>()
  const gaveUp = new Map<number, number>()
  const start = clock.now()
  const tracker = new RetransmissionTracker<number, null>({
    now: clock.now, interval: false, tickMs: 50,
    retransmit: (key, _x, attempt) => {
      if (attempt === 1) firsts.set(key, clock.now() - start)
      last.set(key, clock.now() - start)
    },
    giveUp: key => gaveUp.set(key, clock.now() - start),
  })
  for (let i = 0; i < 1000; i++) tracker.add(i, null)
  for (let t = 0; t < MAX_TRANSMIT_WAIT_MS + 1000; t += 50) tracker.tick(clock.advance(50))
  assert.equal(gaveUp.size, 1000)
  const f = [...firsts.values()]
  assert.ok(Math.min(...f) >= ACK_TIMEOUT_MS && Math.max(...f) <= ACK_TIMEOUT_MS * 1.5 + 100)
  assert.ok(Math.max(...f) - Math.min(...f) > 500, 'first timeouts are spread')
  assert.ok(Math.max(...last.values()) <= MAX_TRANSMIT_SPAN_MS + 100)
  assert.ok(Math.max(...gaveUp.values()) <= MAX_TRANSMIT_WAIT_MS + 100)
})

test('an ACK settles the exchange: no more retransmissions, and the interval stops', async () => {
  const retransmitted: string[] = []
  const tracker = new RetransmissionTracker<string, number>({
    retransmit: key => retransmitted.push(key), giveUp: () => assert.fail('nothing is given up'), ackTimeoutMs: 30, tickMs: 5,
  })
  tracker.add('x', 1)
  tracker.add('y', 2)
  assert.equal(tracker.settle('x'), 1)
  assert.equal(tracker.settle('x'), undefined)
  await new Promise(resolve => setTimeout(resolve, 60))
  assert.deepEqual(retransmitted.filter(k => k === 'x'), [])
  assert.ok(retransmitted.includes('y'), 'the real interval retransmits')
  tracker.settle('y')
  assert.equal(tracker.size, 0)
  tracker.close()
})

test('one wheel serves 20,000 endpoints; a late tick catches up; a throwing callback does not lose state', () => {
  const clock = fakeClock()
  let count = 0
  const tracker = new RetransmissionTracker<number, null>({
    now: clock.now, random: () => 0, interval: false, maxRetransmit: 1,
    retransmit: key => { count++; if (key === 7) throw new Error('socket closed') },
    giveUp: () => {},
  })
  for (let i = 0; i < 20_000; i++) tracker.add(i, null)
  for (let i = 0; i < 20_000; i += 2) tracker.settle(i)
  // The event loop was blocked for 70 s (longer than the wheel's turn): one tick fires everything due.
  assert.throws(() => tracker.tick(clock.advance(2100)), /socket closed/)
  assert.equal(count, 10_000)
  assert.equal(tracker.size, 10_000)
  tracker.tick(clock.advance(70_000))
  assert.equal(tracker.size, 0)
})

test('the dedup cache remembers ids and responses for EXCHANGE_LIFETIME, bounded in size', () => {
  const clock = fakeClock()
  const cache = new DedupCache<string, Buffer>({ now: clock.now, maxEntries: 1000 })
  assert.equal(cache.add('127.0.0.1:5683:1'), true)
  assert.equal(cache.add('127.0.0.1:5683:1'), false)
  assert.equal(cache.response('127.0.0.1:5683:1'), undefined)
  cache.setResponse('127.0.0.1:5683:1', Buffer.from('ack'))
  assert.equal(cache.response('127.0.0.1:5683:1')?.toString(), 'ack')
  clock.advance(EXCHANGE_LIFETIME_MS - 1)
  assert.ok(cache.has('127.0.0.1:5683:1'))
  clock.advance(1)
  assert.ok(!cache.has('127.0.0.1:5683:1'))
  assert.equal(cache.add('127.0.0.1:5683:1'), true, 'an expired id is new again')

  for (let i = 0; i < 5000; i++) cache.add(`k${i}`)
  assert.equal(cache.size, 1000)
  assert.equal(cache.evicted, 4001)
  assert.ok(cache.has('k4999') && !cache.has('k0'))
  clock.advance(EXCHANGE_LIFETIME_MS)
  cache.add('fresh')
  assert.equal(cache.size, 1, 'expired ids are swept as new ones arrive')
})
