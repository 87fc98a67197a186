// Zod issues as the problems users read: `workload.steps[2].duration: expected a duration such as 30s, 5m, got "5 minutes"`,
// one line per problem, unknown keys one by one with the keys that are known (and the likely one when it is a typo).
import type { z } from 'zod'
import { KNOWN_KEYS } from './fields.ts'

/** `['workload', 'steps', 2, 'duration']` -> `workload.steps[2].duration`; keys that are not identifiers in brackets. */
export function formatPath (path: ReadonlyArray<string | number>): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(part)) out += out === '' ? part : `.${part}`
    else out += `[${JSON.stringify(part)}]`
  }
  return out
}

function valueAt (input: unknown, path: ReadonlyArray<string | number>): unknown {
  let v = input
  for (const part of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string | number, unknown>)[part]
  }
  return v
}

function show (v: unknown): string {
  const text = JSON.stringify(v)
  if (text === undefined) return String(v)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

/** Levenshtein distance, for "did you mean". */
function distance (a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1))
      prev = tmp
    }
  }
  return row[b.length]!
}

export function unknownKeyProblem (at: string, key: string, known: readonly string[]): string {
  const near = known.filter(k => distance(k, key) <= Math.max(1, Math.floor(k.length / 4))).sort((a, b) => distance(a, key) - distance(b, key))
  return `${at}: unknown key${near[0] !== undefined ? `; did you mean ${near[0]}?` : ''} (known: ${known.join(', ')})`
}

/** Every issue as a line naming its path; `input` is what was parsed, to show what was given. */
export function formatIssues (issues: readonly z.ZodIssue[], input: unknown, prefix: ReadonlyArray<string | number> = []): string[] {
  const problems: string[] = []
  for (const issue of issues) {
    const path = [...prefix, ...issue.path]
    if (issue.code === 'unrecognized_keys') {
      const known = issue.message.startsWith(KNOWN_KEYS) ? issue.message.slice(KNOWN_KEYS.length).split(',').filter(k => k !== '') : []
      for (const key of issue.keys) problems.push(unknownKeyProblem(formatPath([...path, key]), key, known))
      continue
    }
    const at = formatPath(path) || '(top level)'
    const given = valueAt(input, issue.path)
    const expecting = issue.code !== 'custom' || issue.message.startsWith('expected ')
    if (given === undefined && expecting && (issue.code === 'invalid_type' || issue.code === 'custom' || issue.code === 'invalid_literal' || issue.code === 'invalid_enum_value')) {
      const expected = issue.code === 'invalid_enum_value' ? `one of ${issue.options.join(', ')}` : issue.message.replace(/^expected /, '')
      problems.push(issue.code === 'invalid_type' ? `${at}: required` : `${at}: required, ${expected}`)
      continue
    }
    if (issue.code === 'invalid_enum_value') {
      problems.push(`${at}: expected one of ${issue.options.join(', ')}, got ${show(given)}`)
    } else if (issue.code === 'invalid_type') {
      problems.push(`${at}: expected ${issue.expected}, got ${show(given)}`)
    } else if (issue.code === 'invalid_literal') {
      problems.push(`${at}: expected ${show(issue.expected)}, got ${show(given)}`)
    } else if (issue.code === 'custom' && issue.message.startsWith('expected ') && !issue.message.includes(', got ')) {
      problems.push(`${at}: ${issue.message}, got ${show(given)}`)
    } else {
      problems.push(`${at}: ${issue.message}`)
    }
  }
  return problems
}
