export * from './producer-state-table.js';
export * from './producer-state-snapshot.js';
export * from './partition-producer-state.js';
export * from './producer-states.js';
export * from './producer-id-blocks.js';
export * from './idempotent-append.js';
