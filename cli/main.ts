#!/usr/bin/env -S node --initial-old-space-size=256
// The shebang passes the broker's V8 flags (cli/broker-node-flags.ts; a unit test keeps them in step).
import { Command } from 'commander';
import { registerCoordinatorCommand } from './commands/coordinator.js';
import { registerBrokerCommand } from './commands/broker.js';
import { registerTopicsCommand } from './commands/topics.js';
import { registerDevCommand } from './commands/dev.js';
import { registerProduceCommand } from './commands/produce.js';
import { registerConsumeCommand } from './commands/consume.js';
import { registerGroupsCommand } from './commands/groups.js';

const program = new Command();
program
  .name('sluice')
  .description('A Kafka-wire-compatible message broker coordinated by ZooKeeper')
  .version('0.1.0');

registerCoordinatorCommand(program);
registerBrokerCommand(program);
registerTopicsCommand(program);
registerDevCommand(program);
registerProduceCommand(program);
registerConsumeCommand(program);
registerGroupsCommand(program);

await program.parseAsync(process.argv);
