// Where each device's socket lives. A real LWM2M server tells devices apart by source address and port, so every
// device gets a socket of its own: with a loopback server, devices fill 127.0.0.1 with `perAddress` ephemeral ports,
// then 127.0.0.2, 127.0.0.3, ... (Linux routes all of 127/8 to lo, no configuration needed); with a remote server
// they bind the wildcard address and the kernel picks the route. One socket is one file descriptor, so the fleet
// also checks RLIMIT_NOFILE before it starts.
import { readdirSync, readFileSync } from 'node:fs'
import { isIPv4 } from 'node:net'

export const WILDCARD = '0.0.0.0'

export function ipv4ToInt (address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0)
}

export function intToIpv4 (n: number): string {
  return `${Math.floor(n / 16777216) % 256}.${Math.floor(n / 65536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`
}

export function isLoopback (host: string): boolean {
  return host === 'localhost' || (isIPv4(host) && host.startsWith('127.'))
}

export interface Placement {
  /** First source address; WILDCARD binds every socket to 0.0.0.0. */
  readonly firstAddress: string
  /** Devices per source address before the next one is used (ignored for the wildcard). */
  readonly perAddress: number
}

/** The default placement for a server host: loopback addresses from 127.0.0.1 for a loopback server, else the wildcard. */
export function defaultPlacement (serverHost: string, perAddress = 10_000): Placement {
  return { firstAddress: isLoopback(serverHost) ? '127.0.0.1' : WILDCARD, perAddress }
}

export function sourceAddress (placement: Placement, index: number): string {
  if (placement.firstAddress === WILDCARD) return WILDCARD
  return intToIpv4(ipv4ToInt(placement.firstAddress) + Math.floor(index / placement.perAddress))
}

/** Problems with a placement for `count` devices (empty when fine). */
export function checkPlacement (placement: Placement, count: number): string[] {
  const problems: string[] = []
  if (!isIPv4(placement.firstAddress)) return [`source address ${placement.firstAddress} is not an IPv4 address`]
  if (placement.firstAddress === WILDCARD) {
    if (count > 28_000) problems.push(`${count} devices on one address exceed the ~28,000 ephemeral ports of Linux (net.ipv4.ip_local_port_range); give loopback source addresses or split the fleet`)
    return problems
  }
  if (placement.perAddress < 1 || placement.perAddress > 28_000) problems.push(`devices per address must be 1-28000 (the ephemeral port range), got ${placement.perAddress}`)
  const last = sourceAddress(placement, Math.max(0, count - 1))
  if (placement.firstAddress.startsWith('127.') && !last.startsWith('127.')) problems.push(`${count} devices at ${placement.perAddress} per address run past 127.255.255.255`)
  return problems
}

export interface DescriptorBudget {
  /** RLIMIT_NOFILE soft limit (Infinity when unknown). */
  readonly limit: number
  /** Descriptors open now. */
  readonly open: number
  /** What is left for device sockets after a reserve for the process itself. */
  readonly free: number
}

/** File descriptors this process can still open (Linux /proc; elsewhere unlimited as far as we can tell). */
export function descriptorBudget (reserve = 64): DescriptorBudget {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8')
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(limits)
    const limit = m === null || m[1] === 'unlimited' ? Infinity : Number(m[1])
    const open = readdirSync('/proc/self/fd').length
    return { limit, open, free: Math.max(0, limit - open - reserve) }
  } catch {
    return { limit: Infinity, open: 0, free: Infinity }
  }
}
