// A fixed-size ring of the newest items: the bounded histories of the live views (dashboards/).

/** The newest `capacity` items pushed; pushing past it drops the oldest, in O(1). */
export class Ring<T> {
  readonly #items: T[] = []
  readonly #capacity: number
  #start = 0

  constructor (capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity: expected a whole number >= 1, got ${capacity}`)
    this.#capacity = capacity
  }

  get length (): number { return this.#items.length }

  push (item: T): void {
    if (this.#items.length < this.#capacity) { this.#items.push(item); return }
    this.#items[this.#start] = item
    this.#start = (this.#start + 1) % this.#capacity
  }

  /** The newest `n` items (all by default), oldest first. */
  last (n = this.#items.length): T[] {
    const all = this.#start === 0 ? this.#items.slice() : [...this.#items.slice(this.#start), ...this.#items.slice(0, this.#start)]
    return n >= all.length ? all : all.slice(all.length - n)
  }

  clear (): void {
    this.#items.length = 0
    this.#start = 0
  }
}
