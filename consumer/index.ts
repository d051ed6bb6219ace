export * from './assignors.js';
export * from './consumer.js';
export { FetchManager, type FetchOptions } from './fetch-manager.js';
export { GroupMembership, type OwnershipHandler, type GroupMembershipOptions } from './group-membership.js';
export * from './group-admin.js';
