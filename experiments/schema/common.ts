// The parts every kind of experiment shares: fleet, platform, sink, drain and thresholds, with the defaults that let a
// tiny file work (docs/experiments.md: an embedded platform, an LWM2M fleet, the NDJSON file sink).
import { isAbsolute, resolve } from 'node:path'
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import type { FleetConfig, NamedSinkChoice, PlatformChoice, SinkChoice, Threshold } from '../contracts.ts'
import { parseGeneratorSpec } from '../../simulator/generators.ts'
import type { GeneratorSpec } from '../../simulator/generators.ts'
import { sensorObjectIds } from '../../simulator/lwm2m/options.ts'
import { parseThresholds } from '../thresholds.ts'
import { count, duration, rate, strictObject } from '../../lib/schema/fields.ts'
import { bootstrapField, coapServerField, gatewayIdField, MAX_SERVICE_PORT, platformNameField, portField } from '../../lib/schema/net.ts'
import { MAX_PARTITIONS } from '../../platform/config.ts'
import { autoscalerSchema } from './autoscaler.ts'

/** Where relative file names in an experiment (replay CSVs, csv generators) are resolved: the experiment file's folder. */
export interface ParseContext {
  readonly baseDir: string
  readonly readFile: (absolutePath: string) => string
}

export function defaultContext (baseDir = process.cwd()): ParseContext {
  return { baseDir, readFile: file => readFileSync(file, 'utf8') }
}

export function resolveIn (ctx: ParseContext, file: string): string {
  return isAbsolute(file) ? file : resolve(ctx.baseDir, file)
}

const FORMATS = { 'senml-json': 110, 'senml-cbor': 112 } as const

export const platformSchema = strictObject({
  runtime: z.enum(['auto', 'docker', 'process']).default('auto'),
  name: platformNameField().optional(),
  external: strictObject({
    edgeBootstrap: bootstrapField(),
    cloudBootstrap: bootstrapField(),
    lwm2m: coapServerField(),
    gateway: gatewayIdField(),
  }).optional(),
  edgePort: portField(MAX_SERVICE_PORT).optional(),
  cloudPort: portField(MAX_SERVICE_PORT).optional(),
  lwm2mPort: portField().optional(),
  partitions: count(1, MAX_PARTITIONS, 'partitions').optional(),
}).default({}).transform((p): PlatformChoice => stripUndefined(p))

const objectEntry = strictObject({
  objectId: z.custom<number>(() => true).transform((v, ctx) => {
    if (typeof v !== 'number' || !(sensorObjectIds as readonly number[]).includes(v)) {
      ctx.addIssue({ code: 'custom', message: `expected an IPSO sensor object: ${sensorObjectIds.join(', ')}` })
      return z.NEVER
    }
    return v
  }),
  instances: count(1, 16, 'instances').default(1),
})

/** The fleet; `generators` (object id -> generator spec text, as in `fleetlab devices --generator`) needs the context for csv files. */
export function fleetSchema (ctx: ParseContext): z.ZodType<FleetConfig, z.ZodTypeDef, unknown> {
  return strictObject({
    protocol: z.literal('lwm2m').default('lwm2m'),
    maxDevicesPerGateway: count(1, 100_000, 'devices per gateway').default(5000),
    placement: z.enum(['fill-first', 'spread']).default('fill-first'),
    registrationRate: rate({ positive: true, what: 'registrations per second per gateway such as 1000/s' }).default('1000/s'),
    lifetime: duration({ min: 1000, wholeSeconds: true }).default('300s'),
    format: z.enum(['senml-cbor', 'senml-json']).default('senml-cbor'),
    objects: z.array(objectEntry).min(1, 'expected at least one sensor object').default([{ objectId: 3303, instances: 1 }]),
    generators: z.record(z.string(), z.string()).optional(),
    confirmable: z.boolean().default(false),
    endpointPrefix: z.string().regex(/^[A-Za-z0-9._:@-]{0,48}$/, 'expected up to 48 letters, digits and . _ : @ -').default('dev-'),
  }).default({}).transform((f, zctx): FleetConfig => {
    const ids = f.objects.map(o => o.objectId)
    ids.forEach((id, i) => { if (ids.indexOf(id) !== i) zctx.addIssue({ code: 'custom', message: `object ${id} is listed twice`, path: ['objects', i] }) })
    let generators: Partial<Record<number, GeneratorSpec>> | undefined
    if (f.generators !== undefined) {
      generators = {}
      for (const [key, text] of Object.entries(f.generators)) {
        const objectId = Number(key)
        if (!ids.includes(objectId)) {
          zctx.addIssue({ code: 'custom', message: `not one of the fleet's objects (${ids.join(', ')}); add it to fleet.objects`, path: ['generators', key] })
          continue
        }
        const parsed = parseGeneratorSpec(text, file => ctx.readFile(resolveIn(ctx, file)))
        for (const p of parsed.problems) zctx.addIssue({ code: 'custom', message: p, path: ['generators', key] })
        if (parsed.spec !== undefined) generators[objectId] = parsed.spec
      }
    }
    return {
      protocol: f.protocol,
      maxDevicesPerGateway: f.maxDevicesPerGateway,
      placement: f.placement,
      registrationRate: f.registrationRate,
      lifetimeS: f.lifetime / 1000,
      format: FORMATS[f.format],
      objects: f.objects,
      ...(generators !== undefined ? { generators } : {}),
      confirmable: f.confirmable,
      endpointPrefix: f.endpointPrefix,
    }
  })
}

