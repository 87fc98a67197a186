import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LagTracker, MirrorLagTracker, timeLag } from '../../control/lag.ts'
import type { MirrorReading, PartitionReading } from '../../control/lag.ts'

const reading = (logEnd: number, committed: number, partition = 0): PartitionReading => ({ topic: 't', partition, low: 0, logEnd, committed })

test('time lag: the time the log end passed the oldest unconsumed record, interpolated; a lower bound before the history', () => {
  const ends = [{ offset: 100, atMs: 10_000 }, { offset: 200, atMs: 11_000 }, { offset: 400, atMs: 12_000 }]
  // record 299 (committed 299, the next to read) was produced when the log end reached 300: halfway from 11 s to 12 s
  assert.equal(timeLag(ends, 299, 15_000), 15 - 11.5)
  assert.equal(timeLag(ends, 400, 15_000), 0, 'caught up')
  assert.equal(timeLag(ends, 10, 15_000), 5, 'older than the first point: its time, a lower bound')
  assert.equal(timeLag([], 10, 15_000), 0)
})

test('lag from committed offsets; no commit counts from the low watermark; produced and consumed per period', () => {
  const t = new LagTracker()
  const a = t.observe([reading(100, -1), reading(50, 40, 1)], 1000, 1)
  assert.equal(a.totalLag, 100 + 10)
  assert.equal(a.partitionsWithLag, 2)
  const b = t.observe([reading(150, 60), reading(70, 70, 1)], 2000, 1)
  assert.equal(b.totalLag, 90)
  assert.equal(b.produced, 50 + 20)
  assert.equal(b.consumed, 60 + 30)
  assert.equal(b.elapsedMs, 1000)
})

test('status: OK with lag 0 in the window, STALL when the offset does not move, STOP when nobody consumes or after the stop time, WARN when lag grows, REWIND', () => {
  const window = 4
  const run = (steps: Array<[number, number]>, members = 1, stopAfterMs = 60_000): string => {
    const t = new LagTracker({ window, stopAfterMs })
    let s = ''
    steps.forEach(([end, committed], i) => { s = t.observe([reading(end, committed)], i * 1000, members).status })
    return s
  }
  assert.equal(run([[10, 10], [20, 15], [30, 20], [40, 25]]), 'OK', 'lag 0 at the first sample')
  assert.equal(run([[10, 5], [20, 5], [30, 5], [40, 5]]), 'STALL')
  assert.equal(run([[10, 5], [20, 5], [30, 5], [40, 5]], 1, 2000), 'STOP', 'not moved for longer than stopAfterMs')
  assert.equal(run([[10, 5], [20, 8]], 0), 'STOP', 'no member')
  assert.equal(run([[10, 5], [30, 8], [60, 12], [100, 20]]), 'WARN')
  assert.equal(run([[10, 5], [20, 15], [30, 2], [40, 25]]), 'REWIND')
  assert.equal(run([[100, 5], [110, 30], [120, 60], [130, 100]]), 'OK', 'moves and the lag shrinks')
})

test('the group status is the worst partition', () => {
  const t = new LagTracker({ window: 2 })
  t.observe([reading(10, 10, 0), reading(10, 5, 1)], 0, 1)
  const s = t.observe([reading(20, 20, 0), reading(20, 5, 1)], 1000, 1)
  assert.deepEqual(s.partitions.map(p => p.status), ['OK', 'STALL'])
  assert.equal(s.status, 'STALL')
})

test('a full history drops its densest point, not the first: a group stalled longer than the history still reads its whole time lag', () => {
  const points = 10
  const t = new LagTracker({ historyPoints: points })
  const polls = points * 20
  let s = t.observe([reading(1, 0)], 0, 1)
  // one record a second, never consumed: the record at offset 0 was produced at 0 ms
  for (let i = 1; i <= polls; i++) s = t.observe([reading(1 + i, 0)], i * 1000, 1)
  assert.equal(s.partitions[0]!.lagSeconds, polls)
  // a record in the middle of the history is interpolated between the points kept
  const u = new LagTracker({ historyPoints: points })
  for (let i = 0; i <= polls; i++) s = u.observe([reading(1 + i, polls / 2)], i * 1000, 1)
  assert.ok(Math.abs(s.partitions[0]!.lagSeconds - polls / 2) <= 1, `about ${polls / 2} s, got ${s.partitions[0]!.lagSeconds}`)
})

