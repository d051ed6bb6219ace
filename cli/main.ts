#!/usr/bin/env node
import { Command } from 'commander';

const program = new Command();
program
  .name('sluice')
  .description('A Kafka-wire-compatible message broker coordinated by ZooKeeper')
  .version('0.1.0');

await program.parseAsync(process.argv);
