// The platform's datastores by name (types.ts has the contract): what `platform.datastores` in a config file or
// `platform up --datastores` names, what platformUp starts and `platform status` checks, and the URL a sink store
// is given for each.
import { influxdb, influxPorts, influxUrl } from './influxdb.ts'
import { postgres, postgresUrl } from './postgres.ts'
import { datastoreNames } from './types.ts'
import type { Datastore, DatastoreName } from './types.ts'

export { datastoreNames }
export type { Datastore, DatastoreName }

export const datastores: Readonly<Record<DatastoreName, Datastore>> = { influxdb, postgres }

export function isDatastoreName (name: string): name is DatastoreName {
  return (datastoreNames as readonly string[]).includes(name)
}

/** The URL a sink store of that kind takes as `sink.options.url`. */
export function datastoreUrl (name: DatastoreName, host: string, port: number): string {
  return name === 'influxdb' ? influxUrl(host, port) : postgresUrl(host, port)
}

/** Every TCP port the datastore binds on `port` (InfluxDB: HTTP and its RPC service on port + 1). */
export function datastorePorts (name: DatastoreName, port: number): Array<{ what: string, port: number }> {
  if (name === 'influxdb') {
    const p = influxPorts(port)
    return [{ what: 'http', port: p.http }, { what: 'rpc', port: p.rpc }]
  }
  return [{ what: 'sql', port }]
}