test('STOP counts from the last sample that moved or had no lag: a consumer idle while caught up is not stopped when records come', () => {
  const stopAfterMs = 5000
  const t = new LagTracker({ window: 2, stopAfterMs })
  t.observe([reading(10, 10)], 0, 1)
  t.observe([reading(10, 10)], stopAfterMs * 3, 1)
  const first = t.observe([reading(20, 10)], stopAfterMs * 3 + 1000, 1)
  assert.equal(first.status, 'OK', 'lag 0 is still in the window')
  assert.equal(t.observe([reading(30, 10)], stopAfterMs * 3 + 2000, 1).status, 'STALL')
  assert.equal(t.observe([reading(40, 10)], stopAfterMs * 4 + 1, 1).status, 'STOP')
})

test('the owner of a partition is carried into its lag; options that cannot work are refused', () => {
  const s = new LagTracker().observe([{ ...reading(10, 5), owner: 'sink-0' }, reading(10, 5, 1)], 0, 1)
  assert.equal(s.partitions[0]!.owner, 'sink-0')
  assert.equal('owner' in s.partitions[1]!, false)
  assert.throws(() => new LagTracker({ window: 1 }), RangeError)
  assert.throws(() => new LagTracker({ historyPoints: 2 }), RangeError)
})

const mirror = (edgeEnd: number, cloudEnd: number, partition = 0): MirrorReading => ({ topic: 't', partition, edgeEnd, cloudEnd })

test('mirror lag: edge end - cloud end per partition, a partition missing in the cloud counts whole, never negative', () => {
  const s = new MirrorLagTracker().observe([mirror(100, 60), mirror(40, 0, 1), mirror(10, 12, 2)], 0)
  assert.deepEqual(s.partitions.map(p => p.lag), [40, 40, 0])
  assert.equal(s.totalLag, 80)
  assert.equal(s.healthy, true, 'one reading cannot tell')
})

test('mirror health: stalled when the cloud does not move with lag, falling behind when the lag grows at every reading, healthy at a steady lag', () => {
  const unhealthyAfterMs = 3000
  const run = (steps: Array<[number, number]>): { healthy: boolean, problem: string | undefined } => {
    const t = new MirrorLagTracker({ unhealthyAfterMs })
    let s = t.observe([mirror(...steps[0]!)], 0)
    steps.slice(1).forEach((step, i) => { s = t.observe([mirror(...step)], (i + 1) * 1000) })
    return { healthy: s.healthy, problem: s.partitions[0]!.problem }
  }
  const seconds = unhealthyAfterMs / 1000 + 2
  const steps = (edge: (i: number) => number, cloud: (i: number) => number): Array<[number, number]> =>
    Array.from({ length: seconds }, (_, i) => [edge(i), cloud(i)])
  assert.deepEqual(run(steps(i => 100 + 10 * i, () => 50)), { healthy: false, problem: 'stalled' })
  assert.deepEqual(run(steps(() => 100, () => 50)), { healthy: false, problem: 'stalled' }, 'nothing new on the edge, nothing copied either')
  assert.deepEqual(run(steps(i => 100 + 20 * i, i => 100 + 10 * i)), { healthy: false, problem: 'falling-behind' })
  assert.deepEqual(run(steps(i => 100 + 20 * i, i => 90 + 20 * i)), { healthy: true, problem: undefined }, 'keeps pace 10 behind')
  assert.deepEqual(run(steps(i => 100 + 20 * i, i => i === seconds - 2 ? 100 + 20 * i : 100 + 10 * i)), { healthy: true, problem: undefined }, 'a reading with less lag restarts the clock')
  // shorter than the threshold: not yet
  assert.deepEqual(run(steps(i => 100 + 20 * i, i => 100 + 10 * i).slice(0, unhealthyAfterMs / 1000)), { healthy: true, problem: undefined })
})

test('the mirror is healthy only when every partition is', () => {
  const t = new MirrorLagTracker({ unhealthyAfterMs: 1000 })
  t.observe([mirror(10, 10, 0), mirror(10, 5, 1)], 0)
  const s = t.observe([mirror(20, 20, 0), mirror(20, 5, 1)], 2000)
  assert.deepEqual(s.partitions.map(p => p.problem), [undefined, 'stalled'])
  assert.equal(s.healthy, false)
})

test('a log end that stood still keeps when it was last seen there: records after an idle stretch are not aged by it', () => {
  const t = new LagTracker()
  const idleS = 30
  for (let i = 0; i <= idleS; i++) t.observe([reading(10, 10)], i * 1000, 1)
  // ten records appended in the second after the idle stretch, none consumed
  const s = t.observe([reading(20, 10)], (idleS + 1) * 1000, 1)
  // record 10 came when the log end passed 11: a tenth of the way from 30 s to 31 s
  assert.ok(Math.abs(s.partitions[0]!.lagSeconds - 0.9) < 1e-9, `${s.partitions[0]!.lagSeconds}`)
})
