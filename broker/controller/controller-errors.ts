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
