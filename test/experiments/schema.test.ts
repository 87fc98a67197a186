import { test } from 'node:test'
import assert from 'node:assert/strict'
import { InvalidConfigError } from '../../lib/errors.ts'
import { parsePercent } from '../../lib/units.ts'
import { parseExperiment, safeParseExperiment } from '../../experiments/schema.ts'

function problems (kind: Parameters<typeof safeParseExperiment>[0], input: unknown): string[] {
  const r = safeParseExperiment(kind, input)
  assert.equal(r.success, false, 'expected problems')
  return r.success ? [] : r.problems
}

test('a tiny file gets every default, units parsed', () => {
  const c = parseExperiment('linear', { workload: { devices: 100, hold: '30s' } })
  assert.equal(c.kind, 'linear')
  assert.equal(c.name, 'linear')
  assert.deepEqual(c.platform, { runtime: 'auto' })
  assert.deepEqual(c.fleet, {
    protocol: 'lwm2m', maxDevicesPerGateway: 5000, placement: 'fill-first', registrationRate: 1000, lifetimeS: 300, format: 112,
    objects: [{ objectId: 3303, instances: 1 }], confirmable: false, endpointPrefix: 'dev-',
  })
  assert.equal(c.drainMs, 15_000)
  assert.deepEqual(c.sink, { kind: 'file', replicas: 1, sessionTimeoutMs: 10_000, options: {} })
  assert.deepEqual(c.thresholds, [])
  assert.deepEqual(c.workload, { mode: 'ramp', devices: { from: 100, to: 100 }, ratePerDevice: { from: 1, to: 1 }, rampMs: 0, holdMs: 30_000 })
})

test('units: durations, rates, counts, percentages and formats', () => {
  const c = parseExperiment('linear', {
    name: 'units', seed: 42,
    fleet: { registrationRate: '30/m', lifetime: '2m', format: 'senml-json', objects: [{ objectId: 3304, instances: '2' }] },
    platform: { runtime: 'process', external: { edgeBootstrap: 'a:9092, b:9092', cloudBootstrap: ['c:9093'], lwm2m: 'coap://10.0.0.1', gateway: 'gw1' } },
    workload: { devices: { from: '1_000', to: 2000 }, rate: { from: '60/m', to: 5 }, rampDuration: '1.5m', hold: 10 },
    drain: '250ms',
    thresholds: { 'e2e.p99': '<500ms', loss: '<0.1%', 'rate.accuracy': '>99%', errors: '==0' },
  })
  assert.equal(c.seed, 42)
  assert.equal(c.fleet.registrationRate, 0.5)
  assert.equal(c.fleet.lifetimeS, 120)
  assert.equal(c.fleet.format, 110)
  assert.deepEqual(c.fleet.objects, [{ objectId: 3304, instances: 2 }])
  assert.deepEqual(c.platform.external, { edgeBootstrap: ['a:9092', 'b:9092'], cloudBootstrap: ['c:9093'], lwm2m: { host: '10.0.0.1', port: 5683 }, gateway: 'gw1' })
  assert.deepEqual(c.workload, { mode: 'ramp', devices: { from: 1000, to: 2000 }, ratePerDevice: { from: 1, to: 5 }, rampMs: 90_000, holdMs: 10_000 })
  assert.equal(c.drainMs, 250)
  assert.deepEqual(c.thresholds.map(t => [t.metric, t.op, t.value]), [['e2e.p99', '<', 500], ['loss', '<', 0.001], ['rate.accuracy', '>', 0.99], ['errors', '==', 0]])
  assert.equal(parsePercent('80%'), 0.8)
  assert.equal(parsePercent('0.001'), 0.001)
  assert.equal(parsePercent('x%'), undefined)
})

test('generators use the CLI spec text and must name a fleet object', () => {
  const c = parseExperiment('linear', { fleet: { generators: { 3303: 'walk:min=15,max=30,step=0.2' } }, workload: { devices: 1, hold: '1s' } })
  assert.deepEqual(c.fleet.generators, { 3303: { kind: 'walk', min: 15, max: 30, step: 0.2 } })
  const p = problems('linear', { fleet: { generators: { 3304: 'walk:min=1,max=2', 3303: 'wobble' } }, workload: { devices: 1, hold: '1s' } })
  assert.ok(p.some(x => x.startsWith('fleet.generators["3304"]: not one of the fleet\'s objects')), p.join('\n'))
  assert.ok(p.some(x => x.startsWith('fleet.generators["3303"]: unknown generator "wobble"')), p.join('\n'))
})

