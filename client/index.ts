export * from './client-errors.js';
export * from './api-version-negotiation.js';
export * from './kafka-connection.js';
export * from './connection-pool.js';
export * from './cluster-metadata.js';
export * from './broker-discovery.js';
export * from './kafka-client.js';
export * from './admin.js';
