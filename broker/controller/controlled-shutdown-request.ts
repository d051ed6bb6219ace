import type { ControllerState } from '../../coordinator/controller-state.js';
import type { WatchEvent } from '../../coordinator/zk-session.js';
import type { TopicPartition } from '../../protocol/topic-partition.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ControllerRequestError } from './controller-errors.js';

/**
 * The shutting-down broker's side of a controlled shutdown: write the request node
 * (/admin/controlled_shutdown/<id>, an ephemeral of this session) and wait, on a data watch, for the
 * controller to answer "done". The node stays until the session closes, which keeps the broker out of
 * leader elections (and preferred-leader moves) for the rest of its shutdown.
 */
export async function awaitControlledShutdown(
  state: ControllerState,
  brokerId: number,
  timeoutMs: number,
): Promise<{ partitionsRemaining: TopicPartition[] }> {
  const deadline = Date.now() + timeoutMs;
  await state.requestControlledShutdown(brokerId);
  for (;;) {
    let fire!: (event: WatchEvent) => void;
    const changed = new Promise<WatchEvent>((resolve) => (fire = resolve));
    const request = await state.readControlledShutdownRequest(brokerId, fire);
    if (request === null)
      throw new ControllerRequestError(
        ErrorCode.REQUEST_TIMED_OUT,
        `controlled shutdown request of broker ${brokerId} was withdrawn before the controller answered`,
      );
    if (request.value.status === 'done') return { partitionsRemaining: request.value.partitionsRemaining };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
    });
    const outcome = await Promise.race([changed, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout')
      throw new ControllerRequestError(
        ErrorCode.REQUEST_TIMED_OUT,
        `no controller answered the controlled shutdown of broker ${brokerId} within ${timeoutMs} ms`,
      );
    if (outcome.type === 'sessionExpired')
      throw new ControllerRequestError(
        ErrorCode.REQUEST_TIMED_OUT,
        `ZooKeeper session expired during the controlled shutdown of broker ${brokerId}`,
      );
  }
}
