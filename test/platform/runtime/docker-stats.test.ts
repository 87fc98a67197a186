// The parsing half of docker-stats.ts on frames shaped as the Engine API documents them; the stream itself runs
// against the real engine in stats-contract.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type Dockerode from 'dockerode'
import { cpuPercent, isStoppedFrame, LineSplitter, memoryBytes, networkBytes, parseFrame } from '../../../platform/runtime/docker-stats.ts'

function frame (overrides: Partial<Dockerode.ContainerStats> = {}): Dockerode.ContainerStats {
  const cpu = (total: number, system: number): Dockerode.CPUStats => ({
    cpu_usage: { total_usage: total, percpu_usage: [], usage_in_kernelmode: 0, usage_in_usermode: total },
    system_cpu_usage: system,
    online_cpus: 4,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  })
  return {
    read: new Date().toISOString(),
    preread: new Date(Date.now() - 1000).toISOString(),
    num_procs: 0,
    networks: {},
    memory_stats: { usage: 50 << 20, limit: 1 << 30, stats: { total_inactive_file: 10 << 20 } } as Dockerode.MemoryStats,
    // a quarter of the host's time over the second, on 4 cores: one core
    cpu_stats: cpu(2_000_000_000, 8_000_000_000),
    precpu_stats: cpu(1_000_000_000, 4_000_000_000),
    ...overrides,
  }
}

test('CPU is the share of the host\'s time since the previous frame times the cores, as docker stats shows it', () => {
  assert.equal(cpuPercent(frame()), 100)
  const first = frame({ precpu_stats: { ...frame().precpu_stats, cpu_usage: { total_usage: 0, percpu_usage: [], usage_in_kernelmode: 0, usage_in_usermode: 0 }, system_cpu_usage: 0 } })
  assert.equal(cpuPercent({ ...first, cpu_stats: { ...first.cpu_stats, system_cpu_usage: 0 } }), 0)
})

test('memory leaves out the inactive page cache (cgroup v1 total_inactive_file, v2 inactive_file)', () => {
  assert.equal(memoryBytes(frame()), 40 << 20)
  const v2 = frame({ memory_stats: { usage: 50 << 20, limit: 1 << 30, stats: { inactive_file: 20 << 20 } } as Dockerode.MemoryStats })
  assert.equal(memoryBytes(v2), 30 << 20)
})

test('network sums the container\'s own interfaces; a host-network container has none: null', () => {
  const iface = (rx: number, tx: number): Dockerode.NetworkStats[string] =>
    ({ rx_bytes: rx, tx_bytes: tx, rx_dropped: 0, rx_errors: 0, rx_packets: 1, tx_dropped: 0, tx_errors: 0, tx_packets: 1 })
  assert.deepEqual(networkBytes(frame({ networks: { eth0: iface(100, 7), eth1: iface(20, 3) } })), { rx: 120, tx: 10 })
  assert.deepEqual(networkBytes(frame()), { rx: null, tx: null })
  const { networks: _omitted, ...hostNetwork } = frame()
  assert.deepEqual(networkBytes(hostNetwork as Dockerode.ContainerStats), { rx: null, tx: null })
})

test('a frame read at Go\'s zero time is the engine saying the container no longer runs', () => {
  assert.equal(isStoppedFrame(frame({ read: '0001-01-01T00:00:00Z' })), true)
  assert.equal(isStoppedFrame(frame()), false)
})

test('lines split across chunks come out whole, one frame each', () => {
  const a = JSON.stringify(frame())
  const b = JSON.stringify(frame({ read: '0001-01-01T00:00:00Z' }))
  const text = `${a}\n${b}\n`
  for (const cut of [1, a.length, a.length + 1, a.length + 5, text.length - 1]) {
    const lines = new LineSplitter()
    const got = [...lines.push(text.slice(0, cut)), ...lines.push(text.slice(cut))]
    assert.deepEqual(got, [a, b], `cut at ${cut}`)
  }
  assert.deepEqual(parseFrame(a), JSON.parse(a))
  assert.equal(parseFrame(''), undefined)
  assert.equal(parseFrame(a.slice(0, 40)), undefined, 'a truncated line')
  assert.equal(parseFrame('{"message":"No such container"}'), undefined, 'not a stats frame')
})
