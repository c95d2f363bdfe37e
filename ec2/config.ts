import { z } from 'zod';
import { faultSettings } from './faults.js';
import { MAX_ZONES } from './network.js';

/** Everything `startEc2Endpoint` needs, validated once; the CLI and tests build it. */
export const ec2EndpointConfig = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(0),
  dataDir: z.string().min(1),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { message: 'expected a region like us-east-1' }).default('us-east-1'),
  zones: z.number().int().min(1).max(MAX_ZONES).default(3),
  terminatedTtlMs: z.number().int().min(0).default(60 * 60_000),
  killTimeoutMs: z.number().int().min(0).default(10_000),
  /** Instances without user data get no process and no metadata service: a 1,000-instance fleet for `bench:fleet`. */
  bareInstances: z.boolean().default(false),
  /** How often each Auto Scaling group's controller runs (besides right after each call that changes the group). */
  asgTickMs: z.number().int().min(10).default(1000),
  faults: faultSettings.partial().default({}),
  /** The shoal CLI script embedded user data execs (default: this build's dist/cli/shoal.js). */
  shoalCli: z.string().min(1).optional(),
  /** Passed to every instance process on top of its minimal environment. */
  instanceEnv: z.record(z.string(), z.string()).default({}),
});

export type Ec2EndpointConfig = z.output<typeof ec2EndpointConfig>;
export type Ec2EndpointConfigInput = z.input<typeof ec2EndpointConfig>;
