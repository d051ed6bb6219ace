import type { KafkaClient } from '../client/kafka-client.js';
import { UnsupportedApiError, isRetriable } from '../client/client-errors.js';
import { componentLogger } from '../log/logger.js';
import { KafkaProtocolError } from '../protocol/errors.js';
import { ApiKey } from '../protocol/messages/index.js';

const log = componentLogger('producer-id');

export interface ProducerIdentity {
  producerId: bigint;
  producerEpoch: number;
}

/**
 * The idempotent producer's identity: InitProducerId (no transactional id) from any broker, which
 * takes the id from a block reserved in ZooKeeper. `reset()` asks for a fresh id — needed when a batch's
 * fate is unknown or its sequence numbers were burned, so later batches do not collide with a gap.
 */
export class ProducerIdManager {
  private identity: ProducerIdentity | undefined;
  private pending: Promise<ProducerIdentity> | undefined;
  /** Bumped on every new identity, so callers can tell whether sequences must restart. */
  generation = 0;

  constructor(
    private readonly client: KafkaClient,
    private readonly retryBackoffMs: number,
    private readonly deadlineMs: number,
  ) {}

  get current(): ProducerIdentity | undefined {
    return this.identity;
  }

  ensure(): Promise<ProducerIdentity> {
    if (this.identity) return Promise.resolve(this.identity);
    this.pending ??= this.fetch().finally(() => (this.pending = undefined));
    return this.pending;
  }

  reset(): void {
    if (!this.identity) return;
    log.info({ producerId: String(this.identity.producerId) }, 'resetting producer id');
    this.identity = undefined;
  }

  private async fetch(): Promise<ProducerIdentity> {
    const deadline = Date.now() + this.deadlineMs;
    for (;;) {
      try {
        const connection = await this.client.anyConnection();
        if (connection.versionOf(ApiKey.InitProducerId) === undefined) {
          throw new UnsupportedApiError(
            connection.address,
            'InitProducerId (idempotence; pass idempotent: false)',
          );
        }
        const response = await connection.request(ApiKey.InitProducerId, {
          transactionalId: null,
          transactionTimeoutMs: 60_000,
          producerId: -1n,
          producerEpoch: -1,
        });
        if (response.errorCode !== 0) throw new KafkaProtocolError(response.errorCode, '(InitProducerId)');
        this.identity = { producerId: response.producerId, producerEpoch: response.producerEpoch };
        this.generation++;
        log.debug({ producerId: String(response.producerId), epoch: response.producerEpoch }, 'producer id');
        return this.identity;
      } catch (error) {
        if (!isRetriable(error) || Date.now() + this.retryBackoffMs > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, this.retryBackoffMs));
      }
    }
  }
}
