// InitProducerId (key 22), versions 0-4, for idempotent producers: a fresh producer id (epoch 0) from
// this broker's block of ids reserved in ZooKeeper. As Kafka does for a null transactional id, every
// call gets a new id; v3+'s producerId/producerEpoch (KIP-360 epoch bumps) are therefore not needed.
// Not implemented: transactions — a non-null transactional id is refused with 42 INVALID_REQUEST.
// Errors: 15 COORDINATOR_NOT_AVAILABLE when ZooKeeper cannot be reached (retriable).
import { ErrorCode } from '../../protocol/errors.js';
import { initProducerIdApi } from '../../protocol/messages/init-producer-id.js';
import { defineApiHandler } from './api-handler.js';

export const initProducerIdHandler = defineApiHandler(initProducerIdApi, {
  async handle(body, _context, broker) {
    const answer = (errorCode: number, producerId = -1n, producerEpoch = -1) => ({
      throttleTimeMs: 0,
      errorCode,
      producerId,
      producerEpoch,
    });
    if (body.transactionalId !== null) return answer(ErrorCode.INVALID_REQUEST);
    try {
      const producerId = await broker.producerIds.allocate();
      return answer(0, producerId, 0);
    } catch (error) {
      broker.logger.warn({ err: (error as Error).message }, 'producer id allocation failed');
      return answer(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
  },
});
