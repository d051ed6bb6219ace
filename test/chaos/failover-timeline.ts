import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where a failover's time goes. Reads a chaos run's CHAOS_LOG_DIR (broker info logs, the client's
 * retries, the kills) and prints, per round that killed a partition leader, milliseconds after the
 * SIGKILL at which: the controller saw the broker gone (session expiry), a new controller was elected
 * (when the victim held the role), the new leader was written, the new leader's broker started leading,
 * the client last retried, and the first acknowledgement of a send begun after the kill arrived.
 *
 *   CHAOS_LOG_DIR=/tmp/chaos npx vitest run test/integration/cluster-chaos-short.test.ts
 *   npx tsx test/chaos/failover-timeline.ts /tmp/chaos
 */

interface LogLine {
  time: number;
  msg?: string;
  event?: string;
  [key: string]: unknown;
}

interface BrokerLine extends LogLine {
  broker: number;
}

function parseLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as LogLine];
      } catch {
        return [];
      }
    });
}

async function readRun(dir: string): Promise<{ scenario: LogLine[]; brokers: BrokerLine[] }> {
  const files = await readdir(dir);
  const scenario = parseLines(await readFile(join(dir, 'scenario.log'), 'utf8'));
  const brokers: BrokerLine[] = [];
  for (const file of files) {
    const match = /^broker-(\d+)-run\d+\.log$/.exec(file);
    if (!match) continue;
    const broker = Number(match[1]);
    for (const line of parseLines(await readFile(join(dir, file), 'utf8'))) brokers.push({ ...line, broker });
  }
  brokers.sort((a, b) => a.time - b.time);
  return { scenario, brokers };
}

/** Milliseconds after `from` of the first line at or after it matching `test`, or '-'. */
function after(from: number, lines: readonly LogLine[], test: (line: LogLine) => boolean): string {
  const found = lines.find((l) => l.time >= from && test(l));
  return found === undefined ? '-' : String(found.time - from);
}

export async function describeFailovers(dir: string): Promise<string[]> {
  const { scenario, brokers } = await readRun(dir);
  const out: string[] = [];
  for (const round of scenario.filter((l) => l.event === 'failover')) {
    const killedAt = Number(round.killedAt);
    const victim = Number(round.victim);
    const led = round.led as number[];
    const failover = round.failoverMs as number | undefined;
    if (led.length === 0 || failover === undefined) continue;
    const until = killedAt + failover + 1;
    const window = brokers.filter((l) => l.time >= killedAt && l.time <= until);
    const partitionKeys = led.map((p) => `chaos-acked-${p}`);
    const seen = after(
      killedAt,
      window,
      (l) => l.msg === 'live brokers changed' && (l.dead as number[]).includes(victim),
    );
    const elected = after(killedAt, window, (l) => l.msg === 'elected controller');
    const written = led.map((p) =>
      after(
        killedAt,
        window,
        (l) =>
          l.msg === 'partition state changed' &&
          l.topic === 'chaos-acked' &&
          l.partition === p &&
          (l.to as { leader: number }).leader !== victim,
      ),
    );
    const leading = partitionKeys.map((key) =>
      after(killedAt, window, (l) => l.msg === 'leading' && l.partition === key),
    );
    const retries = scenario
      .filter((l) => l.event === 'client' && l.time >= killedAt && l.time <= until)
      .map((l) => l.time - killedAt);
    out.push(
      `round ${String(round.round)}: killed ${victim} (leader of ${led.join(',')}): ` +
        `controller saw it gone +${seen}` +
        (elected !== '-' ? `, new controller +${elected}` : '') +
        `, leader written +${written.join('/')}, leading +${leading.join('/')}, ` +
        `client errors at +[${retries.join(',')}], acked +${failover}`,
    );
  }
  for (const round of scenario.filter((l) => l.event === 'controlled')) {
    const stoppedAt = Number(round.stoppedAt);
    const led = round.led as number[];
    const window = brokers.filter((l) => l.time >= stoppedAt && l.time <= Number(round.exitedAt) + 2_000);
    const leading = led.map((p) =>
      after(stoppedAt, window, (l) => l.msg === 'leading' && l.partition === `chaos-acked-${p}`),
    );
    out.push(
      `round ${String(round.round)}: SIGTERM ${String(round.victim)} (leader of ${led.join(',')}): ` +
        `controller done +${after(stoppedAt, window, (l) => l.msg === 'controlled shutdown done' && l.broker !== Number(round.victim))}, ` +
        `leading elsewhere +${leading.join('/')}, exited +${Number(round.exitedAt) - stoppedAt}, ` +
        `longest send ${String(round.unavailable)} ms`,
    );
  }
  return out;
}

if (process.argv[1]?.endsWith('failover-timeline.ts')) {
  const dir = process.argv[2];
  if (dir === undefined) {
    console.error('usage: tsx test/chaos/failover-timeline.ts CHAOS_LOG_DIR');
    process.exit(2);
  }
  for (const line of await describeFailovers(dir)) console.log(line);
}
