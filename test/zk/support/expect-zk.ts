import { expect } from 'vitest';
import type { ZooKeeperErrorName } from '../../../coordinator/zk-errors.js';

/** Asserts that `operation` fails with the named ZooKeeper error (and path, when given). */
export async function expectZooKeeperError(
  operation: Promise<unknown>,
  codeName: ZooKeeperErrorName,
  path?: string,
): Promise<void> {
  await expect(operation).rejects.toMatchObject(path === undefined ? { codeName } : { codeName, path });
}

/** Collects watch events so that a test can assert on exactly what arrived. */
export class EventLog<T> {
  readonly events: T[] = [];
  readonly listener = (event: T): void => {
    this.events.push(event);
  };
}
