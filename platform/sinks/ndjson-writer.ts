// An append-only NDJSON file that respects backpressure: `write` returns a promise only when the stream's buffer
// is full, and the caller (the Kafka consumer) awaits it, so a slow disk pauses consumption instead of growing
// the process's memory without bound.
import { createWriteStream } from 'node:fs'
import type { WriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'

export class NdjsonWriter {
  readonly path: string
  readonly #stream: WriteStream
  #error: Error | undefined
  #lines = 0

  private constructor (path: string, stream: WriteStream) {
    this.path = path
    this.#stream = stream
    stream.on('error', err => { this.#error ??= err })
  }

  /** Opens `path` for appending (its folder is created), once the file is open. */
  static async open (path: string, options: { highWaterMark?: number } = {}): Promise<NdjsonWriter> {
    await mkdir(dirname(path), { recursive: true })
    const stream = createWriteStream(path, { flags: 'a', highWaterMark: options.highWaterMark ?? 1 << 20 })
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => { stream.off('error', reject); resolve() })
      stream.once('error', reject)
    })
    return new NdjsonWriter(path, stream)
  }

  get lines (): number { return this.#lines }

  /** Bytes buffered in memory, not yet handed to the file. */
  get buffered (): number { return this.#stream.writableLength }

  /** Appends one JSON line; undefined, or a promise when the buffer is full that resolves once it has drained. */
  write (value: unknown): Promise<void> | undefined {
    if (this.#error !== undefined) throw this.#error
    this.#lines++
    if (this.#stream.write(JSON.stringify(value) + '\n')) return undefined
    return new Promise((resolve, reject) => {
      const onDrain = (): void => { this.#stream.off('error', onError); resolve() }
      const onError = (err: Error): void => { this.#stream.off('drain', onDrain); reject(err) }
      this.#stream.once('drain', onDrain)
      this.#stream.once('error', onError)
    })
  }

  /** Resolves once everything written so far has been handed to the file (the stream's buffer is empty). */
  async flush (): Promise<void> {
    if (this.#error !== undefined) throw this.#error
    if (this.#stream.writableLength === 0) return
    // an empty write's callback runs after every write before it has completed
    await new Promise<void>((resolve, reject) => this.#stream.write('', err => { if (err != null) reject(err); else resolve() }))
  }

  /** Flushes everything written and closes the file. */
  async close (): Promise<void> {
    if (this.#stream.closed) return
    await new Promise<void>((resolve, reject) => {
      this.#stream.end((err?: Error | null) => { if (err != null) reject(err); else resolve() })
    })
    if (this.#error !== undefined) throw this.#error
  }
}
