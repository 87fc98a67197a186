import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TimerWheel } from '../../simulator/timer-wheel.ts'

function fakeWheel (slots = 16): { wheel: TimerWheel, fired: Array<[number, number]>, clock: { t: number } } {
  const clock = { t: 0 }
  const fired: Array<[number, number]> = []
  const wheel = new TimerWheel({ fire: (id, now) => fired.push([id, now]), now: () => clock.t, interval: false, slots, tickMs: 1 })
  return { wheel, fired, clock }
}

test('fires each id once, never early, in time order across turns of the wheel', () => {
  const { wheel, fired, clock } = fakeWheel(16)
  wheel.schedule(1, 5)
  wheel.schedule(2, 3.2)
  wheel.schedule(3, 40) // two and a half turns later
  assert.equal(wheel.size, 3)
  clock.t = 3
  wheel.tick()
  assert.deepEqual(fired, [])
  clock.t = 4
  wheel.tick()
  assert.deepEqual(fired, [[2, 4]])
  clock.t = 39
  wheel.tick()
  assert.deepEqual(fired, [[2, 4], [1, 39]])
  clock.t = 40
  wheel.tick()
  assert.deepEqual(fired.map(f => f[0]), [2, 1, 3])
  assert.equal(wheel.size, 0)
})

test('rescheduling replaces the wake-up; cancel drops it; fire may reschedule', () => {
  const clock = { t: 0 }
  const fired: number[] = []
  let sevens = 0
  const wheel: TimerWheel = new TimerWheel({
    fire: (id, now) => { fired.push(id); if (id === 7 && ++sevens < 3) wheel.schedule(7, now) },
    now: () => clock.t, interval: false, slots: 8,
  })
  wheel.schedule(1, 10)
  wheel.schedule(1, 2) // earlier
  wheel.schedule(2, 3)
  wheel.schedule(2, 12) // later, same bucket a turn on... and back
  wheel.schedule(3, 5)
  wheel.cancel(3)
  wheel.schedule(7, 1)
  clock.t = 20
  wheel.tick()
  // 7 fires at slot 1 and reschedules itself for "now" (20): a later slot of the same tick, never its own slot
  assert.deepEqual(fired.filter(id => id !== 7), [1, 2])
  assert.equal(sevens, 2)
  assert.equal(wheel.wakeAt(7), 21)
  clock.t = 21
  wheel.tick()
  assert.equal(sevens, 3)
  assert.equal(wheel.size, 0)
})

test('after a stall longer than a turn every due id still fires; ids grow the table', () => {
  const { wheel, fired, clock } = fakeWheel(8)
  for (let id = 0; id < 5000; id += 1000) wheel.schedule(id, id / 100)
  clock.t = 1000
  wheel.tick()
  assert.deepEqual(fired.map(f => f[0]).sort((a, b) => a - b), [0, 1000, 2000, 3000, 4000])
  assert.equal(wheel.wakeAt(0), undefined)
  wheel.schedule(0, 2000)
  assert.equal(wheel.wakeAt(0), 2000)
  wheel.close()
  assert.equal(wheel.size, 0)
})

test('an error in fire surfaces after the tick, the others still fire', () => {
  const clock = { t: 0 }
  const fired: number[] = []
  const wheel = new TimerWheel({ fire: id => { fired.push(id); if (id === 1) throw new Error('boom') }, now: () => clock.t, interval: false })
  wheel.schedule(1, 1)
  wheel.schedule(2, 1)
  clock.t = 2
  assert.throws(() => wheel.tick(), /boom/)
  assert.deepEqual(fired, [1, 2])
})
