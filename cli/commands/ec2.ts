import type { Command } from 'commander';
import { z } from 'zod';
import { createLogger } from '../../lib/log.js';
import { duration, nonNegativeInt, opt, parseOptions, port } from '../options.js';
import { action } from '../run.js';
import { registerUserData } from './ec2-user-data.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** `ZONE`, `ZONE:TYPE` or `*:TYPE` → a capacity rule. */
const capacityRule = z.string().transform((v, ctx) => {
  const m = /^([^:\s]+)(?::([^:\s]+))?$/.exec(v);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: 'expected ZONE, ZONE:TYPE or *:TYPE' });
    return z.NEVER;
  }
  return { zone: m[1] === '*' ? undefined : m[1], instanceType: m[2] };
});

const Flags = z.object({
  port,
  host: z.string().min(1),
  dataDir: z.string().min(1),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { message: 'expected a region like us-east-1' }),
  zones: z.coerce.number().int().min(1, { message: 'expected 1-6 zones' }).max(6, { message: 'expected 1-6 zones' }),
  terminatedTtl: duration,
  killTimeout: duration,
  capacityError: z.array(capacityRule).default([]),
  throttle: nonNegativeInt,
  throttleRate: z.coerce.number({ message: 'expected calls per second' }).min(0, { message: 'expected calls per second ≥ 0' }),
  throttleActions: z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)),
  bootDelay: duration,
  failBoot: nonNegativeInt,
});

function registerEndpoint(ec2: Command): void {
  const cmd = ec2
    .command('endpoint')
    .description('serve the EC2 Query API on loopback: instances run their user data as local processes, each with its own IMDSv2')
    .addOption(opt('--port <n>', 'port to listen on (0 = a free port)', 'SHOAL_EC2_PORT').default('8095'))
    .addOption(opt('--host <host>', 'address to bind', 'SHOAL_EC2_HOST').default('127.0.0.1'))
    .addOption(opt('--data-dir <dir>', 'state and instance directories', 'SHOAL_EC2_DATA_DIR').default('.shoal/ec2'))
    .addOption(opt('--region <region>', 'the region simulated', 'AWS_REGION').default('us-east-1'))
    .addOption(opt('--zones <n>', 'Availability Zones (one subnet each)', 'SHOAL_EC2_ZONES').default('3'))
    .addOption(opt('--terminated-ttl <duration>', 'how long terminated instances stay visible', 'SHOAL_EC2_TERMINATED_TTL').default('1h'))
    .addOption(opt('--kill-timeout <duration>', 'SIGTERM → SIGKILL grace when terminating an instance', 'SHOAL_EC2_KILL_TIMEOUT').default('10s'))
    .option('--capacity-error <zone[:type]>', 'fault: RunInstances in ZONE (of TYPE; *:TYPE = every zone) fails InsufficientInstanceCapacity (repeatable)', collect)
    .option('--throttle <n>', 'fault: the next N calls fail RequestLimitExceeded', '0')
    .option('--throttle-rate <per-second>', 'fault: calls above this rate fail RequestLimitExceeded (0 = no limit)', '0')
    .option('--throttle-actions <list>', 'limit throttling to these actions (comma-separated)', '')
    .option('--boot-delay <duration>', 'fault: time each instance stays pending', '0s')
    .option('--fail-boot <n>', 'fault: the next N instances fail to boot (pending → terminated)', '0');

  cmd.action(
    action(async () => {
      const o = parseOptions(cmd, Flags);
      const log = createLogger('ec2');
      const { startEc2Endpoint } = await import('../../ec2/embedded.js');
      const instanceEnv: Record<string, string> = {};
      if (process.env.SHOAL_LOG_LEVEL) instanceEnv.SHOAL_LOG_LEVEL = process.env.SHOAL_LOG_LEVEL;
      const ep = await startEc2Endpoint(
        {
          host: o.host,
          port: o.port,
          dataDir: o.dataDir,
          region: o.region,
          zones: o.zones,
          terminatedTtlMs: o.terminatedTtl,
          killTimeoutMs: o.killTimeout,
          instanceEnv,
          faults: {
            capacity: o.capacityError,
            throttleNext: o.throttle,
            throttleRate: o.throttleRate,
            throttleActions: o.throttleActions,
            bootDelayMs: o.bootDelay,
            failBootNext: o.failBoot,
          },
        },
        { log },
      );
      process.stdout.write(`shoal ec2 endpoint ready at ${ep.url} (region ${ep.region}, zones ${ep.network.zones.map((z) => z.name).join(' ')})\n`);
      let stopping = false;
      const stop = (why: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ why }, 'stopping: terminating every instance');
        ep.close().then(
          () => process.exit(0),
          (err: unknown) => {
            log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    }),
  );
}

/** `shoal ec2 endpoint` and `shoal ec2 user-data`. */
export function registerEc2(program: Command): void {
  const ec2 = program.command('ec2').description('the embedded EC2 endpoint and the user data that boots app servers');
  registerEndpoint(ec2);
  registerUserData(ec2);
}
