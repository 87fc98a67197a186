// Plain text tables for the terminal: used by cli/ (platform status, benches) and results/ (run comparisons),
// so it lives below both.

/** A plain text table: columns padded to the widest cell, numbers right-aligned. */
export function table (header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map(r => r.map(String))]
  const widths = header.map((_, c) => Math.max(...cells.map(r => (r[c] ?? '').length)))
  // '-' (no value) neither makes nor breaks a numeric column
  const numeric = header.map((_, c) => rows.some(r => r[c] !== '-') && rows.every(r => r[c] === '-' || typeof r[c] === 'number' || /^[\d.]+( ?[A-Za-z%]+)?$/.test(String(r[c]))))
  return cells.map(r => r.map((cell, c) => numeric[c] === true ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n')
}
