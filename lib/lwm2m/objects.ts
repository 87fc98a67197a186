// Object definitions, transcribed from the OMA LwM2M registry DDFs: LwM2M Server (1) and Device (3) at version 1.1,
// IPSO 3301 Illuminance, 3303 Temperature, 3304 Humidity, 3315 Barometer at version 1.1; and fleetlab's own trace
// object 33000 (see trace.ts). IPSO 1.1 leaves Sensor Value units to resource 5701, so `sensorUnits` is fleetlab's
// default for that resource (UCUM-style names as SenML uses them), not part of the DDF.
// The 1.1 Server DDF omits operations for resources 13..20; they are taken from the 1.2 DDF.
import type { ObjectDefinition, Operations, ResourceDefinition, ResourceType } from './model.ts'

/** [id, name, type, operations, flags, units?, range?]; flags: 'M' mandatory, '*' multiple instances. */
type Row = readonly [number, string, ResourceType | 'none', Operations, string, string?, string?]

function define (id: number, name: string, version: string, multiple: boolean, mandatory: boolean, rows: readonly Row[],
  extra: { urnClass?: 'oma' | 'ext' | 'x', sensorUnits?: string } = {}): ObjectDefinition {
  const resources = new Map<number, ResourceDefinition>()
  for (const [rid, rname, type, operations, flags, units, range] of rows) {
    resources.set(rid, {
      id: rid, name: rname, type, operations, multiple: flags.includes('*'), mandatory: flags.includes('M'),
      ...(units !== undefined && units !== '' ? { units } : {}),
      ...(range !== undefined ? { range } : {}),
    })
  }
  return {
    id, name, version, urn: `urn:oma:lwm2m:${extra.urnClass ?? 'oma'}:${id}:${version}`, multiple, mandatory, resources,
    ...(extra.sensorUnits !== undefined ? { sensorUnits: extra.sensorUnits } : {}),
  }
}

const server = define(1, 'LwM2M Server', '1.1', true, true, [
  [0, 'Short Server ID', 'integer', 'R', 'M', '', '1..65534'],
  [1, 'Lifetime', 'integer', 'RW', 'M', 's'],
  [2, 'Default Minimum Period', 'integer', 'RW', '', 's'],
  [3, 'Default Maximum Period', 'integer', 'RW', '', 's'],
  [4, 'Disable', 'none', 'E', ''],
  [5, 'Disable Timeout', 'integer', 'RW', '', 's'],
  [6, 'Notification Storing When Disabled or Offline', 'boolean', 'RW', 'M'],
  [7, 'Binding', 'string', 'RW', 'M'],
  [8, 'Registration Update Trigger', 'none', 'E', 'M'],
  [9, 'Bootstrap-Request Trigger', 'none', 'E', ''],
  [10, 'APN Link', 'objlnk', 'RW', ''],
  [11, 'TLS-DTLS Alert Code', 'unsigned', 'R', '', '', '0..255'],
  [12, 'Last Bootstrapped', 'time', 'R', ''],
  [13, 'Registration Priority Order', 'unsigned', 'R', ''],
  [14, 'Initial Registration Delay Timer', 'unsigned', 'RW', '', 's'],
  [15, 'Registration Failure Block', 'boolean', 'R', ''],
  [16, 'Bootstrap on Registration Failure', 'boolean', 'R', ''],
  [17, 'Communication Retry Count', 'unsigned', 'RW', ''],
  [18, 'Communication Retry Timer', 'unsigned', 'RW', '', 's'],
  [19, 'Communication Sequence Delay Timer', 'unsigned', 'RW', '', 's'],
  [20, 'Communication Sequence Retry Count', 'unsigned', 'RW', ''],
  [21, 'Trigger', 'boolean', 'RW', ''],
  [22, 'Preferred Transport', 'string', 'RW', ''],
  [23, 'Mute Send', 'boolean', 'RW', ''],
])

