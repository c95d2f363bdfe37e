import type { Command } from 'commander';
import { registerDynamodb } from './dynamodb.js';
import { registerProxy } from './proxy.js';
import { registerStatus } from './status.js';
import { registerUp } from './up.js';

/** Each subcommand lives in its own file and adds itself to the program. */
export type Register = (program: Command) => void;

export const commands: Register[] = [
  registerDynamodb,
  registerProxy,
  registerStatus,
  registerUp,
];
