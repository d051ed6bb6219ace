/** The controller module's public surface (see controller.ts for the lifecycle). */
export {
  startController,
  type Controller,
  type ControllerEvents,
  type ControlledShutdownResult,
  type StartControllerOptions,
} from './controller.js';
export { ControllerRequestError, topicExistsError } from './controller-errors.js';
export { assignReplicasToBrokers, type ReplicaAssignmentOptions } from './replica-assignment.js';
export {
  checkTopicName,
  isReservedForInternalTopics,
  MAX_PARTITIONS_PER_TOPIC,
  planTopicAssignment,
  type CreateTopicOptions,
  type TopicDefaults,
} from './topic-plan.js';