test('unknown keys are rejected at every level, with their path and the likely key', () => {
  const p = problems('step', {
    bogus: 1,
    fleet: { maxDevicePerGateway: 10 },
    platform: { external: { edgeBootstrap: 'a:1', cloudBootstrap: 'b:2', lwm2m: 'coap://h:1', gateway: 'g', extra: true } },
    workload: { steps: [{ devices: 1, duration: '1s', rat: '1/s' }] },
  })
  assert.ok(p.includes('bogus: unknown key (known: kind, name, description, seed, platform, fleet, drain, sink, sinks, autoscaler, thresholds, workload)'), p.join('\n'))
  assert.ok(p.some(x => x.startsWith('fleet.maxDevicePerGateway: unknown key; did you mean maxDevicesPerGateway?')), p.join('\n'))
  assert.ok(p.some(x => x.startsWith('platform.external.extra: unknown key')), p.join('\n'))
  assert.ok(p.some(x => x.startsWith('workload.steps[0].rat: unknown key; did you mean rate?')), p.join('\n'))
  assert.equal(p.length, 4)
})

test('every problem is reported at once, each with its path and what was given', () => {
  const p = problems('step', {
    drain: true,
    fleet: { lifetime: '1.5s', objects: [{ objectId: 9 }], format: 'tlv' },
    thresholds: { 'e2e.p99': '<500', foo: '<1' },
    workload: { steps: [{ devices: 1, duration: '1s' }, { devices: -1, duration: '1s' }, { devices: 3, duration: '5 minutes', rate: '2000/s' }] },
  })
  const expected = [
    'drain: expected a duration such as 30s, 5m, got true',
    'fleet.lifetime: expected whole seconds, such as 300s or 5m, got "1.5s"',
    'fleet.objects[0].objectId: expected an IPSO sensor object: 3303, 3304, 3301, 3315, got 9',
    'fleet.format: expected one of senml-cbor, senml-json, got "tlv"',
    'thresholds["e2e.p99"]: expected a latency with its unit such as "<500ms" or "<1s", got "<500"',
    'workload.steps[1].devices: expected a number of devices 0-1,000,000, got -1',
    'workload.steps[2].rate: expected at most 1000/s, got "2000/s"',
    'workload.steps[2].duration: expected a duration such as 30s, 5m, got "5 minutes"',
  ]
  for (const e of expected) assert.ok(p.includes(e), `missing: ${e}\nin:\n${p.join('\n')}`)
  assert.ok(p.some(x => x.startsWith('thresholds.foo: unknown metric (known: e2e.p50')), p.join('\n'))
  assert.equal(p.length, expected.length + 1)
})

test('missing required fields say required', () => {
  assert.deepEqual(problems('burst', { workload: { baseline: {}, burst: { multiplier: 2, every: '60s' } } }), [
    'workload.baseline.devices: required, a number of devices 1-1,000,000',
    'workload.burst.duration: required, a duration such as 30s, 5m',
  ])
  assert.deepEqual(problems('step', {}), ['workload: required'])
  assert.match(problems('linear', 42)[0]!, /expected the experiment as an object/)
})

test('parseExperiment throws InvalidConfigError with every problem', () => {
  assert.throws(() => parseExperiment('step', { drain: 'x', workload: { steps: [] } }), (err: unknown) => {
    assert.ok(err instanceof InvalidConfigError)
    assert.equal(err.code, 'FLEETLAB_INVALID_CONFIG')
    assert.deepEqual(err.problems, ['drain: expected a duration such as 30s, 5m, got "x"', 'workload.steps: expected at least one step'])
    return true
  })
})

