/** A plain text table: columns padded to the widest cell, numbers right-aligned. */
export function table (header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map(r => r.map(String))]
  const widths = header.map((_, c) => Math.max(...cells.map(r => (r[c] ?? '').length)))
  // '-' (no value) neither makes nor breaks a numeric column
  const numeric = header.map((_, c) => rows.some(r => r[c] !== '-') && rows.every(r => r[c] === '-' || typeof r[c] === 'number' || /^[\d.]+( ?[A-Za-z%]+)?$/.test(String(r[c]))))
  return cells.map(r => r.map((cell, c) => numeric[c] === true ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n')
}

export function formatBytes (bytes: number | null): string {
  if (bytes === null) return '-'
  const units = ['B', 'KiB', 'MiB', 'GiB']
  let v = bytes
  let u = 0
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`
}
