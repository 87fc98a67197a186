// The NDJSON file store: one JSON line per observation record, appended to a file (the embedded default). The
// line says where the record came from (topic, partition, offset) and when it was sent and received, so a run's
// file can be checked by hand against the reconciliation.
import { isAbsolute } from 'node:path'
import { InvalidConfigError } from '../../../lib/errors.ts'
import { NdjsonWriter } from '../ndjson-writer.ts'
import type { Observation } from '../observation.ts'
import type { SinkStore, StoreFactory, StoreItem } from '../store.ts'

/** One line of the NDJSON file. `seq` and `sentAtMs` are null for an untraced record. */
export interface SinkLine {
  endpoint: string
  seq: number | null
  sentAtMs: number | null
  receivedAtMs: number
  topic: string
  partition: number
  offset: string
  values: Observation['values']
}

class FileStore implements SinkStore {
  readonly name = 'file'
  readonly input = 'observations' as const
  readonly rejected = 0
  readonly #writer: NdjsonWriter
  #last: Promise<void> | undefined

  constructor (writer: NdjsonWriter) {
    this.#writer = writer
  }

  add (item: StoreItem): Promise<void> | undefined {
    if (item.kind !== 'observation') return undefined
    const o = item.observation
    const line: SinkLine = {
      endpoint: o.endpoint,
      seq: o.trace?.seq ?? null,
      sentAtMs: o.trace?.sentAtMs ?? null,
      receivedAtMs: item.receivedAtMs,
      topic: item.topic,
      partition: item.partition,
      offset: item.offset,
      values: o.values,
    }
    return this.#writer.write(line)
  }

  /** Written to the file (handed to the kernel, not fsynced: a killed sink loses nothing the kernel has). */
  async flush (): Promise<void> {
    await (this.#last = this.#writer.flush())
  }

  async close (): Promise<void> {
    await this.#last
    await this.#writer.close()
  }
}

/** options: { outFile: absolute path }. */
export const createFileStore: StoreFactory = async options => {
  const outFile = options.outFile
  const unknown = Object.keys(options).filter(k => k !== 'outFile')
  const problems = unknown.map(k => `sink.options.${k}: unknown option of the file sink (allowed: outFile)`)
  if (typeof outFile !== 'string' || !isAbsolute(outFile)) problems.push(`sink.options.outFile: expected an absolute path, got ${JSON.stringify(outFile)}`)
  if (problems.length > 0) throw new InvalidConfigError(problems)
  return new FileStore(await NdjsonWriter.open(outFile as string))
}