const device = define(3, 'Device', '1.1', false, true, [
  [0, 'Manufacturer', 'string', 'R', ''],
  [1, 'Model Number', 'string', 'R', ''],
  [2, 'Serial Number', 'string', 'R', ''],
  [3, 'Firmware Version', 'string', 'R', ''],
  [4, 'Reboot', 'none', 'E', 'M'],
  [5, 'Factory Reset', 'none', 'E', ''],
  [6, 'Available Power Sources', 'integer', 'R', '*', '', '0..7'],
  [7, 'Power Source Voltage', 'integer', 'R', '*'],
  [8, 'Power Source Current', 'integer', 'R', '*'],
  [9, 'Battery Level', 'integer', 'R', '', '%', '0..100'],
  [10, 'Memory Free', 'integer', 'R', ''],
  [11, 'Error Code', 'integer', 'R', 'M*', '', '0..8'],
  [12, 'Reset Error Code', 'none', 'E', ''],
  [13, 'Current Time', 'time', 'RW', ''],
  [14, 'UTC Offset', 'string', 'RW', ''],
  [15, 'Timezone', 'string', 'RW', ''],
  [16, 'Supported Binding and Modes', 'string', 'R', 'M'],
  [17, 'Device Type', 'string', 'R', ''],
  [18, 'Hardware Version', 'string', 'R', ''],
  [19, 'Software Version', 'string', 'R', ''],
  [20, 'Battery Status', 'integer', 'R', '', '', '0..6'],
  [21, 'Memory Total', 'integer', 'R', ''],
  [22, 'ExtDevInfo', 'objlnk', 'R', '*'],
])

/** The resources IPSO 1.1 gives every generic sensor object (3301, 3303, 3304, 3315 share them). */
function ipsoSensor (id: number, name: string, sensorUnits: string): ObjectDefinition {
  return define(id, name, '1.1', true, false, [
    [5700, 'Sensor Value', 'float', 'R', 'M'],
    [5601, 'Min Measured Value', 'float', 'R', ''],
    [5602, 'Max Measured Value', 'float', 'R', ''],
    [5603, 'Min Range Value', 'float', 'R', ''],
    [5604, 'Max Range Value', 'float', 'R', ''],
    [5701, 'Sensor Units', 'string', 'R', ''],
    [5605, 'Reset Min and Max Measured Values', 'none', 'E', ''],
    [5750, 'Application Type', 'string', 'RW', ''],
    [5518, 'Timestamp', 'time', 'R', ''],
    [6050, 'Fractional Timestamp', 'float', 'R', '', 's', '0..1'],
    [6042, 'Measurement Quality Indicator', 'integer', 'R', '', '', '0..23'],
    [6049, 'Measurement Quality Level', 'integer', 'R', '', '', '0..100'],
  ], { urnClass: 'ext', sensorUnits })
}

/** fleetlab trace object, in the range 32769..42768 that OMNA keeps for private, unregistered objects. */
export const TRACE_OBJECT_ID = 33000
export const TraceResource = { SEQUENCE: 0, SENT_AT_MS: 1, DEVICE_ID: 2 } as const

const trace = define(TRACE_OBJECT_ID, 'fleetlab trace', '1.0', false, false, [
  [TraceResource.SEQUENCE, 'Sequence', 'unsigned', 'R', 'M'],
  [TraceResource.SENT_AT_MS, 'Send Time ms', 'integer', 'R', 'M', 'ms'],
  [TraceResource.DEVICE_ID, 'Device ID', 'string', 'R', 'M'],
], { urnClass: 'x' })

export const standardObjects: readonly ObjectDefinition[] = [
  server,
  device,
  ipsoSensor(3301, 'Illuminance', 'lx'),
  ipsoSensor(3303, 'Temperature', 'Cel'),
  ipsoSensor(3304, 'Humidity', '%RH'),
  ipsoSensor(3315, 'Barometer', 'hPa'),
  trace,
]
