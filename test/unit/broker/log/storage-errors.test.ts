import { open, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../protocol/errors.js';
import { asStorageError, LogStorageError } from '../../../../broker/log/log-errors.js';

describe('storage errors under the log', () => {
  it('turns an error from a file-system call into 56 KAFKA_STORAGE_ERROR', async () => {
    // Real errors from real calls: EISDIR reading a directory, EBADF writing a closed handle.
    const readError = await readFile('/').catch((error: unknown) => error);
    const handle = await open('/dev/null', 'r');
    await handle.close();
    const writeError = await handle.write(Buffer.from('x')).catch((error: unknown) => error);
    for (const error of [readError, writeError]) {
      const storage = asStorageError(error);
      expect(storage).toBeInstanceOf(LogStorageError);
      expect(storage!.code).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    }
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      errno: -28,
      syscall: 'write',
    });
    expect(asStorageError(full)?.message).toMatch(/no space left/);
  });

  it('leaves other errors alone (they stay -1 UNKNOWN_SERVER_ERROR)', () => {
    expect(asStorageError(new TypeError('bug'))).toBeUndefined();
    expect(asStorageError(Object.assign(new Error('x'), { code: 'ERR_SOMETHING' }))).toBeUndefined();
    expect(asStorageError('a string')).toBeUndefined();
  });
});
