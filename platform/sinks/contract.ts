// What a sink replica and the runner exchange over the control channel (lib/channel.ts): the `config` every replica
// of a sink gets and the `report` each sends when it ends. Here, below both: experiments/contracts.ts re-exports them.

/** `config` for a sink consumer replica (every replica of one sink gets the same). */
export interface SinkConfig {
  readonly bootstrap: readonly string[]
  /** Regular expression source of the topics to read, e.g. ^iot\..*\.observations$ */
  readonly topicPattern: string
  readonly groupId: string
  /** The store by its registry name (platform/sinks/stores/index.ts) and its options, e.g. file with { outFile }. */
  readonly store: { readonly kind: string, readonly options: Readonly<Record<string, unknown>> }
  /** Processing cost per record, so that consumers saturate on a small machine and scaling shows. */
  readonly cost?: { readonly ms: number, readonly kind: 'cpu' | 'wait' }
  /** See ConsumeOptions.sessionTimeoutMs (platform/kafka/client.ts). */
  readonly sessionTimeoutMs?: number
}

/** `report` of a sink after `finish`. */
export interface SinkReport {
  /** Per endpoint: unique sequence numbers received, duplicates, highest sequence seen. */
  readonly devices: Readonly<Record<string, { readonly delivered: number, readonly duplicates: number, readonly maxSeq: number }>>
  /** Records read, records without a trace, records that did not decode. */
  readonly records: number
  readonly untraced: number
  readonly undecodable: number
  /** Records the store could not write (a value the database refuses), counted and skipped. */
  readonly rejected?: number
}