test('linear: a ramp or batches, not both; ramps need a duration', () => {
  assert.deepEqual(parseExperiment('linear', { workload: { batch: { size: 50, every: '10s' }, to: 500, rate: '1/s', hold: '30s' } }).workload,
    { mode: 'batch', batchSize: 50, everyMs: 10_000, to: 500, ratePerDevice: 1, holdMs: 30_000 })
  assert.match(problems('linear', { workload: { batch: { size: 50, every: '10s' }, to: 500, devices: 3 } })[0]!, /^workload: batches .* give one \(remove devices\)/)
  assert.deepEqual(problems('linear', { workload: { batch: { size: 50, every: '10s' } } }), ['workload.to: required with batch: the number of devices to grow to'])
  assert.deepEqual(problems('linear', { workload: { devices: { from: 1, to: 10 } } }), ['workload.rampDuration: required when devices or rate go { from, to }, e.g. 60s'])
  assert.deepEqual(problems('linear', { workload: { devices: 10 } }), ['workload.hold: rampDuration and hold are both 0: nothing would run; give hold: 30s'])
  assert.deepEqual(problems('linear', { workload: { devices: { from: 1 }, rate: { from: '1/s', to: '1/s', x: 1 }, rampDuration: '1s' } }), [
    'workload.devices.to: required, (devices)',
    'workload.rate.x: unknown key (rate is a value or { from, to })',
  ].map(s => s.replace('required, (devices)', 'required (devices)')))
})

test('cross-field rules: burst shorter than its period, devices and rate caps, capacity bounds', () => {
  assert.deepEqual(problems('burst', { workload: { baseline: { devices: 10 }, burst: { multiplier: 3, duration: '60s', every: '30s' } } }),
    ['workload.burst.duration: the burst (60 s) must be shorter than its period every (30 s)'])
  assert.deepEqual(problems('burst', { workload: { baseline: { devices: 500_000 }, burst: { multiplier: 3, of: 'devices', duration: '1s', every: '30s' } } }),
    ['workload.burst.multiplier: 500000 devices x 3 is more than 1,000,000 devices'])
  assert.deepEqual(problems('burst', { workload: { baseline: { devices: 5, rate: '500/s' }, burst: { multiplier: 3, duration: '1s', every: '30s' } } }),
    ['workload.burst.multiplier: 500/s x 3 is more than 1000/s per device'])
  assert.deepEqual(problems('step', { workload: { steps: [{ devices: 1_000_001, duration: '1s' }] } }),
    ['workload.steps[0].devices: expected a number of devices 0-1,000,000, got 1000001'])
  assert.deepEqual(problems('capacity', { workload: { start: 100, maxDevices: 50, warmup: '40s', growth: { factor: 2, add: 3 } } }), [
    'workload.maxDevices: must be more than start (100)',
    'workload.warmup: must be shorter than stepDuration (30 s), leaving seconds to measure',
    'workload.growth: expected one of { factor: 2 } (multiply) or { add: 500 } (add devices), got {"factor":2,"add":3}',
  ])
  assert.deepEqual(problems('capacity', { workload: { start: 1, maxDevices: 5, slo: { 'e2e.p99': '>5ms', lagGrowth: 'x', cpu: { service: 'kafka', below: '0%' } } } }), [
    'workload.slo.cpu.below: expected a fraction above 0 to 64, or a percentage such as 5%, got "0%"',
  ])
  assert.deepEqual(problems('capacity', { workload: { start: 1, maxDevices: 5, slo: { 'e2e.p99': '>5ms', lagGrowth: 'x' } } }), [
    'workload.slo["e2e.p99"]: expected an upper bound such as "<5", got ">5ms"',
    'workload.slo.lagGrowth: expected true or the largest lag growth allowed, such as 100/s, got "x"',
  ])
})

test('capacity defaults and SLO parsing', () => {
  const c = parseExperiment('capacity', { workload: { start: 100, maxDevices: 20000 } }).workload
  assert.deepEqual(c, {
    start: 100, maxDevices: 20000, growth: { factor: 2 }, stepMs: 30_000, warmupMs: 10_000, cooldownMs: 10_000, ratePerDevice: 1,
    slo: { registered: 0.99, e2eP99Ms: 1000, loss: 0.001, lagGrowth: { maxSlope: 'auto' } }, resolution: 0.05, maxPlateaus: 40,
  })
  const d = parseExperiment('capacity', { workload: { start: 100, maxDevices: 200, growth: { add: 500 }, slo: { 'e2e.p99': '<=500ms', loss: 0.01, lagGrowth: '100/s', cpu: { service: 'lwm2m-server', below: '80%' } } } }).workload
  assert.deepEqual(d.growth, { add: 500 })
  assert.deepEqual(d.slo, { registered: 0.99, e2eP99Ms: 500, loss: 0.01, lagGrowth: { maxSlope: 100 }, cpu: { service: 'lwm2m-server', belowPercent: 80 } })
  assert.deepEqual(problems('capacity', { workload: { start: 1, maxDevices: 5, slo: { lagGrowth: false } } }), ['workload.slo: expected at least one SLO: e2e.p99, loss, lagGrowth or cpu, got {"lagGrowth":false}'])
})

