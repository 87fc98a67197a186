// TypeScript mirrors of the zeelos-compatible Avro records (the .avsc files beside this one), as avsc reads and
// writes them with wrapUnions 'auto':
// - a union of null and one other type is that type or null (`sms: string | null`);
// - a union with several records, or with both double and long, is wrapped: an object with one key, the branch's
//   full name (`{ 'io.zeelos.leshan.avro.resource.AvroResource': ... }`) or primitive name (`{ double: 21.5 }`),
//   which is also how the Avro JSON encoding and Kafka Connect's flattened field names spell the branch.
// `long` fields are JavaScript numbers (avsc refuses values past 2^53 rather than lose precision).

export const AvroNames = {
  AvroKey: 'io.zeelos.leshan.avro.AvroKey',
  AvroResource: 'io.zeelos.leshan.avro.resource.AvroResource',
  AvroMultipleResource: 'io.zeelos.leshan.avro.resource.AvroMultipleResource',
  AvroInstanceResource: 'io.zeelos.leshan.avro.resource.AvroInstanceResource',
  AvroObjectResource: 'io.zeelos.leshan.avro.resource.AvroObjectResource',
  AvroReadResponseBody: 'io.zeelos.leshan.avro.response.AvroReadResponseBody',
  AvroDiscoverResponse: 'io.zeelos.leshan.avro.response.AvroDiscoverResponse',
  AvroCreateResponse: 'io.zeelos.leshan.avro.response.AvroCreateResponse',
  AvroGenericResponse: 'io.zeelos.leshan.avro.response.AvroGenericResponse',
  AvroResponsePayload: 'io.zeelos.leshan.avro.response.AvroResponsePayload',
  AvroResponseObserve: 'io.zeelos.leshan.avro.response.AvroResponseObserve',
  AvroResponse: 'io.zeelos.leshan.avro.response.AvroResponse',
  AvroRequest: 'io.zeelos.leshan.avro.request.AvroRequest',
  AvroCreateRequest: 'io.zeelos.leshan.avro.request.AvroCreateRequest',
  AvroExecuteRequest: 'io.zeelos.leshan.avro.request.AvroExecuteRequest',
  AvroWriteAttributesRequest: 'io.zeelos.leshan.avro.request.AvroWriteAttributesRequest',
  AvroWriteRequest: 'io.zeelos.leshan.avro.request.AvroWriteRequest',
  AvroRegistrationResponse: 'io.zeelos.leshan.avro.registration.AvroRegistrationResponse',
  AvroRegistrationNew: 'io.zeelos.leshan.avro.registration.AvroRegistrationNew',
  AvroRegistrationUpdate: 'io.zeelos.leshan.avro.registration.AvroRegistrationUpdate',
  AvroRegistrationDelete: 'io.zeelos.leshan.avro.registration.AvroRegistrationDelete',
} as const

/** The record key of every topic: the endpoint name (avro-kafka-topic-partition-key.avsc). */
export interface AvroKey {
  ep: string
}

// io.zeelos.leshan.avro.resource

export type AvroResourceKind = 'OBJECT' | 'INSTANCE' | 'MULTIPLE_RESOURCE' | 'SINGLE_RESOURCE'
export type AvroType = 'STRING' | 'FLOAT' | 'INTEGER' | 'BOOLEAN' | 'OPAQUE' | 'TIME' | 'OBJLNK'

/** FLOAT -> double, INTEGER and TIME (ms since epoch) -> long, STRING, OBJLNK and OPAQUE (base64) -> string. */
export type AvroResourceValue = { string: string } | { double: number } | { long: number } | { boolean: boolean }

export interface AvroResource {
  id: number
  /** "/3303/0/5700"; "/3/0/7/1" for an instance of a multiple resource. */
  path: string
  kind: AvroResourceKind
  type: AvroType
  value: AvroResourceValue
}

export interface AvroMultipleResource {
  id: number
  path: string
  kind: AvroResourceKind
  type: AvroType
  /** Resource instances by their id as a string. */
  resources: Record<string, AvroResource>
}

export interface AvroInstanceResource {
  id: number
  kind: AvroResourceKind
  resources: AvroResource[]
  multipleResources: AvroMultipleResource[] | null
}

export interface AvroObjectResource {
  id: number
  kind: AvroResourceKind
  instances: AvroInstanceResource[]
}

export type AvroContent =
  | { 'io.zeelos.leshan.avro.resource.AvroObjectResource': AvroObjectResource }
  | { 'io.zeelos.leshan.avro.resource.AvroInstanceResource': AvroInstanceResource }
  | { 'io.zeelos.leshan.avro.resource.AvroResource': AvroResource }
  | { 'io.zeelos.leshan.avro.resource.AvroMultipleResource': AvroMultipleResource }

// io.zeelos.leshan.avro.request

export type AvroRequestKind = 'read' | 'write' | 'writeAttributes' | 'execute' | 'observe' | 'observeCancel' | 'delete' | 'discover' | 'create'
export type AvroContentFormat = 'TLV' | 'JSON_CODE' | 'TEXT_CODE' | 'OPAQUE_CODE' | 'LINK_CODE'
export type AvroWriteRequestMode = 'REPLACE' | 'UPDATE'

export interface AvroCreateRequest {
  instance: AvroInstanceResource
}

export interface AvroExecuteRequest {
  parameters: string
}

