// Bad input at the LWM2M server (issue 3 "Bad input"): 100 virtual devices of the simulator register, are
// auto-observed and notify twice a second (traced SenML CBOR) while a separate sender fires 100,000 random and mutated
// datagrams at the server's port from four source sockets on three loopback addresses: noise, truncated headers, bad
// options, reserved codes and token lengths, Register and Update with wrong parameters and payload formats, unknown
// registration ids, stray notifications with garbage payloads from unregistered addresses, garbage payloads in an
// observation that exists, and mutated copies of the devices' own datagrams (captured at their sockets).
// Nothing the sender sends may take over a device's registration (a valid Register with its endpoint name or an
// Update of its id from another address is a legitimate move, not bad input): such mutants are replaced by noise.
// The server must keep serving, lose no notification, count each malformed datagram under the reason lib/coap gives
// it, and keep its memory flat (heap after a forced GC, from the 10 % point to the end).
//   FLEETLAB_FUZZ_SEED=<n> replays another sequence; FLEETLAB_DEBUG=1 prints the server's counters.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import type { Socket } from 'node:dgram'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import {
  Code, ContentFormat as CF, CoapMalformedError, OptionNumber, decode, encode, encodeEmpty, formatCode, isRequestCode, optionValues,
  stringOption, uintOption,
} from '../../../lib/coap/index.ts'
import type { CoapOption, CoapType } from '../../../lib/coap/index.ts'
import { prng } from '../../../lib/random.ts'
import { sleep } from '../../../lib/time.ts'
import type { Notification } from '../../../platform/lwm2m-server/observations.ts'
import { defaultDriverContext } from '../../../simulator/driver.ts'
import { Fleet, endpointName } from '../../../simulator/fleet.ts'
import { uniqueName } from '../../helpers.ts'
import { fuzzInputs } from '../../lib/lwm2m/fuzz.ts'
import { startDevice, startServer, until } from './helpers.ts'

const SEED = Number(process.env.FLEETLAB_FUZZ_SEED ?? 0xf022)
const DATAGRAMS = 100_000
/** The sender's pace: DATAGRAMS spread over this long (4,000/s), and a hard stop at twice that. */
const FUZZ_MS = 25_000
const DEVICES = 100
const RATE_PER_S = 2
const HEAP_GROWTH_MAX = 20 << 20
const OBSERVED = '/3303/0/5700'