test('kind: optional in options, but it must match the class', () => {
  assert.equal(parseExperiment('step', { kind: 'step', workload: { steps: [{ devices: 1, duration: '1s' }] } }).kind, 'step')
  assert.deepEqual(problems('step', { kind: 'linear', workload: { steps: [{ devices: 1, duration: '1s' }] } }), ['kind: expected "step", got "linear"'])
})

test('the sink: a store by name, replicas, a processing cost in ms, every problem at once', () => {
  const c = parseExperiment('linear', { workload: { devices: 10, rate: '1/s', hold: '10s' }, sink: { kind: 'influxdb', replicas: 3, cost: '2ms', costKind: 'cpu', options: { url: 'http://127.0.0.1:8086' } } })
  assert.deepEqual(c.sink, { kind: 'influxdb', replicas: 3, cost: { ms: 2, kind: 'cpu' }, sessionTimeoutMs: 10_000, options: { url: 'http://127.0.0.1:8086' } })
  const r = safeParseExperiment('linear', { workload: { devices: 10, rate: '1/s', hold: '10s' }, sink: { kind: 'mongo', replicas: 0, cost: 'slow', sessionTimeout: '1s' } })
  assert.equal(r.success, false)
  const problems = r.success ? [] : r.problems
  for (const field of ['sink.kind', 'sink.replicas', 'sink.cost', 'sink.sessionTimeout']) assert.ok(problems.some(p => p.startsWith(field)), `${field} in ${problems.join(' | ')}`)
})

test('further sinks: named, each reading what its store keeps; the run\'s postgres sink writes the observations', () => {
  const workload = { devices: 10, rate: '1/s', hold: '10s' }
  const c = parseExperiment('linear', { workload, sink: { kind: 'postgres' }, sinks: [{ name: 'registry', kind: 'postgres' }, { name: 'tsdb', kind: 'influxdb', replicas: 2 }, { name: 'obs', kind: 'postgres', options: { observations: true } }] })
  assert.deepEqual(c.sink.options, { observations: true })
  assert.deepEqual(c.sinks.map(s => [s.name, s.kind, s.input, s.replicas]), [['registry', 'postgres', 'registrations', 1], ['tsdb', 'influxdb', 'observations', 2], ['obs', 'postgres', 'observations', 1]])
  assert.deepEqual(parseExperiment('linear', { workload }).sinks, [])
  const p = problems('linear', { workload, sinks: [{ name: 'Bad Name', kind: 'file' }, { name: 'a', kind: 'mongo' }, { kind: 'file' }] })
  for (const field of ['sinks[0].name', 'sinks[1].kind', 'sinks[2].name']) assert.ok(p.some(x => x.startsWith(field)), `${field} in ${p.join(' | ')}`)
  assert.deepEqual(problems('linear', { workload, sinks: [{ name: 'a', kind: 'file' }, { name: 'a', kind: 'influxdb' }] }), ['sinks[1].name: sink name "a" is used twice'])
})

test('autoscaler react: 250 ms by default (none for fixed), a look between periods when shorter than the period', () => {
  const react = (autoscaler: Record<string, unknown>): number | undefined => {
    const r = safeParseExperiment('step', { workload: { steps: [{ devices: 1, duration: '1s' }] }, autoscaler })
    assert.ok(r.success, r.success ? '' : r.problems.join('\n'))
    return r.success ? r.config.autoscaler?.reactMs : undefined
  }
  assert.equal(react({ policy: 'threshold' }), 250)
  assert.equal(react({ policy: 'fixed' }), undefined, 'fixed never scales on a look')
  assert.equal(react({ policy: 'predictive', period: '250ms' }), undefined, 'no look when the period is as short')
  assert.equal(react({ policy: 'threshold', react: '500ms' }), 500)
  assert.equal(react({ policy: 'threshold', react: 'off' }), undefined)
  assert.equal(react({ policy: 'threshold', period: '200ms', react: '250ms' }), undefined, 'not shorter than a 200 ms period')
  const p = problems('step', { workload: { steps: [{ devices: 1, duration: '1s' }] }, autoscaler: { policy: 'threshold', react: 'soon' } })
  assert.ok(p.some(x => x.startsWith('autoscaler.react')), p.join('\n'))
})
