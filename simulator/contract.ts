// What a virtual gateway (gateway.ts) and the runner exchange over the control channel (lib/channel.ts): the
// `config` each gateway gets and the `report` it sends after `finish`. Here, below both: experiments/contracts.ts
// re-exports them.
import type { Lwm2mDriverOptions } from './lwm2m/options.ts'
import type { Placement } from './placement.ts'

/** `config` for a gateway. Its devices have the global indices firstIndex .. firstIndex + maxDevices - 1. */
export interface GatewayConfig {
  readonly gateway: string
  readonly maxDevices: number
  readonly firstIndex: number
  /** Endpoint names are global: endpointName(prefix, globalIndex, totalDevices) from simulator/fleet.ts. */
  readonly endpointPrefix: string
  readonly totalDevices: number
  /** The driver's options; ratePerS is the starting rate, later `target` messages change it. */
  readonly driver: Lwm2mDriverOptions
  readonly placement: Placement
  readonly registrationRate: number
  readonly seed: number
}

/** `report` of a gateway after `finish`. */
export interface GatewayReport {
  readonly gateway: string
  /** Per endpoint: traced notifications sent (its sequence numbers are 0 .. sent - 1, across leave and rejoin). */
  readonly sent: Readonly<Record<string, number>>
  /** Whole-run counter totals (the same names as in the windows). */
  readonly counters: Readonly<Record<string, number>>
  readonly deregistered: { readonly clean: number, readonly unclean: number }
}
