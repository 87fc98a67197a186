import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LagTracker, timeLag } from '../../control/lag.ts'
import type { PartitionReading } from '../../control/lag.ts'

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
