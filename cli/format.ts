// Formatting for terminal output: byte sizes here; text tables live in lib/table.ts (results/ uses them too).
export { table } from '../lib/table.ts'

export function formatBytes (bytes: number | null): string {
  if (bytes === null) return '-'
  const units = ['B', 'KiB', 'MiB', 'GiB']
  let v = bytes
  let u = 0
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`
}
