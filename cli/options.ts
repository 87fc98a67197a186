// Argument parsers shared by the commands' options, on the rules of lib (lib/units.ts parseCount, lib/schema/net.ts);
// a bad value is a usage error (InvalidConfigError, exit 2) that names the flag.
import { InvalidConfigError } from '../lib/errors.ts'
import { LISTEN_EXPECTED, MAX_SERVICE_PORT, parseListenAddress, portExpected } from '../lib/schema/net.ts'
import { parseCount } from '../lib/units.ts'

/** A whole number in [min, max]; `expected` says which in the error, such as "a port 1-65534". */
export function countArg (flag: string, min: number, max = Number.MAX_SAFE_INTEGER,
  expected = `a whole number >= ${min}`): (value: string) => number {
  return value => {
    const n = parseCount(value, min, max)
    if (n === undefined) throw new InvalidConfigError([`${flag}: expected ${expected}, got ${value}`])
    return n
  }
}

/** A port of a service the platform starts: 1-65534, so that port + 1 (a Kafka controller, InfluxDB's RPC) exists too. */
export const portArg = (flag: string): (value: string) => number => countArg(flag, 1, MAX_SERVICE_PORT, portExpected(1, MAX_SERVICE_PORT))

/** Where a server of ours listens (`--out web=:5665`); `fallback` when no address is given. */
export function listenArg (flag: string, value: string | undefined, fallback: string): { host: string, port: number } {
  const address = parseListenAddress(value ?? fallback)
  if (address === undefined) throw new InvalidConfigError([`${flag}=${value ?? ''}: expected ${LISTEN_EXPECTED}`])
  return address
}
