import { KafkaProtocolError } from '../protocol/errors.js';

/** The topic does not exist (and the producer does not create topics). Not retriable. */
export class UnknownTopicError extends Error {
  override readonly name = 'UnknownTopicError';
  readonly retriable = false;
  constructor(readonly topic: string) {
    super(`topic ${JSON.stringify(topic)} does not exist`);
  }
}

/** A record could not be delivered within delivery.timeout.ms. */
export class DeliveryTimeoutError extends Error {
  override readonly name = 'DeliveryTimeoutError';
  readonly retriable = false;
  constructor(
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(`record not acknowledged within delivery.timeout.ms (${timeoutMs} ms)`, options);
  }
}

/** The producer was closed before the record could be delivered. */
export class ProducerClosedError extends Error {
  override readonly name = 'ProducerClosedError';
  readonly retriable = false;
  constructor() {
    super('producer is closed');
  }
}

/** A record larger than batch.size-independent limits (message.max.bytes) or otherwise invalid. */
export class InvalidRecordError extends Error {
  override readonly name = 'InvalidRecordError';
  readonly retriable = false;
}

export { KafkaProtocolError };
