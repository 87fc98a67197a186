// Loads the .avsc files beside this module into avsc types. Named types are referenced across files by full name,
// so the files are parsed in dependency order into one registry (a name must be defined before it is used).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import avsc from 'avsc'
import type { Type } from 'avsc'
import { projectRoot } from '../../../lib/home.ts'

/** Every schema file, each after the files whose names it uses. */
export const schemaFiles = [
  'avro-kafka-topic-partition-key.avsc',
  'avro-resource-kind.avsc',
  'avro-resource-type.avsc',
  'avro-resource.avsc',
  'avro-multiple-resource.avsc',
  'avro-instance-resource.avsc',
  'avro-object-resource.avsc',
  'avro-request-kind.avsc',
  'avro-response-payload.avsc',
  'avro-sensor-observation-response.avsc',
  'avro-sensor-management-response.avsc',
  'avro-sensor-management-request.avsc',
  'avro-registration-bnd.avsc',
  'avro-registration-link.avsc',
  'avro-registration-new.avsc',
  'avro-registration-update.avsc',
  'avro-registration-delete.avsc',
  'avro-sensor-registration-response.avsc',
] as const

export interface SchemaSet {
  /** Every named type (records, enums), by full name. */
  registry: Record<string, Type>
  /** The top-level type of each file. */
  byFile: Record<string, Type>
}

/** This folder, found from the project root rather than from `import.meta.url`: a unit runs from a bundle elsewhere. */
export const schemaDir = pathToFileURL(join(projectRoot, 'platform', 'lwm2m-server', 'avro') + '/')

/** Parses the schema files of `dir` (default: this folder) in order; the error names the file that failed. */
export function loadSchemas (dir: URL = schemaDir): SchemaSet {
  const registry: Record<string, Type> = {}
  const byFile: Record<string, Type> = {}
  for (const file of schemaFiles) {
    let schema: unknown
    try {
      schema = JSON.parse(readFileSync(new URL(file, dir), 'utf8'))
      byFile[file] = avsc.Type.forSchema(schema as avsc.Schema, { registry, wrapUnions: 'auto' })
    } catch (err) {
      throw new Error(`Avro schema ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
  }
  return { registry, byFile }
}

const CRC64_EMPTY = 0xc15d213aa4d7a795n
const crc64Table: bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i)
  for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (CRC64_EMPTY & -(fp & 1n))
  return fp
})

/** The schema's Parsing Canonical Form (Avro spec, "Schema Resolution / Parsing Canonical Form"). */
export function canonicalForm (type: Type): string {
  return JSON.stringify(type.schema())
}

/**
 * CRC-64-AVRO (Rabin) of the canonical form: the fingerprint of Avro's single-object encoding and of Java's
 * SchemaNormalization.parsingFingerprint64, as an unsigned 64-bit value.
 */
export function fingerprint64 (type: Type): bigint {
  let fp = CRC64_EMPTY
  for (const byte of Buffer.from(canonicalForm(type), 'utf8')) fp = (fp >> 8n) ^ crc64Table[Number((fp ^ BigInt(byte)) & 0xffn)]!
  return fp
}
