/**
 * Errors the partition log throws, each carrying the Kafka error code a request handler answers with.
 * Batch validation failures reuse protocol's CorruptRecordBatchError (code 2, CORRUPT_MESSAGE).
 */
export { CorruptRecordBatchError } from '../../protocol/record-batch-header.js';

export abstract class LogError extends Error {
  /** Kafka protocol error code. */
  abstract readonly code: number;
  abstract readonly errorName: string;
}

/** Code 1: the fetch offset is outside [logStartOffset, logEndOffset]. The client resets its offset. */
export class OffsetOutOfRangeError extends LogError {
  readonly code = 1;
  readonly errorName = 'OFFSET_OUT_OF_RANGE';
  constructor(
    readonly offset: bigint,
    readonly logStartOffset: bigint,
    readonly logEndOffset: bigint,
  ) {
    super(`offset ${offset} is outside the log [${logStartOffset}, ${logEndOffset}]`);
    this.name = 'OffsetOutOfRangeError';
  }
}

/** Code 10: a batch is larger than max.message.bytes. */
export class MessageTooLargeError extends LogError {
  readonly code = 10;
  readonly errorName = 'MESSAGE_TOO_LARGE';
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`record batch of ${size} bytes exceeds max.message.bytes ${limit}`);
    this.name = 'MessageTooLargeError';
  }
}

/**
 * Code -1 (UNKNOWN_SERVER_ERROR): a follower append whose offsets do not continue the log. It means
 * the replica must truncate (OffsetForLeaderEpoch) before fetching again; Kafka raises
 * UnexpectedAppendOffsetException internally for the same case.
 */
export class UnexpectedAppendOffsetError extends LogError {
  readonly code = -1;
  readonly errorName = 'UNKNOWN_SERVER_ERROR';
  constructor(
    readonly expected: bigint,
    readonly actual: bigint,
  ) {
    super(`append with offset ${actual} does not continue the log at ${expected}`);
    this.name = 'UnexpectedAppendOffsetError';
  }
}

/** Code 56 (KAFKA_STORAGE_ERROR): the log was closed or deleted; the replica is offline here. */
export class LogClosedError extends LogError {
  readonly code = 56;
  readonly errorName = 'KAFKA_STORAGE_ERROR';
  constructor(dir: string) {
    super(`partition log ${dir} is closed`);
    this.name = 'LogClosedError';
  }
}

/**
 * Code 56 (KAFKA_STORAGE_ERROR): a file-system call under the log failed — disk full (ENOSPC), quota
 * (EDQUOT), I/O error (EIO), read-only file system (EROFS) and the like. Kafka answers 56 for any
 * IOException on the log dir; the client retries, and the append succeeds once the disk recovers.
 */
export class LogStorageError extends LogError {
  readonly code = 56;
  readonly errorName = 'KAFKA_STORAGE_ERROR';
  constructor(readonly systemError: NodeJS.ErrnoException) {
    super(`storage error: ${systemError.message}`);
    this.name = 'LogStorageError';
  }
}

/** The error as a LogStorageError when it is Node's error from a system call (it names the syscall). */
export function asStorageError(error: unknown): LogStorageError | undefined {
  if (error instanceof LogStorageError) return error;
  if (!(error instanceof Error)) return undefined;
  const { code, syscall } = error as NodeJS.ErrnoException;
  return typeof code === 'string' && typeof syscall === 'string'
    ? new LogStorageError(error as NodeJS.ErrnoException)
    : undefined;
}
