// Typed errors with a stable code (house rule 6, docs/architecture.md). The CLI maps codes to exit codes and hints in one
// place (cli/exit-codes.ts); everything else only throws.

export const errorCodes = [
  'FLEETLAB_INVALID_CONFIG',
  'FLEETLAB_PORT_IN_USE',
  'FLEETLAB_SETUP_MISSING',
  'FLEETLAB_RUNTIME_UNAVAILABLE',
  'FLEETLAB_SERVICE_FAILED',
  'FLEETLAB_TIMEOUT',
  'FLEETLAB_PLATFORM_STATE',
  'FLEETLAB_KAFKA',
  'FLEETLAB_INTERRUPTED',
  'FLEETLAB_LWM2M_FORMAT',
  'FLEETLAB_COAP_MALFORMED',
  'FLEETLAB_AVRO',
  'FLEETLAB_RESULTS',
] as const

export type ErrorCode = (typeof errorCodes)[number]

export interface ErrorOptions {
  retriable?: boolean
  hint?: string
  cause?: unknown
}

export class FleetlabError extends Error {
  readonly code: ErrorCode
  readonly retriable: boolean
  readonly hint: string | undefined

  constructor (code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'FleetlabError'
    this.code = code
    this.retriable = options.retriable ?? false
    this.hint = options.hint
  }
}

/** A config file or flag is wrong. `problems` lists every problem found, each naming its field. */
export class InvalidConfigError extends FleetlabError {
  readonly problems: string[]
  constructor (problems: string[], options: ErrorOptions = {}) {
    super('FLEETLAB_INVALID_CONFIG', problems.length === 1 ? problems[0]! : `${problems.length} problems:\n  ${problems.join('\n  ')}`, options)
    this.name = 'InvalidConfigError'
    this.problems = problems
  }
}

export class PortInUseError extends FleetlabError {
  readonly ports: Array<{ service: string, port: number }>
  constructor (ports: Array<{ service: string, port: number }>) {
    super('FLEETLAB_PORT_IN_USE',
      `port${ports.length > 1 ? 's' : ''} already in use: ${ports.map(p => `${p.port} (${p.service})`).join(', ')}`,
      { hint: 'stop whatever listens there (ss -ltnp) or choose other ports with --edge-port / --cloud-port / --lwm2m-port' })
    this.name = 'PortInUseError'
    this.ports = ports
  }
}

export class SetupMissingError extends FleetlabError {
  constructor (message: string, hint = 'run: npm run setup') {
    super('FLEETLAB_SETUP_MISSING', message, { hint })
    this.name = 'SetupMissingError'
  }
}

export class RuntimeUnavailableError extends FleetlabError {
  constructor (message: string, options: ErrorOptions = {}) {
    super('FLEETLAB_RUNTIME_UNAVAILABLE', message, options)
    this.name = 'RuntimeUnavailableError'
  }
}

export class ServiceFailedError extends FleetlabError {
  readonly service: string
  constructor (service: string, message: string, options: ErrorOptions = {}) {
    super('FLEETLAB_SERVICE_FAILED', `${service}: ${message}`, options)
    this.name = 'ServiceFailedError'
    this.service = service
  }
}

export class TimeoutError extends FleetlabError {
  constructor (message: string, options: ErrorOptions = {}) {
    super('FLEETLAB_TIMEOUT', message, { retriable: true, ...options })
    this.name = 'TimeoutError'
  }
}

export class PlatformStateError extends FleetlabError {
  constructor (message: string, options: ErrorOptions = {}) {
    super('FLEETLAB_PLATFORM_STATE', message, options)
    this.name = 'PlatformStateError'
  }
}

export class KafkaError extends FleetlabError {
  constructor (message: string, options: ErrorOptions = {}) {
    super('FLEETLAB_KAFKA', message, { retriable: true, ...options })
    this.name = 'KafkaError'
  }
}

/** Ctrl-C or SIGTERM: the work stopped on purpose after cleaning up. */
export class InterruptedError extends FleetlabError {
  constructor (message = 'interrupted') {
    super('FLEETLAB_INTERRUPTED', message)
    this.name = 'InterruptedError'
  }
}

export function isFleetlabError (err: unknown): err is FleetlabError {
  return err instanceof FleetlabError
}
