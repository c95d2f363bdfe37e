import type { Command } from 'commander';
import { registerApp } from './app.js';
import { registerAutoscaler } from './autoscaler.js';
import { registerChaos } from './chaos.js';
import { registerDynamodb } from './dynamodb.js';
import { registerEc2 } from './ec2.js';
import { registerFuzz } from './fuzz.js';
import { registerIngest } from './ingest.js';
import { registerLoad } from './load.js';
import { registerProxy } from './proxy.js';
import { registerSeed } from './seed.js';
import { registerStatus } from './status.js';
import { registerTables } from './tables.js';
import { registerUp } from './up.js';

/** Each subcommand lives in its own file and adds itself to the program. */
export type Register = (program: Command) => void;

export const commands: Register[] = [
  registerApp,
  registerAutoscaler,
  registerChaos,
  registerDynamodb,
  registerEc2,
  registerFuzz,
  registerIngest,
  registerLoad,
  registerProxy,
  registerSeed,
  registerStatus,
  registerTables,
  registerUp,
];
