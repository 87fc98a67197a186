import { FleetlabError } from '../errors.ts'

/**
 * Why a datagram is not a CoAP message (RFC 7252 §3, §4.1: a message format error). The first ten are the
 * failure classes of `decode`; BAD_OPTION_VALUE comes only from the option helpers (a well-framed option whose
 * value breaks its own format, RFC 7252 §5.4.3), never from `decode`.
 */
export const coapMalformedReasons = [
  'TOO_SHORT',
  'BAD_VERSION',
  'BAD_TOKEN_LENGTH',
  'TRUNCATED_TOKEN',
  'BAD_OPTION_DELTA',
  'BAD_OPTION_LENGTH',
  'TRUNCATED_OPTION',
  'EMPTY_PAYLOAD_AFTER_MARKER',
  'BAD_CODE',
  'EMPTY_MESSAGE_NOT_EMPTY',
  'BAD_OPTION_VALUE',
] as const

export type CoapMalformedReason = (typeof coapMalformedReasons)[number]

/** A datagram that is not a well-formed CoAP message, or a message that cannot be encoded as one. */
export class CoapMalformedError extends FleetlabError {
  readonly reason: CoapMalformedReason

  constructor (reason: CoapMalformedReason, message: string) {
    super('FLEETLAB_COAP_MALFORMED', `malformed CoAP message (${reason}): ${message}`)
    this.name = 'CoapMalformedError'
    this.reason = reason
  }
}
