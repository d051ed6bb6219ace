/**
 * The `code` of the error `action` throws, when it is a `type` (a Kafka or ZooKeeper error class);
 * undefined when nothing is thrown. Any other error is rethrown, so the test fails on it.
 */
export function thrownCode(
  action: () => unknown,
  type: abstract new (...args: never[]) => { code: number },
): number | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof type) return error.code;
    throw error;
  }
  return undefined;
}

/** `thrownCode` for an async action: the `code` of the error its promise rejects with. */
export async function thrownCodeAsync(
  action: () => Promise<unknown>,
  type: abstract new (...args: never[]) => { code: number },
): Promise<number | undefined> {
  try {
    await action();
  } catch (error) {
    if (error instanceof type) return error.code;
    throw error;
  }
  return undefined;
}
