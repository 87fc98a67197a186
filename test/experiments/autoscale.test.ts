// Automatic scaling end to end, through the real binary on the real pipeline (process runtime, and docker when an
// engine answers): sink consumers that
// spend 10 ms per record (about 100 records/s each) meet a 10x burst; the threshold policy scales them up to the
// partition count and, once the backlog has drained, back down after its cooldown; a replica killed from outside
// (SIGKILL to its process group, or docker kill) is replaced within two control periods; the run reconciles with
// nothing lost.
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fleetlabHome } from '../../lib/home.ts'
import { openRuntime } from '../../platform/runtime/index.ts'
import { waitFor, dockerSkipReason } from '../helpers.ts'
import Docker from 'dockerode'
import type { RuntimeKind } from '../../platform/runtime/types.ts'
import { onlyRun, runDir, spawnCli, writeExperiment } from './run/fixtures.ts'

const PARTITIONS = 4

const dockerSkip = await dockerSkipReason()

test('a burst scales the sink up to the partitions and back down; a killed replica is replaced; nothing is lost', { timeout: 300_000 }, async t => {
  await scenario(t, 'process')
})

test('the same on the docker runtime: replicas are containers, one killed with docker kill', { timeout: 300_000, skip: dockerSkip }, async t => {
  await scenario(t, 'docker')
})

async function scenario (t: TestContext, kind: RuntimeKind): Promise<void> {
  const rd = await runDir(t, kind)
  const file = await writeExperiment(rd.dir, 'autoscale', {
    kind: 'burst',
    name: 'autoscale',
    seed: 3,
    platform: { partitions: PARTITIONS },
    // 50/s for 15 s, 500/s for 20 s, 50/s for 35 s
    workload: { baseline: { devices: 50, rate: '1/s' }, burst: { multiplier: 10, of: 'rate', duration: '20s', every: '35s' }, recovery: '35s' },
    sink: { replicas: 2, cost: '10ms', costKind: 'wait' },
    autoscaler: { policy: 'threshold', min: 2, period: '1s', lagThreshold: 300, cooldown: '10s' },
    drain: '60s',
    thresholds: { loss: '==0' },
  })
  const cli = spawnCli(rd, ['run', file, '--runtime', kind, '--results-dir', rd.runs])
  // once the control loop runs, kill replica 1 from outside
  const events = async (): Promise<string> => {
    const [id] = await readdir(rd.runs)
    return id === undefined ? '' : await readFile(join(rd.runs, id, 'events.csv'), 'utf8').catch(() => '')
  }
  await waitFor('the control loop', async () => (await events()).includes('control loop: policy threshold') ? true : undefined, 120_000)
  const meta = JSON.parse(await readFile(join(rd.runs, (await readdir(rd.runs))[0]!, 'run.json'), 'utf8')) as { platform: { name: string } }
  const runtime = await openRuntime(fleetlabHome(), kind)
  t.after(async () => { await runtime.close() })
  const victim = (await runtime.list({ platform: meta.platform.name, service: 'sink' })).find(i => i.replica === 1)
  assert.ok(victim !== undefined, 'replica 1 runs')
  if (kind === 'process') process.kill(-Number(victim.id), 'SIGKILL')
  else await new Docker().getContainer(victim.id).kill()

  const code = await cli.exited
  assert.equal(code, 0, `stdout:\n${cli.out.stdout}\nstderr:\n${cli.out.stderr}`)
  const run = await onlyRun(rd.runs)
  const scale = run.events.filter(e => e.kind === 'autoscale')
  const lostAt = run.events.find(e => e.kind === 'replica-lost' && e.source === 'sink-1')?.t_s
  assert.ok(lostAt !== undefined, 'the kill was noticed')
  const replaced = scale.find(e => e.t_s >= lostAt && /^replace \d+ -> 2: 1 replica gone/.test(e.detail))
  assert.ok(replaced !== undefined && replaced.t_s - lostAt <= 2.5, `replaced within 2 periods: ${JSON.stringify(scale.filter(e => e.t_s >= lostAt).slice(0, 3))}`)

  const burstStart = run.rows.find(r => r.phase === 'burst-1')!.t_s
  const burstEnd = run.rows.find(r => r.t_s > burstStart && r.phase === 'baseline')!.t_s
  const up = scale.find(e => e.t_s >= burstStart && e.detail.startsWith('scale-up'))
  assert.ok(up !== undefined && up.t_s - burstStart <= 4, `scaled up early in the burst: ${up?.t_s} (burst at ${burstStart})`)
  assert.match(up.detail, /lag [\d,]+ \/ threshold 300 -> \d+/)
  const replicas = run.rows.map(r => r.consumer_replicas ?? 0)
  assert.equal(Math.max(...replicas), PARTITIONS, 'up to the partition count, never past it')
  assert.ok(run.rows.every(r => (r.consumer_desired ?? 0) <= PARTITIONS))
  const down = scale.find(e => e.t_s > burstEnd && e.detail.startsWith('scale-down'))
  assert.ok(down !== undefined, 'scaled down after the burst')
  // the cooldown is the HPA's scale-down stabilization: down only to the highest recommendation, ceil(lag / 300),
  // of the last 10 s, so for 10 s before the decision the lag asked for no more than the new count (the recorded
  // rows sample the lag at other moments than the loop does: a second of slack)
  const to = Number(/^scale-down \d+ -> (\d+)/.exec(down.detail)?.[1])
  const askedMoreAt = [...run.rows].reverse().find(r => r.t_s <= down.t_s && Math.ceil(Math.min(r.consumer_lag ?? 0, PARTITIONS * 300) / 300) > to)?.t_s ?? burstEnd
  assert.ok(down.t_s - askedMoreAt >= 9, `scale-down to ${to} at ${down.t_s} s, the lag asked for more than ${to} until ${askedMoreAt} s: ${down.detail}`)
  // the baseline before the burst is steady: after the replacement, no change of the desired count
  const steady = run.rows.filter(r => r.t_s > (replaced.t_s + 1) && r.t_s < burstStart).map(r => r.consumer_desired)
  assert.ok(steady.every(v => v === steady[0]), `steady baseline: ${steady.join(',')}`)

  assert.equal(run.summary?.lost, 0)
  assert.equal(run.summary?.delivered, run.summary?.sent)
  assert.ok(run.rows.some(r => (r.consumer_lag_s ?? 0) > 0), 'time lag recorded')
  assert.ok((run.histograms['sink.rebalance.pause']?.count ?? 0) > 0, 'rebalance pauses kept in histograms.json')
  // the replicas' useful time or a saturated period taught the loop a capacity, and run.json keeps it
  const learned = run.meta.autoscaler
  assert.equal(learned?.policy, 'threshold')
  assert.ok((learned?.capacityPerReplica ?? 0) > 0 && ['useful-time', 'saturated'].includes(learned?.capacitySource ?? ''), JSON.stringify(learned))
}
