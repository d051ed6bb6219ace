import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdmin } from '../../client/admin.js';
import { runToEnd, startProcess } from '../support/processes.js';
import { startSingleBroker, type SingleBroker } from '../support/single-broker.js';
import { createTopicWithLeaders } from '../support/topic-with-leader.js';
import { waitFor } from '../support/wait.js';

/**
 * kcat (librdkafka) acting on partition errors in Fetch responses. A partition answered with an error
 * must still carry an empty record set: librdkafka rejects a response with a null one ("Read
 * underflow") and retries forever without ever seeing the error.
 */

const RECORDS = 10;
let broker: SingleBroker;
let admin: KafkaAdmin;

async function createTopicWithRecords(topic: string): Promise<void> {
  await createTopicWithLeaders(admin, { name: topic, numPartitions: 1 });
  const input = Array.from({ length: RECORDS }, (_, i) => `record-${i}\n`).join('');
  await runToEnd('kcat', ['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0'], {
    input,
    timeoutMs: 30_000,
  });
}

/** kcat consuming partition 0 from an offset far past the end, with the given reset policy. */
function consumeFromFarOffset(topic: string, reset: string) {
  return runToEnd(
    'kcat',
    [
      '-C',
      '-b',
      broker.bootstrap,
      '-t',
      topic,
      '-p',
      '0',
      '-o',
      '1000000',
      '-e',
      '-f',
      '%s\n',
      '-X',
      `auto.offset.reset=${reset}`,
    ],
    { timeoutMs: 20_000, allowFailure: true },
  );
}

beforeAll(async () => {
  broker = await startSingleBroker();
  admin = await KafkaAdmin.create({ bootstrapServers: [broker.bootstrap] });
  await createTopicWithRecords('reset');
});

afterAll(async () => {
  await admin?.close();
  await broker?.close();
});

describe('kcat acts on Fetch partition errors', () => {
  it('offset out of range with auto.offset.reset=earliest reads the 10 records', async () => {
    const { stdout, stderr } = await consumeFromFarOffset('reset', 'earliest');
    const lines = stdout.split('\n').filter((l) => l !== '');
    expect({ lines, stderr }).toEqual({
      lines: Array.from({ length: RECORDS }, (_, i) => `record-${i}`),
      stderr: expect.not.stringMatching(/underflow/i) as unknown,
    });
  });

  it('offset out of range with auto.offset.reset=latest reaches the end with nothing to read', async () => {
    const { code, stdout, stderr } = await consumeFromFarOffset('reset', 'latest');
    expect({ code, stdout, underflow: /underflow/i.test(stderr) }).toEqual({
      code: 0,
      stdout: '',
      underflow: false,
    });
  });

  it('offset out of range with auto.offset.reset=error reports "Broker: Offset out of range"', async () => {
    const kcat = startProcess('kcat', [
      '-C',
      '-b',
      broker.bootstrap,
      '-t',
      'reset',
      '-p',
      '0',
      '-o',
      '1000000',
      '-X',
      'auto.offset.reset=error',
    ]);
    try {
      await kcat.waitForOutput('Broker: Offset out of range', 10_000);
    } finally {
      await kcat.kill('SIGKILL');
    }
  });

  it('a consumed topic that is deleted is reported as unknown within 10 s', async () => {
    await createTopicWithRecords('doomed');
    const kcat = startProcess('kcat', [
      '-C',
      '-u',
      '-b',
      broker.bootstrap,
      '-t',
      'doomed',
      '-p',
      '0',
      '-o',
      'beginning',
    ]);
    try {
      await waitFor(() => kcat.stdout().split('\n').length > RECORDS, {
        timeoutMs: 20_000,
        what: 'kcat to read the records of doomed',
      });
      const deleted = await admin.deleteTopics(['doomed']);
      expect(deleted.filter((r) => r.error)).toEqual([]);
      await kcat.waitForOutput(/Unknown topic|Unknown partition/i, 10_000);
    } finally {
      await kcat.kill('SIGKILL');
    }
  });
});