/**
 * The sink: its store by name, how many consumer replicas start, and the processing cost per record (so consumers
 * saturate on a small machine and scaling shows). The store checks its own `options` when it starts.
 */
const sinkFields = {
  kind: z.enum(['file', 'influxdb', 'postgres']).default('file'),
  replicas: count(1, 256, 'replicas').default(1),
  cost: duration({ max: 10_000 }).default(0),
  costKind: z.enum(['wait', 'cpu']).default('wait'),
  sessionTimeout: duration({ min: 6000, max: 300_000 }).default('10s'),
  options: z.record(z.string(), z.unknown()).default({}),
}

function sinkChoice (s: { kind: SinkChoice['kind'], replicas: number, cost: number, costKind: 'wait' | 'cpu', sessionTimeout: number, options: Record<string, unknown> }): SinkChoice {
  return { kind: s.kind, replicas: s.replicas, ...(s.cost > 0 ? { cost: { ms: s.cost, kind: s.costKind } } : {}), sessionTimeoutMs: s.sessionTimeout, options: s.options }
}

/** The run's sink reads the observations: a postgres one writes them (table observations), not the registry. */
export const sinkSchema = strictObject(sinkFields).default({}).transform((s): SinkChoice => {
  const c = sinkChoice(s)
  return c.kind === 'postgres' ? { ...c, options: { ...c.options, observations: true } } : c
})

/**
 * More sinks, each its own consumer group: `{ name: 'registry', kind: 'postgres' }` keeps the device registry from
 * the registrations; `{ name: 'tsdb', kind: 'influxdb' }` writes the observations a second time.
 */
export const sinksSchema = z.array(strictObject({
  name: z.string().regex(/^[a-z][a-z0-9]{0,23}$/, 'expected up to 24 lowercase letters and digits, starting with a letter (it names the units sink-<name>-<n>)'),
  ...sinkFields,
})).max(8).default([]).transform((list, zctx): NamedSinkChoice[] => {
  list.forEach((s, i) => { if (list.findIndex(o => o.name === s.name) !== i) zctx.addIssue({ code: 'custom', message: `sink name ${JSON.stringify(s.name)} is used twice`, path: [i, 'name'] }) })
  return list.map(s => ({ ...sinkChoice(s), name: s.name, input: s.kind === 'postgres' && s.options.observations !== true ? 'registrations' : 'observations' }))
})

export const thresholdsSchema = z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}).transform((input, ctx): Threshold[] => {
  const { thresholds, problems } = parseThresholds(input)
  for (const p of problems) ctx.addIssue({ code: 'custom', message: p.message, path: [p.metric] })
  return thresholds
})

/** The fields besides `workload` that every kind has. */
export function commonShape (ctx: ParseContext) {
  return {
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected up to 64 letters, digits and . _ - (it names the run folder)').optional(),
    description: z.string().max(2000).optional(),
    seed: count(0, 0xffffffff, 'a seed').optional(),
    platform: platformSchema,
    fleet: fleetSchema(ctx),
    drain: duration({ max: 3_600_000 }).default('15s'),
    sink: sinkSchema,
    sinks: sinksSchema,
    autoscaler: autoscalerSchema.optional(),
    thresholds: thresholdsSchema,
  }
}

function stripUndefined<T extends object> (o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
}