export interface AvroWriteAttributesRequest {
  /** Write-Attributes query, e.g. "pmin=10&pmax=60". */
  observeSpec: string
}

export interface AvroWriteRequest {
  mode: AvroWriteRequestMode
  node:
    | { 'io.zeelos.leshan.avro.resource.AvroObjectResource': AvroObjectResource }
    | { 'io.zeelos.leshan.avro.resource.AvroInstanceResource': AvroInstanceResource }
    | { 'io.zeelos.leshan.avro.resource.AvroResource': AvroResource }
}

export type AvroRequestBody =
  | null
  | { 'io.zeelos.leshan.avro.request.AvroCreateRequest': AvroCreateRequest }
  | { 'io.zeelos.leshan.avro.request.AvroExecuteRequest': AvroExecuteRequest }
  | { 'io.zeelos.leshan.avro.request.AvroWriteAttributesRequest': AvroWriteAttributesRequest }
  | { 'io.zeelos.leshan.avro.request.AvroWriteRequest': AvroWriteRequest }

export interface AvroRequestPayload {
  kind: AvroRequestKind
  path: string
  contentFormat: AvroContentFormat
  body: AvroRequestBody
}

/** A management command for a device, consumed from iot.<gw>.management.req (avro-sensor-management-request.avsc). */
export interface AvroRequest {
  serverId: string
  ep: string
  /** Correlates the reply on iot.<gw>.management.rep (and the notifications of an observe). */
  ticket: string
  payload: AvroRequestPayload
}

// io.zeelos.leshan.avro.response

export type AvroResponseCode =
  | 'CREATED' | 'DELETED' | 'CHANGED' | 'CONTENT' | 'BAD_REQUEST' | 'UNAUTHORIZED' | 'METHOD_NOT_ALLOWED' | 'FORBIDDEN'
  | 'NOT_FOUND' | 'NOT_ACCEPTABLE' | 'REQUEST_ENTITY_INCOMPLETE' | 'PRECONDITION_FAILED' | 'REQUEST_ENTITY_TOO_LARGE'
  | 'UNSUPPORTED_CONTENT_FORMAT' | 'INTERNAL_SERVER_ERROR' | 'UNKNOWN'

export interface AvroReadResponseBody {
  content: AvroContent
}

export interface AvroDiscoverResponse {
  /** CoRE link format, e.g. "</3/0>,</3/0/0>,</3/0/1>". */
  objectLinks: string
}

export interface AvroCreateResponse {
  location: string
}

export interface AvroGenericResponse {
  message: string
}

export type AvroResponseBody =
  | null
  | { 'io.zeelos.leshan.avro.response.AvroReadResponseBody': AvroReadResponseBody }
  | { 'io.zeelos.leshan.avro.response.AvroDiscoverResponse': AvroDiscoverResponse }
  | { 'io.zeelos.leshan.avro.response.AvroCreateResponse': AvroCreateResponse }
  | { 'io.zeelos.leshan.avro.response.AvroGenericResponse': AvroGenericResponse }

export interface AvroResponsePayload {
  code: AvroResponseCode
  kind: AvroRequestKind
  body: AvroResponseBody
}

/** A notification, published to iot.<gw>.observations (avro-sensor-observation-response.avsc). */
export interface AvroResponseObserve {
  ticket: string
  observationId: string
  serverId: string
  ep: string
  path: string
  /** ms since epoch. */
  timestamp: number
  rep: AvroResponsePayload
}

/** A management reply, published to iot.<gw>.management.rep (avro-sensor-management-response.avsc). */
export interface AvroResponse {
  ticket: string
  serverId: string
  ep: string
  path: string
  timestamp: number
  rep: AvroResponsePayload
}

// io.zeelos.leshan.avro.registration

export type AvroBnd = 'U' | 'UQ' | 'S' | 'SQ' | 'US' | 'UQS'
export type AvroRegistrationKind = 'NEW' | 'UPDATE' | 'DELETE'

export interface AvroLink {
  /** "/3303/0" */
  url: string
  /** Link attributes, e.g. { ver: "1.1" } or { rt: "\"oma.lwm2m\"" }. */
  at: Record<string, string>
}

export interface AvroRegistrationNew {
  ep: string
  serverId: string
  regDate: number
  address: string
  port: number
  regAddr: string
  regPort: number
  lt: number
  sms: string | null
  ver: string
  bnd: AvroBnd
  regId: string
  links: AvroLink[]
  attributes: Record<string, string> | null
  root: string
  lastUp: number
}

export interface AvroRegistrationUpdate {
  ep: string
  serverId: string
  regId: string
  address: string
  port: number
  lt: number | null
  sms: string | null
  bnd: AvroBnd | null
  links: AvroLink[] | null
  attributes: Record<string, string> | null
  lastUp: number
}

export interface AvroRegistrationDelete {
  ep: string
  serverId: string
  expired: boolean
  lastUp: number
}

/** A registration event, published to iot.<gw>.registrations (avro-sensor-registration-response.avsc). */
export type AvroRegistrationResponse =
  | { kind: 'NEW', body: { 'io.zeelos.leshan.avro.registration.AvroRegistrationNew': AvroRegistrationNew } }
  | { kind: 'UPDATE', body: { 'io.zeelos.leshan.avro.registration.AvroRegistrationUpdate': AvroRegistrationUpdate } }
  | { kind: 'DELETE', body: { 'io.zeelos.leshan.avro.registration.AvroRegistrationDelete': AvroRegistrationDelete } }
