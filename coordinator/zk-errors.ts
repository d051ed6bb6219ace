/**
 * ZooKeeper error codes with the names ZooKeeper itself uses (KeeperException.Code), so a caller writes
 * `isZooKeeperError(e, 'NODEEXISTS')` instead of comparing numbers.
 */
export const ZOOKEEPER_ERROR_CODES = {
  OK: 0,
  SYSTEMERROR: -1,
  RUNTIMEINCONSISTENCY: -2,
  DATAINCONSISTENCY: -3,
  CONNECTIONLOSS: -4,
  MARSHALLINGERROR: -5,
  UNIMPLEMENTED: -6,
  OPERATIONTIMEOUT: -7,
  BADARGUMENTS: -8,
  APIERROR: -100,
  NONODE: -101,
  NOAUTH: -102,
  BADVERSION: -103,
  NOCHILDRENFOREPHEMERALS: -108,
  NODEEXISTS: -110,
  NOTEMPTY: -111,
  SESSIONEXPIRED: -112,
  INVALIDCALLBACK: -113,
  INVALIDACL: -114,
  AUTHFAILED: -115,
} as const;

export type ZooKeeperErrorName = keyof typeof ZOOKEEPER_ERROR_CODES | 'UNKNOWN';

const NAME_BY_CODE = new Map<number, ZooKeeperErrorName>(
  Object.entries(ZOOKEEPER_ERROR_CODES).map(([name, code]) => [code, name as ZooKeeperErrorName]),
);

export function zooKeeperErrorName(code: number): ZooKeeperErrorName {
  return NAME_BY_CODE.get(code) ?? 'UNKNOWN';
}

/** Errors a caller may retry on a new connection or session (nothing was decided by the server). */
const RETRIABLE: ReadonlySet<ZooKeeperErrorName> = new Set(['CONNECTIONLOSS', 'OPERATIONTIMEOUT']);

export class ZooKeeperError extends Error {
  override readonly name = 'ZooKeeperError';
  readonly codeName: ZooKeeperErrorName;

  constructor(
    readonly code: number,
    readonly path: string | undefined,
    readonly operation: string,
  ) {
    const codeName = zooKeeperErrorName(code);
    super(`ZooKeeper ${operation}${path === undefined ? '' : ` ${path}`} failed: ${codeName} (${code})`);
    this.codeName = codeName;
  }

  /** True when the outcome is unknown (connection lost) and the caller may try again. */
  get retriable(): boolean {
    return RETRIABLE.has(this.codeName);
  }
}

/** A multi (transaction) that failed: `results[i]` is the error code of op i (0 before the failing op). */
export class ZooKeeperMultiError extends ZooKeeperError {
  constructor(
    code: number,
    path: string | undefined,
    readonly failedOpIndex: number,
    readonly resultCodes: number[],
  ) {
    super(code, path, `multi op ${failedOpIndex}`);
  }
}

export function isZooKeeperError(error: unknown, ...names: ZooKeeperErrorName[]): error is ZooKeeperError {
  return error instanceof ZooKeeperError && (names.length === 0 || names.includes(error.codeName));
}
