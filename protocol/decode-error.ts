/**
 * Thrown when bytes on the wire cannot be decoded. `field` names what was being read and `offset` is the
 * byte position (within the buffer handed to the decoder) where reading it started, so a bad frame can be
 * logged in a way a person can act on.
 */
export class ProtocolDecodeError extends Error {
  override readonly name = 'ProtocolDecodeError';
  constructor(
    readonly reason: string,
    readonly field: string,
    readonly offset: number,
  ) {
    super(`cannot decode ${field} at byte ${offset}: ${reason}`);
  }
}

/** Thrown when a frame names an api key or version this codec has no declaration for. */
export class UnsupportedVersionError extends Error {
  override readonly name = 'UnsupportedVersionError';
  constructor(
    readonly apiKey: number,
    readonly apiVersion: number,
    readonly correlationId?: number,
  ) {
    super(`unsupported api key ${apiKey} version ${apiVersion}`);
  }
}

/** Thrown when a value handed to an encoder does not fit its declared wire type. */
export class ProtocolEncodeError extends Error {
  override readonly name = 'ProtocolEncodeError';
  constructor(
    readonly reason: string,
    readonly field: string,
  ) {
    super(`cannot encode ${field}: ${reason}`);
  }
}
