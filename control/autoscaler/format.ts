/** 48200 -> "48,200"; rates keep one decimal below 10. */
export function formatCount (n: number): string {
  if (!Number.isFinite(n)) return String(n)
  const v = Math.abs(n) < 10 && !Number.isInteger(n) ? Math.round(n * 10) / 10 : Math.round(n)
  return v.toLocaleString('en-US')
}
