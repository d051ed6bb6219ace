export * from './producer.js';
export * from './producer-options.js';
export * from './producer-batch.js';
export * from './producer-errors.js';
export * from './partitioner.js';
export * from './murmur2.js';
export type { TopicRoute } from './producer-routes.js';
