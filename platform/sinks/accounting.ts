// Which traced notifications arrived (docs/architecture.md, measurement rules: sent = delivered + lost, duplicates counted).
// Devices number their notifications 0, 1, 2, ... (lib/lwm2m/trace.ts); the sink marks each sequence number it
// sees in a bitset per device. A number seen again is a duplicate: a CON notification retransmitted after a lost
// ACK (RFC 7252 §4.2) that the server published twice, or a Kafka batch delivered again after a rebalance.
//
// Memory: a device's bits live in chunks of CHUNK_BITS, allocated when a sequence number in them first arrives,
// so 20,000 devices with a few thousand notifications each take a few MB, and a stray huge sequence number costs
// one chunk instead of a bitset up to it.
import type { SinkReport } from './contract.ts'

const CHUNK_BITS = 1024
const CHUNK_SHIFT = 10
const WORDS_PER_CHUNK = CHUNK_BITS / 32

/** The outcome of one record: its first arrival, or a duplicate. */
export type Arrival = 'delivered' | 'duplicate'

class DeviceSequences {
  readonly #chunks = new Map<number, Uint32Array>()
  #lastIndex = -1
  #last: Uint32Array | undefined
  delivered = 0
  duplicates = 0
  maxSeq = -1

  /** Marks `seq`; true when it is new. */
  mark (seq: number): boolean {
    // Sequence numbers past 2^31 do not fit the bitwise ops below; Math.floor keeps them exact up to 2^53.
    const index = seq < 0x80000000 ? seq >>> CHUNK_SHIFT : Math.floor(seq / CHUNK_BITS)
    let chunk = index === this.#lastIndex ? this.#last : this.#chunks.get(index)
    if (chunk === undefined) {
      chunk = new Uint32Array(WORDS_PER_CHUNK)
      this.#chunks.set(index, chunk)
    }
    this.#lastIndex = index
    this.#last = chunk
    const bit = seq - index * CHUNK_BITS
    const word = bit >>> 5
    const mask = 1 << (bit & 31)
    if (seq > this.maxSeq) this.maxSeq = seq
    if ((chunk[word]! & mask) !== 0) {
      this.duplicates++
      return false
    }
    chunk[word] = chunk[word]! | mask
    this.delivered++
    return true
  }

  has (seq: number): boolean {
    const index = Math.floor(seq / CHUNK_BITS)
    const chunk = this.#chunks.get(index)
    if (chunk === undefined) return false
    const bit = seq - index * CHUNK_BITS
    return (chunk[bit >>> 5]! & (1 << (bit & 31))) !== 0
  }

  /** Sequence numbers below `below` that never arrived, at most `limit` of them. */
  missing (below: number, limit: number): number[] {
    const out: number[] = []
    for (let seq = 0; seq < below && out.length < limit; seq++) {
      const index = Math.floor(seq / CHUNK_BITS)
      if (!this.#chunks.has(index)) {
        const end = Math.min(below, (index + 1) * CHUNK_BITS)
        while (seq < end && out.length < limit) out.push(seq++)
        seq--
        continue
      }
      if (!this.has(seq)) out.push(seq)
    }
    return out
  }

  get chunks (): number { return this.#chunks.size }
}

export class SequenceAccounting {
  readonly #devices = new Map<string, DeviceSequences>()
  #delivered = 0
  #duplicates = 0

  /** Records that `seq` of `device` arrived. Throws RangeError for a sequence that is not an unsigned safe integer. */
  record (device: string, seq: number): Arrival {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`sequence of ${device} must be an unsigned integer, got ${seq}`)
    let d = this.#devices.get(device)
    if (d === undefined) {
      d = new DeviceSequences()
      this.#devices.set(device, d)
    }
    if (d.mark(seq)) {
      this.#delivered++
      return 'delivered'
    }
    this.#duplicates++
    return 'duplicate'
  }

  /** Devices seen so far. */
  get devices (): number { return this.#devices.size }
  /** Unique sequence numbers over all devices. */
  get delivered (): number { return this.#delivered }
  get duplicates (): number { return this.#duplicates }

  has (device: string, seq: number): boolean {
    return this.#devices.get(device)?.has(seq) ?? false
  }

  /** Sequence numbers of `device` below `sent` that never arrived (the lost ones once the run has drained), at most `limit`. */
  missing (device: string, sent: number, limit = 100): number[] {
    const d = this.#devices.get(device)
    if (d === undefined) return Array.from({ length: Math.min(sent, limit) }, (_, i) => i)
    return d.missing(sent, limit)
  }

  /** Bytes held by the bitsets (for the sink's own overhead). */
  get bitsetBytes (): number {
    let chunks = 0
    for (const d of this.#devices.values()) chunks += d.chunks
    return chunks * WORDS_PER_CHUNK * 4
  }

  /** Per device: unique sequence numbers, duplicates, highest sequence number. Endpoints sorted by name. */
  report (): SinkReport['devices'] {
    const out: Record<string, { delivered: number, duplicates: number, maxSeq: number }> = {}
    for (const name of [...this.#devices.keys()].sort()) {
      const d = this.#devices.get(name)!
      out[name] = { delivered: d.delivered, duplicates: d.duplicates, maxSeq: d.maxSeq }
    }
    return out
  }
}
