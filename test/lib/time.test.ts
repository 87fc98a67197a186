import { test } from 'node:test'
import assert from 'node:assert/strict'
import { sleep } from '../../lib/time.ts'

test('sleep waits its time, or ends at once when its signal aborts', async () => {
  let t = performance.now()
  await sleep(50)
  assert.ok(performance.now() - t >= 45)
  const abort = new AbortController()
  t = performance.now()
  setTimeout(() => abort.abort(), 20)
  await sleep(5000, abort.signal)
  assert.ok(performance.now() - t < 1000, 'ended by the abort')
  t = performance.now()
  await sleep(5000, abort.signal)
  assert.ok(performance.now() - t < 50, 'an aborted signal does not wait at all')
})
