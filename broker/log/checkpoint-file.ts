import { open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Small state files in a partition directory, replaced atomically: write a temporary file, fsync it,
 * rename it over the old one, fsync the directory. A crash leaves either the old or the new content.
 */
export async function writeFileAtomically(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  await syncDirectory(dirname(path));
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The file's text, or null when it does not exist. */
export async function readOptionalFile(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export async function removeFileIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Writes without the fsync dance, for markers whose loss only costs a recovery scan. */
export async function writeFileQuickly(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}

/**
 * The offset files of a partition directory: one decimal offset in Kafka's checkpoint text layout
 * (version line, entry count, entries), so an operator can read them.
 */
export function formatOffsetCheckpoint(offset: bigint): string {
  return `0\n1\n${offset}\n`;
}

export function parseOffsetCheckpoint(text: string): bigint | null {
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines.length !== 3 || lines[0] !== '0' || lines[1] !== '1' || !/^\d+$/.test(lines[2]!)) return null;
  return BigInt(lines[2]!);
}
