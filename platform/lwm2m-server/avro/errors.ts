import { FleetlabError } from '../../../lib/errors.ts'
import type { ErrorOptions } from '../../../lib/errors.ts'

/** A record that cannot be encoded with, or decoded as, one of our Avro schemas. */
export class AvroError extends FleetlabError {
  /** Full name of the record type, e.g. io.zeelos.leshan.avro.response.AvroResponseObserve. */
  readonly schema: string
  readonly topic: string | undefined

  constructor (schema: string, message: string, options: ErrorOptions & { topic?: string | undefined } = {}) {
    super('FLEETLAB_AVRO', `${schema}${options.topic !== undefined ? ` (topic ${options.topic})` : ''}: ${message}`, options)
    this.name = 'AvroError'
    this.schema = schema
    this.topic = options.topic
  }
}
