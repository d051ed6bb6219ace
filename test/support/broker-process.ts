import type { SpawnOptions } from 'node:child_process';
import { startSluice, type RunningProcess } from './processes.js';

export interface SluiceBrokerProcessOptions {
  id: number;
  port: number;
  logDir: string;
  /** ZooKeeper connection string. */
  zookeeper: string;
  /** More broker config (Kafka key names); wins over the four above. */
  overrides?: Record<string, string>;
  spawn?: SpawnOptions;
}

/**
 * `sluice broker --override …` as a real process on 127.0.0.1:<port>; resolves once it prints its
 * listening line (killed if it never does).
 */
export async function startSluiceBroker(options: SluiceBrokerProcessOptions): Promise<RunningProcess> {
  const config: Record<string, string> = {
    'broker.id': String(options.id),
    listeners: `PLAINTEXT://127.0.0.1:${options.port}`,
    'log.dirs': options.logDir,
    'zookeeper.connect': options.zookeeper,
    ...options.overrides,
  };
  const args = ['broker'];
  for (const [key, value] of Object.entries(config)) args.push('--override', `${key}=${value}`);
  const broker = startSluice(args, options.spawn);
  try {
    await broker.waitForOutput(`sluice broker ${config['broker.id']} listening on`, 60_000);
  } catch (error) {
    await broker.kill('SIGKILL');
    throw error;
  }
  return broker;
}
