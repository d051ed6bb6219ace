// DeleteTopics (key 20), versions 0-6: asks the controller (controller.deleteTopic, from any broker) to
// delete each topic; the active controller deletes the logs and znodes. Waits up to timeout_ms until the
// topic is gone from this broker's metadata. Errors: 3 UNKNOWN_TOPIC_OR_PARTITION, 73
// TOPIC_DELETION_DISABLED (delete.topic.enable=false), 7 REQUEST_TIMED_OUT (still being deleted),
// 100 UNKNOWN_TOPIC_ID (v6 by id: topic ids are not implemented).
import { ErrorCode } from '../../protocol/errors.js';
import type { DeleteTopicsResponse } from '../../protocol/index.js';
import { deleteTopicsApi } from '../../protocol/messages/delete-topics.js';
import type { BrokerServices } from '../broker-services.js';
import { ControllerRequestError } from '../controller/index.js';
import { defineApiHandler } from './api-handler.js';

type TopicResult = DeleteTopicsResponse['responses'][number];
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export const deleteTopicsHandler = defineApiHandler(deleteTopicsApi, {
  async handle(body, context, broker) {
    const names: Array<string | null> =
      context.header.apiVersion >= 6
        ? (body.topics ?? []).map((t) => t.name ?? null)
        : (body.topicNames ?? []);
    const deadline = Date.now() + Math.max(0, body.timeoutMs);
    const responses = await Promise.all(names.map((name) => deleteTopic(broker, name, deadline)));
    return { throttleTimeMs: 0, responses };
  },
});

async function deleteTopic(
  broker: BrokerServices,
  name: string | null,
  deadline: number,
): Promise<TopicResult> {
  const result = (errorCode: number, errorMessage: string | null = null): TopicResult => ({
    name,
    topicId: ZERO_UUID,
    errorCode,
    errorMessage,
  });
  if (name === null) return result(ErrorCode.UNKNOWN_TOPIC_ID, 'topic ids are not supported; name the topic');
  if (!broker.config.deleteTopicEnable) return result(ErrorCode.TOPIC_DELETION_DISABLED);
  try {
    await (await broker.controller).deleteTopic(name);
  } catch (error) {
    // UNKNOWN_TOPIC_OR_PARTITION when the topic does not exist.
    if (error instanceof ControllerRequestError) return result(error.code);
    broker.logger.error({ err: error, topic: name }, 'topic deletion request failed');
    return result(ErrorCode.UNKNOWN_SERVER_ERROR, (error as Error).message);
  }
  broker.logger.info({ topic: name }, 'topic deletion requested');
  const gone = await broker.metadata.waitForTopics(
    () => !broker.metadata.topics.has(name),
    deadline - Date.now(),
  );
  return gone ? result(0) : result(ErrorCode.REQUEST_TIMED_OUT, 'deletion requested but not finished');
}
