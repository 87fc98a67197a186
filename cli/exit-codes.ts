import { InvalidConfigError, isFleetlabError } from '../lib/errors.ts'
import type { ErrorCode } from '../lib/errors.ts'

/** The one place where error codes become exit codes. Documented in docs/cli.md. */
export const exitCodes: Record<ErrorCode, number> = {
  FLEETLAB_INVALID_CONFIG: 2,
  FLEETLAB_PORT_IN_USE: 3,
  FLEETLAB_SETUP_MISSING: 4,
  FLEETLAB_RUNTIME_UNAVAILABLE: 5,
  FLEETLAB_SERVICE_FAILED: 6,
  FLEETLAB_TIMEOUT: 7,
  FLEETLAB_PLATFORM_STATE: 8,
  FLEETLAB_KAFKA: 9,
  FLEETLAB_INTERRUPTED: 130,
  FLEETLAB_LWM2M_FORMAT: 10,
  FLEETLAB_COAP_MALFORMED: 11,
  FLEETLAB_AVRO: 12,
  /** A results folder that is missing, incomplete in a way that matters, or from another format version. */
  FLEETLAB_RESULTS: 13,
}

export const EXIT_OK = 0
export const EXIT_UNEXPECTED = 1
export const EXIT_USAGE = 2
export const EXIT_INTERRUPTED = 130
/** A run finished but crossed one of its experiment's thresholds (like k6's 99). */
export const EXIT_THRESHOLDS = 99

/** Prints `error: ...` and the hint, returns the exit code. Unexpected errors keep their stack. */
export function reportError (err: unknown, stderr: (line: string) => void): number {
  if (isFleetlabError(err)) {
    if (err instanceof InvalidConfigError && err.problems.length > 1) {
      stderr(`error: ${err.problems.length} problems:`)
      for (const p of err.problems) stderr(`  - ${p}`)
    } else {
      stderr(`error: ${err.message}`)
    }
    if (err.hint !== undefined) stderr(`hint: ${err.hint}`)
    return exitCodes[err.code]
  }
  stderr(`unexpected error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
  return EXIT_UNEXPECTED
}
