import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatRate, parseCount, parseDuration, parseRate, roundTo } from '../../lib/units.ts'

test('durations: units ms, s, m, h; a bare number is seconds; anything else is undefined', () => {
  assert.equal(parseDuration('250ms'), 250)
  assert.equal(parseDuration('30s'), 30_000)
  assert.equal(parseDuration('1.5m'), 90_000)
  assert.equal(parseDuration('2h'), 7_200_000)
  assert.equal(parseDuration('60'), 60_000)
  assert.equal(parseDuration(' 5 s '), 5000)
  for (const bad of ['', 's', '-1s', '1d', '1e3', 'ten', '1s2']) assert.equal(parseDuration(bad), undefined, bad)
})

test('rates: per second by default, /s /m /h /ms', () => {
  assert.equal(parseRate('1/s'), 1)
  assert.equal(parseRate('500/s'), 500)
  assert.equal(parseRate('30/m'), 0.5)
  assert.equal(parseRate('3600/h'), 1)
  assert.equal(parseRate('0.2'), 0.2)
  assert.equal(parseRate('2/ms'), 2000)
  for (const bad of ['', '/s', 'fast', '-1/s', '1/d']) assert.equal(parseRate(bad), undefined, bad)
})

test('counts: whole numbers in range, separators allowed', () => {
  assert.equal(parseCount('20000'), 20000)
  assert.equal(parseCount('20_000'), 20000)
  assert.equal(parseCount('20,000'), 20000)
  assert.equal(parseCount('0', 1), undefined)
  assert.equal(parseCount('11', 1, 10), undefined)
  assert.equal(parseCount('1.5'), undefined)
  assert.equal(parseCount('abc'), undefined)
})

test('rates print as a rate or as one per interval', () => {
  assert.equal(formatRate(500), '500/s')
  assert.equal(formatRate(1), '1/s')
  assert.equal(formatRate(0.2), '1 per 5 s')
})

test('roundTo rounds to a number of decimals', () => {
  assert.equal(roundTo(1.23456, 3), 1.235)
  assert.equal(roundTo(2.5, 0), 3)
  assert.equal(roundTo(0.000123456, 6), 0.000123)
})
