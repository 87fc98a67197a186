// Which traced notifications a sink replica wrote, told to the runner batch by batch. With N replicas in one group
// and partitions moving between them on every rebalance, no replica sees all of a device's sequence numbers, and a
// batch re-delivered after a rebalance (or after a replica was killed before it committed) arrives at another
// replica: only one accountant that hears every replica counts delivered and duplicates exactly. The runner is that
// accountant (experiments/run/session.ts): a replica sends the batch's arrivals after its store has flushed and
// before the consumer commits the batch, so a record that is committed has always been told, and a record that was
// told but not committed comes again and counts as a duplicate.
//
// On the wire, one device's sequence numbers are inclusive ranges flattened into [start, end, start, end, ...]:
// a partition delivers a device's records in order, so a batch is mostly one range per device.
import type { Arrival, SequenceAccounting } from './accounting.ts'

/** Per endpoint, inclusive ranges of sequence numbers: [start0, end0, start1, end1, ...]. */
export type Arrivals = Record<string, number[]>

export class ArrivalCollector {
  #ranges = new Map<string, number[]>()
  #count = 0

  add (device: string, seq: number): void {
    this.#count++
    const r = this.#ranges.get(device)
    if (r === undefined) { this.#ranges.set(device, [seq, seq]); return }
    if (r[r.length - 1] === seq - 1) r[r.length - 1] = seq
    else r.push(seq, seq)
  }

  /** Sequence numbers collected since the last take. */
  get count (): number { return this.#count }

  /** What was collected, and a fresh start. */
  take (): Arrivals {
    const out = Object.fromEntries(this.#ranges)
    this.#ranges = new Map()
    this.#count = 0
    return out
  }
}

/** Problems with an `arrivals` payload from a unit (a unit is another process: its message is input). */
export function arrivalProblems (value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['arrivals: expected an object of endpoint -> ranges']
  const problems: string[] = []
  for (const [device, r] of Object.entries(value)) {
    if (!Array.isArray(r) || r.length % 2 !== 0 || !r.every(n => Number.isSafeInteger(n) && n >= 0)) {
      problems.push(`arrivals.${device}: expected [start, end, ...] of unsigned integers`)
      continue
    }
    for (let i = 0; i < r.length; i += 2) if (r[i]! > r[i + 1]!) problems.push(`arrivals.${device}[${i}]: range ${r[i]}..${r[i + 1]} runs backwards`)
  }
  return problems
}

/** Marks every arrival in `accounting`; how many were first arrivals and how many duplicates. */
export function recordArrivals (accounting: SequenceAccounting, arrivals: Arrivals): { delivered: number, duplicates: number } {
  let delivered = 0
  let duplicates = 0
  for (const [device, r] of Object.entries(arrivals)) {
    for (let i = 0; i < r.length; i += 2) {
      for (let seq = r[i]!; seq <= r[i + 1]!; seq++) {
        const a: Arrival = accounting.record(device, seq)
        if (a === 'delivered') delivered++
        else duplicates++
      }
    }
  }
  return { delivered, duplicates }
}
