import type { Command } from 'commander';
import { registerStatus } from './status.js';
import { registerUp } from './up.js';

/** Each subcommand lives in its own file and adds itself to the program. */
export type Register = (program: Command) => void;

export const commands: Register[] = [
  registerStatus,
  registerUp,
];
