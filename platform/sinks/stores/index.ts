// Sink stores by name (house rule 1, docs/architecture.md): an experiment's `sink.kind` picks one; an unknown name fails with the list.
import { InvalidConfigError } from '../../../lib/errors.ts'
import type { SinkStore, StoreContext, StoreFactory } from '../store.ts'
import { createFileStore } from './file.ts'
import { createInfluxStore } from './influxdb.ts'
import { createPostgresStore } from './postgres.ts'

export const storeFactories: Readonly<Record<string, StoreFactory>> = {
  file: createFileStore,
  influxdb: createInfluxStore,
  postgres: createPostgresStore,
}

export const storeNames = Object.keys(storeFactories)

export async function createStore (kind: string, options: Record<string, unknown>, ctx: StoreContext): Promise<SinkStore> {
  const factory = storeFactories[kind]
  if (factory === undefined) throw new InvalidConfigError([`sink.kind: unknown sink ${JSON.stringify(kind)} (choose one of: ${storeNames.join(', ')})`])
  return await factory(options, ctx)
}
