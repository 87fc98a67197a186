// One error type for everything the LWM2M data layer rejects: bad paths, unknown objects, malformed payloads.
// A server counts rejections by `reason` (metric `lwm2m.rejected.<reason>`), so reasons are a stable list.
// Decoders throw nothing else on bad input: a malformed datagram is rejected with a reason, never a crash.
import { FleetlabError } from '../errors.ts'
import type { ErrorOptions } from '../errors.ts'

export const lwm2mFormatReasons = [
  // paths (LWM2M 1.1 §7.1 identifiers)
  'PATH_SYNTAX', 'PATH_ID_RANGE', 'PATH_LEVEL',
  // object model
  'UNKNOWN_OBJECT', 'UNKNOWN_RESOURCE', 'VALUE_TYPE', 'NODE_MISMATCH',
  // content formats
  'UNSUPPORTED_CONTENT_FORMAT', 'BAD_UTF8', 'EMPTY_PAYLOAD', 'TOO_LARGE',
  // OMA TLV (§7.4.3)
  'TLV_TRUNCATED', 'TLV_BAD_LENGTH', 'TLV_BAD_NESTING', 'TLV_BAD_VALUE', 'TLV_DUPLICATE_ID', 'TLV_ID_MISMATCH',
  // text/plain (§7.4.1)
  'TEXT_SYNTAX', 'TEXT_RANGE',
  // SenML (RFC 8428, §7.4.4/§7.4.5)
  'SENML_SYNTAX', 'SENML_NOT_ARRAY', 'SENML_BAD_RECORD', 'SENML_BAD_FIELD', 'SENML_MULTIPLE_VALUES',
  'SENML_MUST_UNDERSTAND', 'SENML_BAD_NAME', 'SENML_OUTSIDE_PATH', 'SENML_DUPLICATE', 'SENML_NO_VALUE',
  // CBOR (RFC 8949 subset used by SenML CBOR)
  'CBOR_TRUNCATED', 'CBOR_TRAILING', 'CBOR_UNSUPPORTED', 'CBOR_BAD_KEY',
  // CoRE link format (RFC 6690)
  'LINK_SYNTAX', 'LINK_BAD_QUOTE', 'LINK_BAD_ATTRIBUTE', 'LINK_BAD_PATH',
  // fleetlab trace convention (trace.ts)
  'TRACE_FORMAT', 'TRACE_INCOMPLETE',
] as const

export type Lwm2mFormatReason = (typeof lwm2mFormatReasons)[number]

export class Lwm2mFormatError extends FleetlabError {
  readonly reason: Lwm2mFormatReason
  constructor (reason: Lwm2mFormatReason, message: string, options: ErrorOptions = {}) {
    super('FLEETLAB_LWM2M_FORMAT', `${reason}: ${message}`, options)
    this.name = 'Lwm2mFormatError'
    this.reason = reason
  }
}

/** Which part of a path was wrong, for messages such as "resource id: 70000 is out of range". */
export type PathPart = 'path' | 'object id' | 'object instance id' | 'resource id' | 'resource instance id'

export class Lwm2mPathError extends Lwm2mFormatError {
  readonly part: PathPart
  readonly input: string
  constructor (reason: 'PATH_SYNTAX' | 'PATH_ID_RANGE' | 'PATH_LEVEL', part: PathPart, input: string, message: string) {
    super(reason, `${part} in ${JSON.stringify(input)}: ${message}`)
    this.name = 'Lwm2mPathError'
    this.part = part
    this.input = input
  }
}

/** An object or resource the registry does not define (model.ts). */
export class Lwm2mModelError extends Lwm2mFormatError {
  readonly objectId: number
  readonly resourceId: number | undefined
  constructor (objectId: number, resourceId?: number) {
    super(resourceId === undefined ? 'UNKNOWN_OBJECT' : 'UNKNOWN_RESOURCE',
      resourceId === undefined ? `object ${objectId} is not in the object registry` : `object ${objectId} has no resource ${resourceId}`,
      { hint: 'add its definition with registry.add(...) (lib/lwm2m/model.ts)' })
    this.name = 'Lwm2mModelError'
    this.objectId = objectId
    this.resourceId = resourceId
  }
}

export function isLwm2mFormatError (err: unknown): err is Lwm2mFormatError {
  return err instanceof Lwm2mFormatError
}
