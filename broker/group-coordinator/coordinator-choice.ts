/**
 * Which live broker coordinates a group: a pure function of the group id and the sorted live broker
 * ids, so every broker with the same view of the cluster answers FindCoordinator the same way.
 */
export function coordinatorIdFor(groupId: string, liveBrokerIds: readonly number[]): number | null {
  if (liveBrokerIds.length === 0) return null;
  const sorted = [...liveBrokerIds].sort((a, b) => a - b);
  return sorted[groupHash(groupId) % sorted.length]!;
}

/** FNV-1a over the UTF-8 bytes: stable across processes and Node versions. */
export function groupHash(groupId: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(groupId, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
