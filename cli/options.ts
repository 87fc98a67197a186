// Argument parsers shared by the commands' options: one rule for a whole number (lib/units.ts parseCount), and a
// bad value is a usage error (InvalidConfigError, exit 2) that names the flag.
import { InvalidConfigError } from '../lib/errors.ts'
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
export const portArg = (flag: string): (value: string) => number => countArg(flag, 1, 65534, 'a port 1-65534')
