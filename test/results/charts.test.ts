import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatTick, lineChart, niceTicks } from '../../results/charts.ts'

test('niceTicks covers the range with round steps', () => {
  assert.deepEqual(niceTicks(0, 97), [0, 20, 40, 60, 80, 100])
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1])
  assert.deepEqual(niceTicks(12, 12), [5, 7.5, 10, 12.5, 15, 17.5, 20])
  assert.deepEqual(niceTicks(0, 0), [0, 0.2, 0.4, 0.6, 0.8, 1])
  assert.deepEqual(niceTicks(0, 2400), [0, 500, 1000, 1500, 2000, 2500])
  assert.deepEqual([formatTick(1500), formatTick(25000), formatTick(2e6), formatTick(0.25)], ['1500', '25k', '2M', '0.25'])
})

test('lineChart draws axes, a legend and one polyline per unbroken run of values', () => {
  const svg = lineChart({ name: 'lag', title: 'Lag & <replicas>', xLabel: 't (s)', yLabel: 'records', y2Label: 'replicas', series: [
    { name: 'lag', points: [[0, 1], [1, 5], [2, null], [3, 2], [4, 8], [5, null], [6, 3]] },
    { name: 'replicas', points: [[0, 1], [6, 2]], axis: 'right' },
  ] })
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="800" height="320"/)
  assert.match(svg, /<title>Lag &amp; &lt;replicas&gt;<\/title>/)
  const lag = svg.slice(svg.indexOf('data-series="lag"'), svg.indexOf('data-series="replicas"'))
  assert.equal(lag.match(/<polyline/g)?.length, 2, 'the gaps split the line')
  assert.equal(lag.match(/<circle/g)?.length, 1, 'a lone second is a dot')
  assert.match(svg, /replicas \(right axis\)/)
  assert.match(svg, />records</)
  const empty = lineChart({ name: 'x', title: 'x', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', points: [[0, null]] }] })
  assert.match(empty, />no data</)
  assert.doesNotMatch(empty, /NaN|Infinity/)
})
