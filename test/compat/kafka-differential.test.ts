import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaReference, type KafkaReference } from '../support/kafka-reference.js';
import {
  javaMissing,
  kafkaClasspath,
  KAFKA_VERSION,
  startToolDriver,
  type ToolDriver,
  type ToolResult,
} from '../support/kafka-tools.js';
import { projectRoot } from '../support/processes.js';
import { startSingleBroker, type SingleBroker } from '../support/single-broker.js';
import {
  knownDifferences,
  renderDifferencesTable,
  TABLE_END,
  TABLE_START,
} from './kafka-tools/differences.js';
import { comparedSteps, difference, normalise, runSteps, steps } from './kafka-tools/scenario.js';

/**
 * Differential: the same Apache Kafka tool commands (scenario.ts) against a real Kafka broker (KRaft,
 * from the Maven jars) and against sluice; outputs compared field by field once ids, hosts, ports and
 * column widths are set aside. Every difference is fixed or listed in differences.ts with its reason.
 */
const missing = javaMissing();
if (missing) console.warn(missing);

describe.skipIf(missing !== null)(`Apache Kafka ${KAFKA_VERSION} tools: sluice vs Kafka`, () => {
  let driver: ToolDriver;
  let kafka: KafkaReference;
  let sluice: SingleBroker;
  let onKafka: Map<string, ToolResult>;
  let onSluice: Map<string, ToolResult>;

  beforeAll(async () => {
    const classpath = await kafkaClasspath();
    driver = await startToolDriver(classpath);
    [kafka, sluice] = await Promise.all([
      startKafkaReference(driver, classpath),
      startSingleBroker({ overrides: { 'group.initial.rebalance.delay.ms': '0' } }),
    ]);
    // One driver JVM serves both clusters, one command at a time.
    onKafka = await runSteps(driver, classpath, kafka.bootstrap);
    onSluice = await runSteps(driver, classpath, sluice.bootstrap);
  }, 600_000);

  afterAll(async () => {
    await Promise.allSettled([driver?.close(), kafka?.close(), sluice?.close()]);
  });

  it('Kafka itself answers every step as the scenario expects (the reference is sane)', () => {
    const codes = Object.fromEntries(steps.map((s) => [s.name, onKafka.get(s.name)!.code]));
    const failing = ['topics-create-existing', 'topics-describe-missing'];
    for (const step of steps)
      expect([step.name, codes[step.name]]).toEqual([step.name, failing.includes(step.name) ? 1 : 0]);
    expect(onKafka.get('console-consumer-group')!.stderr).toContain('Processed a total of 6 messages');
    expect(onKafka.get('java-client')!.stdout).toContain('consumed 120 mismatched 0');
  });

  for (const step of comparedSteps) {
    const known = knownDifferences.find((d) => d.step === step.name);
    it(`${step.name}: ${step.command} — ${known ? 'differs as documented' : 'same as Kafka'}`, () => {
      const diff = difference(
        normalise(step, onKafka.get(step.name)!, kafka.bootstrap),
        normalise(step, onSluice.get(step.name)!, sluice.bootstrap),
      );
      if (known) {
        // A listed difference that disappeared is stale documentation: drop it from differences.ts.
        expect(diff, `${step.name} now matches Kafka: remove it from differences.ts`).not.toEqual([]);
      } else {
        expect(diff, `${step.name}: sluice's output differs from Kafka's`).toEqual([]);
      }
    });
  }

  it('lists differences only for steps that exist', () => {
    const names = new Set(comparedSteps.map((s) => s.name));
    expect(knownDifferences.map((d) => d.step).filter((n) => !names.has(n))).toEqual([]);
  });
});

it('docs/compatibility.md carries the differential table as differences.ts renders it', () => {
  const doc = readFileSync(join(projectRoot, 'docs', 'compatibility.md'), 'utf8');
  const start = doc.indexOf(TABLE_START);
  const end = doc.indexOf(TABLE_END);
  expect(start, 'table start marker').toBeGreaterThanOrEqual(0);
  expect(
    doc.slice(start, end + TABLE_END.length),
    'run `npx tsx test/compat/kafka-tools/render-differences.ts`',
  ).toBe(renderDifferencesTable(comparedSteps));
});
