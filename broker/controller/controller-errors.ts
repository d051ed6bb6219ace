import { ErrorCode } from '../../protocol/errors.js';

/**
 * A controller request (create topic, controlled shutdown) refused for a reason the caller can report
 * with a Kafka error code (INVALID_REPLICATION_FACTOR, TOPIC_ALREADY_EXISTS, …).
 */
export class ControllerRequestError extends Error {
  override readonly name = 'ControllerRequestError';

  constructor(
    /** Kafka error code (protocol/errors.ts ErrorCode). */
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** TOPIC_ALREADY_EXISTS, worded as Apache Kafka words it (its tools and clients show the text as is). */
export function topicExistsError(name: string): ControllerRequestError {
  return new ControllerRequestError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
}
