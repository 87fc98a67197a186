import type { KafkaClient, KafkaClientOptions } from './client.ts'
import { KafkaJsClient } from './kafkajs.ts'

export type { KafkaClient, KafkaClientOptions } from './client.ts'

export function createKafkaClient (options: KafkaClientOptions): KafkaClient {
  return new KafkaJsClient(options)
}
