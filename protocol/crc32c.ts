import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/**
 * CRC-32C (Castagnoli), the checksum of magic-2 record batches. Native (SSE4.2/ARMv8 where present)
 * because the broker checks every produced batch and the follower every fetched one.
 * `initial` continues a running checksum over several slices without concatenating them.
 */
export function crc32c(data: Uint8Array, initial = 0): number {
  return nativeCrc32c(data, initial) >>> 0;
}
