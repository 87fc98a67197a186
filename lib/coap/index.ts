// A lean CoAP codec (RFC 7252 §3) with options (RFC 7641, RFC 7959) and message-layer state for many endpoints.
export * from './codes.ts'
export * from './errors.ts'
export * from './exchange.ts'
export * from './message.ts'
export * from './options.ts'
