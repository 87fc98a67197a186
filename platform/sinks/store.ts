// The one contract every sink store implements (house rule 1, docs/architecture.md: one small contract, a registry by name). A sink
// consumer (sink-unit.ts) reads records from the cloud Kafka, decodes them and hands each to its store with `add`;
// at the end of every fetched batch it awaits `flush` and only then lets the consumer commit the batch's offsets, so
// a record is committed only once it is written (at-least-once: a replica killed between flush and commit makes the
// next owner of the partition write the batch again; the accounting counts those as duplicates).
//
// A store never throws for one bad record: a record it cannot write is counted in `rejected` with its reason and
// told through the `event` the factory was given. `flush` throws only when the store as a whole cannot write
// (its server went away); the consumer then stops without committing, and the run names the store.
import type { Observation } from './observation.ts'

/** What a store reads: the observations topics (iot.<gw>.observations) or the registrations topics. */
export type StoreInput = 'observations' | 'registrations'

/** One decoded observation record, with where it came from and when the sink received it. */
export interface ObservationItem {
  readonly kind: 'observation'
  readonly observation: Observation
  readonly topic: string
  readonly partition: number
  readonly offset: string
  /** Wall clock when the consumer received it, epoch ms. */
  readonly receivedAtMs: number
}

/** One decoded registration record (zeelos AvroRegistrationResponse, platform/lwm2m-server/avro/types.ts). */
export interface RegistrationItem {
  readonly kind: 'registration'
  /** The decoded record as platform/lwm2m-server/avro/codec.ts registrationCodec gives it. */
  readonly record: unknown
  readonly topic: string
  readonly partition: number
  readonly offset: string
  readonly receivedAtMs: number
}

export type StoreItem = ObservationItem | RegistrationItem

export interface SinkStore {
  /** The registry name: 'file', 'influxdb', 'postgres'. */
  readonly name: string
  readonly input: StoreInput
  /** Buffers one item; may return a promise when its buffer is full (backpressure: the consumer waits). */
  add (item: StoreItem): Promise<void> | void
  /** Resolves once every item added so far is written where the store keeps it (file written, HTTP 204, COMMIT). */
  flush (): Promise<void>
  /** Flushes and releases files, sockets and pools. */
  close (): Promise<void>
  /** Items that could not be written (bad value for the store), by reason; never stops the store. */
  readonly rejected: number
}

/** What a factory gets: its options from the experiment (`sink.options`), and where to tell things. */
export interface StoreContext {
  /** Something worth an event line (kind 'sink.<store>.<what>'). */
  readonly event: (kind: string, detail: string) => void
  /** Wall clock, epoch ms. */
  readonly now: () => number
}

export type StoreFactory = (options: Record<string, unknown>, ctx: StoreContext) => Promise<SinkStore>
