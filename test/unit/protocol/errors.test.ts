import { createRequire } from 'node:module';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ErrorCode,
  KAFKA_ERRORS,
  KafkaProtocolError,
  errorByCode,
  errorByName,
} from '../../../protocol/errors.js';

const require = createRequire(import.meta.url);
const kafkajsErrors = require('kafkajs/src/protocol/error.js') as {
  errorCodes: { type: string; code: number; retriable: boolean }[];
};

describe('Kafka error table', () => {
  it('has unique codes and names covering -1..128 without gaps', () => {
    const codes = KAFKA_ERRORS.map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(new Set(KAFKA_ERRORS.map((e) => e.name)).size).toBe(codes.length);
    for (let c = -1; c <= 128; c++) expect(errorByCode(c), `code ${c}`).toBeDefined();
  });

  it("names exactly the table's codes in ErrorCode, entry by entry, as literal types", () => {
    expect(Object.entries(ErrorCode)).toEqual(KAFKA_ERRORS.map((e) => [e.name, e.code]));
    expect(Object.isFrozen(ErrorCode)).toBe(true);
    expectTypeOf(ErrorCode.NONE).toEqualTypeOf<0>();
    expectTypeOf(ErrorCode.NOT_LEADER_OR_FOLLOWER).toEqualTypeOf<6>();
    expectTypeOf<'NO_SUCH_ERROR'>().not.toExtend<keyof typeof ErrorCode>();
  });

  it('knows the codes the broker relies on', () => {
    expect(ErrorCode.NONE).toBe(0);
    expect(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).toBe(3);
    expect(ErrorCode.NOT_LEADER_OR_FOLLOWER).toBe(6);
    expect(ErrorCode.NOT_COORDINATOR).toBe(16);
    expect(ErrorCode.ILLEGAL_GENERATION).toBe(22);
    expect(ErrorCode.REBALANCE_IN_PROGRESS).toBe(27);
    expect(ErrorCode.UNSUPPORTED_VERSION).toBe(35);
    expect(ErrorCode.TOPIC_ALREADY_EXISTS).toBe(36);
    expect(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE).toBe(76);
    expect(errorByName('OFFSET_OUT_OF_RANGE')?.code).toBe(1);
    expect(errorByName('NO_SUCH_ERROR')).toBeUndefined();
  });

  it('agrees with kafkajs on retriability for every code both know', () => {
    let compared = 0;
    const differences: string[] = [];
    for (const theirs of kafkajsErrors.errorCodes) {
      const ours = errorByCode(theirs.code);
      if (!ours) continue;
      compared++;
      if (ours.retriable !== theirs.retriable) differences.push(`${theirs.code} ${ours.name}`);
    }
    expect(compared).toBeGreaterThan(80);
    expect(differences).toEqual([]);
  });

  it('KafkaProtocolError carries code, name and retriable', () => {
    const e = new KafkaProtocolError(ErrorCode.NOT_LEADER_OR_FOLLOWER, '(partition 3)');
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe(6);
    expect(e.name).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(e.retriable).toBe(true);
    expect(e.message).toContain('(partition 3)');
    const r = KafkaProtocolError.fromName('REBALANCE_IN_PROGRESS');
    expect(r.code).toBe(27);
    expect(r.retriable).toBe(false);
    const unknown = new KafkaProtocolError(9999);
    expect(unknown.name).toBe('UNKNOWN_ERROR_CODE');
    expect(unknown.retriable).toBe(false);
  });
});