/** Forced garbage collection: global.gc under --expose-gc, else the same function exposed at run time. */
function collector (): () => void {
  const existing = (globalThis as { gc?: () => void }).gc
  if (existing !== undefined) return existing
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

async function bound (address: string): Promise<Socket> {
  const s = createSocket('udp4')
  await new Promise<void>(resolve => s.bind(0, address, () => resolve()))
  return s
}

/** What the server is expected to count for `buf`: lib/coap's reason, EMPTY_NON, or nothing (a CoAP message). */
function malformedReason (buf: Buffer): string | undefined {
  try {
    const m = decode(buf)
    return m.code === 0 && m.type === 'NON' ? 'EMPTY_NON' : undefined
  } catch (err) {
    return err instanceof CoapMalformedError ? err.reason : 'UNKNOWN'
  }
}

test(`${DATAGRAMS} random and mutated datagrams while ${DEVICES} devices notify: served, no notification lost, counted by reason, flat memory (seed ${SEED})`, { timeout: 120_000 }, async t => {
  const gc = collector()
  const heapAfterGc = (): number => { gc(); gc(); return process.memoryUsage().heapUsed }
  const rnd = prng(SEED)
  const int = (n: number): number => Math.floor(rnd() * n)
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)))

  const server = await startServer(t, { autoObserve: [OBSERVED], requestTimeoutMs: 5000 })
  const port = server.address().port

  // ---- the fleet, its datagrams captured for mutation, its notifications checked per device ----
  const prefix = `${uniqueName('fz')}-`
  const names = Array.from({ length: DEVICES }, (_, i) => endpointName(prefix, i, DEVICES))
  const captured: Buffer[] = []
  let sends = 0
  const ctx = {
    ...defaultDriverContext(SEED),
    createSocket: (): Socket => {
      const s = createSocket('udp4')
      const send = s.send.bind(s) as (buf: Buffer) => void
      // the devices' sockets are connected: send(buf) alone; the registrations are kept, then one datagram in 16
      s.send = ((buf: Buffer) => {
        if (sends++ < DEVICES || (sends & 15) === 0) captured[captured.length < 256 ? captured.length : (sends >>> 4) & 255] = Buffer.from(buf)
        send(buf)
      }) as unknown as Socket['send']
      return s
    },
  }
  const fleet = new Fleet({
    protocol: 'lwm2m',
    driver: { server: { host: '127.0.0.1', port }, lifetimeS: 30, ratePerS: RATE_PER_S, format: CF.SENML_CBOR as 112, objects: [{ objectId: 3303, instances: 1 }] },
    count: DEVICES, endpointPrefix: prefix, placement: { firstAddress: '127.0.0.1', perAddress: 10_000 }, registrationRate: 200, stopTimeoutMs: 5000, seed: SEED,
  }, ctx)
  let notificationsSent = 0
  fleet.events.on('counter', (name: string, v: number) => { if (name === 'lwm2m.notify.sent') notificationsSent += v })
  let fleetStopped = false
  t.after(async () => { if (!fleetStopped) await fleet.stop() })
  const fleetNames = new Set(names)
  const seqs = new Map<string, Set<number>>(names.map(n => [n, new Set()]))
  let received = 0
  let duplicates = 0
  let wrongTrace = 0
  server.on('notification', (n: Notification) => {
    const ep = n.observation.endpoint
    if (!fleetNames.has(ep)) return
    received++
    if (n.trace === undefined || n.trace.deviceId !== ep) { wrongTrace++; return }
    const s = seqs.get(ep)!
    if (s.has(n.trace.seq)) duplicates++
    s.add(n.trace.seq)
  })
  fleet.start()
  await fleet.allRegistered(20_000)
  await until(`${DEVICES} auto-observations`, () => server.observations().filter(o => fleetNames.has(o.endpoint)).length === DEVICES, 20_000)

  // ---- the sender's own devices: one observed (garbage payloads reach the decoder), one to send bad Updates for ----
  const observedDev = await startDevice(t, server, { links: '</1/0>,</3/0>,</3303/0>' })
  const plainDev = await startDevice(t, server, { links: '</1/0>,</3/0>' })
  for (const d of [observedDev, plainDev]) assert.equal(formatCode((await d.register()).code), '2.01')
  await until('the sender\'s device observed', () => observedDev.observers.has(OBSERVED))
  const protectedNames = new Set([...names, observedDev.endpoint, plainDev.endpoint])
  const senders = [await bound('127.0.0.1'), await bound('127.0.0.1'), await bound('127.0.0.2'), await bound('127.0.0.3')]
  let replies = 0
  for (const s of senders) {
    s.on('message', () => { replies++ })
    t.after(() => new Promise<void>(resolve => s.close(() => resolve())))
  }

  // ---- datagram makers ----
  const request = (code: number, path: string[], query: string[], o: { format?: number, payload?: Buffer, type?: CoapType } = {}): Buffer => {
    const options: CoapOption[] = [...path.map(p => stringOption(OptionNumber.URI_PATH, p)), ...query.map(q => stringOption(OptionNumber.URI_QUERY, q))]
    if (o.format !== undefined) options.push(uintOption(OptionNumber.CONTENT_FORMAT, o.format))
    return encode({ type: o.type ?? pick(['CON', 'NON'] as const), code, messageId: int(65536), token: bytes(int(9)), options, payload: o.payload })
  }
  const garbage = (): Buffer => pick([
    () => bytes(1 + int(60)), () => Buffer.from('[{"bn":"/3303/0/","n":"5700","v":'), () => Buffer.from('{"not":"senml"}'),
    () => Buffer.from([0x9f, 0xa2, 0x21, 0x65]), () => Buffer.from('</3/0>,</3303/0>'), () => Buffer.from('\u0001\u0002\u00ff'),
  ])()
  const badLinks = (): Buffer => Buffer.from(pick(['<<</3/0>', '</3/0', '</3/0>;ver=', '</a/b>', '</3/0/0/0/0>', '</>;rt="oma.lwm2m";ct=abc', '\u00ff\u00fe', '</3/70000>']))
  const liveId = (id: string): boolean => server.registrations.byId(id) !== undefined
  const randomId = (): string => { for (;;) { const id = bytes(1 + int(8)).toString(pick(['hex', 'base64url', 'latin1'] as const)); if (!liveId(id)) return id } }
  const header = (first: number, code: number, rest: Buffer = Buffer.alloc(0)): Buffer =>
    Buffer.concat([Buffer.from([first, code, int(256), int(256)]), rest])
  const makers: Array<[kind: string, weight: number, make: () => Buffer]> = [
    ['noise', 10, () => bytes(int(41))],
    ['truncated', 8, () => { // a Register cut inside its header, token or options
      const full = request(Code.POST, ['rd'], [`ep=${prefix}x`, 'lt=60'], { format: 40, payload: Buffer.from('</1/0>') })
      return full.subarray(0, int(Math.min(full.length, 30)))
    }],
    ['bad-option', 10, () => pick([
      () => header(0x40, Code.GET, Buffer.from([0xf1, 0x00])), // delta nibble 15
      () => header(0x40, Code.POST, Buffer.from([0xbf, 0x72, 0x64])), // length nibble 15
      () => header(0x40, Code.GET, Buffer.from([0xd0])), // extended delta cut off
      () => header(0x40, Code.GET, Buffer.from([0xbd])), // extended length cut off
      () => header(0x40, Code.GET, Buffer.from([0xb5, 0x72, 0x64])), // value longer than the datagram
      () => header(0x40, Code.GET, Buffer.from([0xe0, 0xff, 0xff, 0xe0, 0xff, 0xff])), // option number past 65535
      () => header(0x40, Code.POST, Buffer.from([0xb2, 0x72, 0x64, 0xff])), // payload marker at the end
    ])()],
    ['bad-header', 10, () => pick([
      () => header(pick([0x00, 0x80, 0xc0]) | int(16), Code.GET), // version 0, 2, 3
      () => header(0x49 + int(7), Code.POST, bytes(16)), // token length 9-15
      () => header(0x40, pick([0x20, 0x27, 0xc0, 0xe5, 0xff]), bytes(4)), // reserved code classes 1, 6, 7
      () => header(0x40 | (int(4) << 4), 0, bytes(1 + int(4))), // Empty with bytes after the header
      () => header(0x50, 0), // Empty NON
      () => encodeEmpty('CON', int(65536)), // ping
    ])()],
    ['bad-register', 12, () => { // wrong parameters and payload formats (endpoint names no device uses)
      const q = [pick([`ep=${prefix}reg${int(4)}`, 'ep=', 'ep'])]
      if (rnd() < 0.5) q.push(`lt=${pick(['60', '0', '-5', 'abc', '99999999999', ''])}`)
      if (rnd() < 0.5) q.push(`b=${pick(['U', 'X', 'UU', '', 'Q'])}`)
      if (rnd() < 0.5) q.push(`lwm2m=${pick(['1.1', '2.0', 'one', '1'])}`)
      const payload = pick([undefined, garbage(), badLinks(), Buffer.from('{"objects":[1,3]}')])
      const format = pick([undefined, 40, 50, 60, 112, 0])
      return request(Code.POST, ['rd'], q, { ...(format !== undefined ? { format } : {}), ...(payload !== undefined ? { payload } : {}) })
    }],
    ['unknown-registration', 8, () => rnd() < 0.8
      ? request(pick([Code.POST, Code.DELETE]), ['rd', randomId()], rnd() < 0.5 ? ['lt=120'] : [])
      : request(Code.POST, ['rd', randomId(), 'x'], [])], // a path too deep for the registration interface
    ['other', 6, () => pick([ // other requests, stray empty and response messages
      () => request(Code.GET, ['3', '0'], []), () => request(Code.PUT, ['rd'], []), () => request(Code.POST, ['bs'], ['ep=x']),
      () => request(Code.FETCH, ['rd'], [], { format: 110, payload: garbage() }), () => encodeEmpty(pick(['ACK', 'RST'] as const), int(65536)),
      () => encode({ type: 'ACK', code: Code.CONTENT, messageId: int(65536), token: bytes(int(9)), payload: garbage() }),
    ])()],
    ['stray-notification', 10, () => encode({ // notifications nobody asked for, garbage payloads
      type: pick(['NON', 'CON'] as const), code: pick([Code.CONTENT, Code.CONTENT, Code.CHANGED, Code.NOT_FOUND]), messageId: int(65536), token: bytes(int(9)),
      options: [uintOption(OptionNumber.OBSERVE, int(1 << 24)), uintOption(OptionNumber.CONTENT_FORMAT, pick([CF.SENML_JSON, CF.SENML_CBOR, CF.LWM2M_TLV, 0, 60]))],
      payload: garbage(),
    })],
  ]
  const totalWeight = makers.reduce((s, [, w]) => s + w, 0)
  /** A Register naming a protected endpoint, or an Update / De-register of its registration, from the sender. */
  const hijacks = (buf: Buffer): boolean => {
    let m
    try { m = decode(buf) } catch { return false }
    if (!isRequestCode(m.code)) return false
    const path = optionValues(m, OptionNumber.URI_PATH).map(v => v.toString('utf8'))
    if (path[0] !== 'rd') return false
    if (path.length === 2) return [...protectedNames].some(n => server.registration(n)?.id === path[1])
    return optionValues(m, OptionNumber.URI_QUERY).some(v => { const q = v.toString('utf8'); return q.startsWith('ep=') && protectedNames.has(q.slice(3)) })
  }

  // ---- the sender ----
  const expected = new Map<string, number>()
  const kinds = new Map<string, number>()
  let sent = 0
  let replaced = 0
  let observeSeq = 1 << 20
  const fire = (buf: Buffer, from: Socket, kind: string): void => {
    const reason = malformedReason(buf)
    if (reason !== undefined) expected.set(reason, (expected.get(reason) ?? 0) + 1)
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
    from.send(buf, port, '127.0.0.1')
    sent++
  }
  const fireOne = (mutants: Generator<Buffer>): void => {
    const r = rnd() * 100
    if (r < 5) { // garbage in the sender's own observation: it reaches the payload decoder
      const o = observedDev.observers.get(OBSERVED)
      if (o !== undefined) {
        return fire(encode({ type: 'NON', code: Code.CONTENT, messageId: int(65536), token: o.token,
          options: [uintOption(OptionNumber.OBSERVE, ++observeSeq), uintOption(OptionNumber.CONTENT_FORMAT, pick([CF.SENML_JSON, CF.SENML_CBOR, CF.LWM2M_TLV, 0]))],
          payload: garbage() }), observedDev.socket, 'garbage-notification')
      }
    } else if (r < 10) { // Update of the sender's own registrations: always a bad lifetime or binding, a bad payload or none
      const d = pick([observedDev, plainDev])
      const q = [rnd() < 0.5 ? `lt=${pick(['0', 'x', '-1', ''])}` : `b=${pick(['Z', 'UU', ''])}`]
      return fire(request(Code.POST, ['rd', d.registrationId], q, rnd() < 0.5 ? {} : { format: pick([40, 40, 110, 50]), payload: rnd() < 0.5 ? badLinks() : garbage() }), d.socket, 'bad-update')
    } else if (r < 25) {
      const buf = mutants.next().value!
      if (!hijacks(buf)) return fire(buf, pick(senders), 'mutated-device-datagram')
      replaced++
      return fire(bytes(int(41)), pick(senders), 'noise')
    }
    let w = rnd() * totalWeight
    const [kind, , make] = makers.find(([, weight]) => (w -= weight) < 0) ?? makers[0]!
    // stray notifications come from the addresses no device uses
    fire(make(), kind === 'stray-notification' ? pick(senders.slice(2)) : pick(senders), kind)
  }

  const received0 = server.snapshot().counters['lwm2m.coap.received'] ?? 0
  let heapAt10: number | undefined
  let tick = 0
  const started = performance.now()
  while (sent < DATAGRAMS && performance.now() - started < 2 * FUZZ_MS) {
    const due = Math.min(DATAGRAMS, Math.ceil((performance.now() - started) * DATAGRAMS / FUZZ_MS))
    const mutants = fuzzInputs(SEED + tick++, captured, due - sent)
    while (sent < due) fireOne(mutants)
    if (heapAt10 === undefined && sent >= DATAGRAMS / 10) heapAt10 = heapAfterGc()
    await sleep(5)
  }
  const fuzzSeconds = (performance.now() - started) / 1000
  assert.equal(sent, DATAGRAMS, `only ${sent} datagrams sent in ${fuzzSeconds.toFixed(1)} s`)
  await until('the server to read every datagram', () => (server.snapshot().counters['lwm2m.coap.received'] ?? 0) - received0 >= sent, 5000).catch(() => {})
  await sleep(200)
  const heapAtEnd = heapAfterGc()

  // ---- still serving: a fresh device registers and answers a read ----
  const fresh = await startDevice(t, server)
  assert.equal(formatCode((await fresh.register()).code), '2.01')
  const read = await server.read(fresh.endpoint, '/3/0', { format: CF.LWM2M_TLV })
  assert.equal(read.code, '2.05', `read of a fresh device: ${read.outcome} ${read.error ?? ''}`)

  // ---- no notification lost: every device's sequence from 0 without a gap, as many as the fleet sent ----
  const stopped = await fleet.stop()
  fleetStopped = true
  await until('the last notifications', () => received >= notificationsSent, 5000).catch(() => {})
  const c = server.snapshot().counters
  const diag = {
    seconds: +fuzzSeconds.toFixed(1), kinds: Object.fromEntries(kinds), replaced, replies, notificationsSent, received,
    expectedMalformed: Object.fromEntries(expected), heapMb: [heapAt10, heapAtEnd].map(h => +((h ?? 0) / 2 ** 20).toFixed(1)),
  }
  t.diagnostic(JSON.stringify(diag))
  if (process.env.FLEETLAB_DEBUG === '1') console.log(c)
  assert.equal(stopped.unclean, 0)
  assert.equal(wrongTrace, 0, 'notifications of the fleet without their own trace')
  assert.equal(duplicates, 0)
  for (const [ep, s] of seqs) {
    let max = -1
    for (const q of s) if (q > max) max = q
    assert.equal(max + 1, s.size, `${ep}: received ${s.size} distinct sequence numbers up to ${max}: a gap`)
    assert.ok(s.size >= 2 * RATE_PER_S, `${ep}: only ${s.size} notifications`)
  }
  assert.equal(received, notificationsSent, `the fleet sent ${notificationsSent} notifications, the server received ${received}`)

  // ---- malformed datagrams counted by reason, as lib/coap classifies what was sent ----
  const counted = Object.entries(c).filter(([k]) => k.startsWith('lwm2m.malformed.'))
  assert.ok(counted.filter(([, v]) => v > 0).length >= 6, `reasons: ${JSON.stringify(counted)}`)
  let countedSum = 0
  let expectedSum = 0
  for (const [reason, n] of expected) {
    const got = c[`lwm2m.malformed.${reason}`] ?? 0
    assert.ok(got <= n && got >= n * 0.99, `lwm2m.malformed.${reason}: ${got} counted, ${n} sent`)
    countedSum += got
    expectedSum += n
  }
  assert.equal(counted.reduce((s, [, v]) => s + v, 0), countedSum, `reasons nobody sent: ${JSON.stringify(counted)}`)
  assert.ok(expectedSum > DATAGRAMS / 5 && countedSum >= expectedSum * 0.99)
  // ... and the well-formed bad input where it belongs
  for (const name of ['lwm2m.rd.bad_request', 'lwm2m.rd.unknown_registration', 'lwm2m.rd.not_found', 'lwm2m.rd.method_not_allowed', 'lwm2m.coap.unknown_exchange', 'lwm2m.coap.ping']) {
    assert.ok((c[name] ?? 0) > 0, `${name} is 0`)
  }
  assert.ok(server.metrics.sum('lwm2m.notify.undecodable.') > 0, 'no undecodable notification counted')
  assert.equal(c['lwm2m.coap.handler_error'], undefined, 'a datagram made a handler throw')
  assert.equal(c['lwm2m.coap.socket_error'], undefined)

  // ---- memory flat from the 10 % point to the end ----
  assert.ok(heapAt10 !== undefined)
  assert.ok(heapAtEnd - heapAt10 <= HEAP_GROWTH_MAX,
    `heap after GC grew by ${((heapAtEnd - heapAt10) / 2 ** 20).toFixed(1)} MB between ${DATAGRAMS / 10} and ${DATAGRAMS} datagrams (bound ${HEAP_GROWTH_MAX / 2 ** 20} MB)`)
})
