// Counters of the LWM2M server and its Kafka bridge (house rule 3, docs/architecture.md: services emit metrics, never result files).
// Names are dotted with the `lwm2m.` namespace; a reason or kind is the last segment (`lwm2m.malformed.TOO_SHORT`).
// Counters only grow; an output takes a snapshot every second and differences them into per-window rates.

export interface MetricsSnapshot {
  /** Epoch ms when the snapshot was taken. */
  at: number
  /** Monotonic totals since the server started. */
  counters: Record<string, number>
  /** Current values (registrations, observations, queued records). */
  gauges: Record<string, number>
}

export class Counters {
  readonly #values = new Map<string, number>()

  inc (name: string, n = 1): void {
    this.#values.set(name, (this.#values.get(name) ?? 0) + n)
  }

  get (name: string): number {
    return this.#values.get(name) ?? 0
  }

  /** The sum of every counter whose name starts with `prefix` (e.g. all `lwm2m.malformed.` reasons). */
  sum (prefix: string): number {
    let total = 0
    for (const [name, value] of this.#values) if (name.startsWith(prefix)) total += value
    return total
  }

  /** A copy, sorted by name so that two snapshots print alike. */
  snapshot (): Record<string, number> {
    return Object.fromEntries([...this.#values].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0))
  }
}
