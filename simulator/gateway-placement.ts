// How a fleet is split over virtual gateways (runtime units that each host up to maxPerGateway devices), and where
// each gateway's devices bind. Pure functions: the runner sizes and targets the gateways with them, each gateway
// derives its own source addresses with them.
//
// Policies (FleetConfig.placement):
//   fill-first  gateway 0 up to the cap, then gateway 1, ... (EMU-IoT's policy: as few busy gateways as possible);
//   spread      as even as possible over all gateways (the first `total mod gateways` get one more).
// Either way a gateway's devices are the lowest indices of its share, so when the total shrinks a gateway's
// highest indices leave first (Fleet.setTarget) and a device that rejoins gets its old endpoint back.
//
// Source addresses: gateway g owns the block of ceil(maxPerGateway / perAddress) loopback addresses starting at
// firstAddress + g * that many, so no two gateways share an address (and perAddress stays a per-address bound
// across the whole run). With the defaults (127.0.0.1, 10,000 per address, 5,000 per gateway) gateway 0 binds
// 127.0.0.1, gateway 1 127.0.0.2, and so on. A wildcard placement (remote server) stays the wildcard.
import { WILDCARD, checkPlacement, intToIpv4, ipv4ToInt, sourceAddress } from './placement.ts'
import type { Placement } from './placement.ts'

export type GatewayPolicy = 'fill-first' | 'spread'

export interface PlaceOptions {
  readonly maxPerGateway: number
  readonly policy: GatewayPolicy
  readonly gateways: number
}

/** Gateways needed to host `peak` devices at `maxPerGateway` each (at least 1). */
export function gatewaysNeeded (peak: number, maxPerGateway: number): number {
  checkWhole('peak', peak, 0)
  checkWhole('maxPerGateway', maxPerGateway, 1)
  return Math.max(1, Math.ceil(peak / maxPerGateway))
}

/** Devices per gateway for a total target; throws when the gateways cannot hold it. */
export function placeDevices (total: number, options: PlaceOptions): number[] {
  const { maxPerGateway, policy, gateways } = options
  checkWhole('total', total, 0)
  checkWhole('maxPerGateway', maxPerGateway, 1)
  checkWhole('gateways', gateways, 1)
  if (total > maxPerGateway * gateways) {
    throw new RangeError(`${total} devices do not fit on ${gateways} gateway${gateways === 1 ? '' : 's'} of ${maxPerGateway}`)
  }
  if (policy === 'fill-first') {
    return Array.from({ length: gateways }, (_, g) => Math.min(maxPerGateway, Math.max(0, total - g * maxPerGateway)))
  }
  if (policy === 'spread') {
    const base = Math.floor(total / gateways)
    const extra = total % gateways
    return Array.from({ length: gateways }, (_, g) => base + (g < extra ? 1 : 0))
  }
  throw new RangeError(`unknown placement policy ${JSON.stringify(policy)} (use fill-first or spread)`)
}

/** The gateway number of a gateway whose devices start at global index `firstIndex` (GatewayConfig). */
export function gatewayNumber (firstIndex: number, maxPerGateway: number): number {
  return Math.floor(firstIndex / maxPerGateway)
}

/** The placement gateway `gateway` binds its devices with, from the run's placement (rule at the top). */
export function gatewayPlacement (run: Placement, gateway: number, maxPerGateway: number): Placement {
  if (run.firstAddress === WILDCARD) return run
  const block = Math.ceil(maxPerGateway / run.perAddress)
  return { firstAddress: intToIpv4(ipv4ToInt(run.firstAddress) + gateway * block), perAddress: run.perAddress }
}

/** Problems with the address blocks of `gateways` gateways (empty when fine). */
export function gatewayPlacementProblems (run: Placement, gateways: number, maxPerGateway: number): string[] {
  const problems = checkPlacement(run, maxPerGateway)
  if (problems.length > 0 || run.firstAddress === WILDCARD) return problems
  const last = sourceAddress(gatewayPlacement(run, gateways - 1, maxPerGateway), maxPerGateway - 1)
  if (run.firstAddress.startsWith('127.') && !last.startsWith('127.')) {
    problems.push(`gateway ${gateways - 1}: ${gateways} gateways of ${maxPerGateway} devices at ${run.perAddress} per address from ${run.firstAddress} run past 127.255.255.255`)
  }
  return problems
}

function checkWhole (name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${name} must be a whole number of at least ${min}, got ${value}`)
}
