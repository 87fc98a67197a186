import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatBytes, table } from '../../cli/format.ts'

test('table pads columns to the widest cell, two spaces apart, numbers right-aligned', () => {
  const text = table(['SERVICE', 'PORT', 'MEMORY', 'STATE'], [
    ['edge-kafka', 29092, '312.5 MiB', 'running'],
    ['mirror', 8083, '1.0 KiB', 'stopped'],
  ])
  assert.equal(text, [
    'SERVICE      PORT     MEMORY  STATE',
    'edge-kafka  29092  312.5 MiB  running',
    'mirror       8083    1.0 KiB  stopped',
  ].join('\n'))
})

test('table leaves no trailing spaces and handles short last cells', () => {
  const text = table(['NAME', 'NOTE'], [['a', 'a longer note'], ['bb', 'x']])
  assert.equal(text, 'NAME  NOTE\na     a longer note\nbb    x')
  for (const line of text.split('\n')) assert.equal(line, line.trimEnd())
})

test('a column with any text in it is left-aligned; a header-only table is its header', () => {
  assert.equal(table(['ID', 'N'], [['abc', 1], ['7', 22]]), 'ID    N\nabc   1\n7    22')
  assert.equal(table(['SERVICE', 'CPU %'], []), 'SERVICE  CPU %')
})

test('formatBytes uses binary units with one decimal, and - for unknown', () => {
  assert.equal(formatBytes(null), '-')
  assert.equal(formatBytes(0), '0 B')
  assert.equal(formatBytes(1023), '1023 B')
  assert.equal(formatBytes(1024), '1.0 KiB')
  assert.equal(formatBytes(1536), '1.5 KiB')
  assert.equal(formatBytes(312.5 * 1024 * 1024), '312.5 MiB')
  assert.equal(formatBytes(2 * 1024 ** 3), '2.0 GiB')
  assert.equal(formatBytes(3 * 1024 ** 4), '3072.0 GiB', 'GiB is the largest unit')
})
