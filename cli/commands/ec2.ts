import type { Command } from 'commander';
import { z } from 'zod';
import { ShoalError } from '../../lib/errors.js';
import { createLogger } from '../../lib/log.js';
import { duration, nonNegativeInt, opt, parseOptions, port } from '../options.js';
import { action } from '../run.js';
import { stopOnSignals } from '../stop-on-signals.js';
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
  spotInterruptRate: z.coerce.number({ message: 'expected notices per Spot instance-hour' }).min(0, { message: 'expected notices per Spot instance-hour ≥ 0' }),
  spotNotice: duration,
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
    .option('--fail-boot <n>', 'fault: the next N instances fail to boot (pending → terminated)', '0')
    .option('--spot-interrupt-rate <per-hour>', 'fault: Spot interruption notices per Spot instance-hour, at random (0 = none; `shoal ec2 interrupt` issues one)', '0')
    .option('--spot-notice <duration>', 'time between a random notice and the termination (AWS: 2m)', '2m');

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
            spotInterruptRate: o.spotInterruptRate,
            spotNoticeMs: o.spotNotice,
          },
        },
        { log },
      );
      stopOnSignals(log, () => ep.close(), { message: 'stopping: terminating every instance' });
      process.stdout.write(`shoal ec2 endpoint ready at ${ep.url} (region ${ep.region}, zones ${ep.network.zones.map((z) => z.name).join(' ')})\n`);
    }),
  );
}

const InterruptFlags = z.object({
  endpoint: z.url({ message: 'expected the endpoint URL, e.g. http://127.0.0.1:8095' }),
  notice: duration,
  rebalance: z.boolean().optional(),
});

/** `shoal ec2 interrupt <id>`: a Spot interruption notice (or rebalance recommendation) through the admin API. */
function registerInterrupt(ec2: Command): void {
  const cmd = ec2
    .command('interrupt <instance-id>')
    .description('issue a Spot interruption notice to an instance of the embedded endpoint (terminated after --notice)')
    .addOption(opt('--endpoint <url>', 'the embedded endpoint', 'SHOAL_EC2_ENDPOINT').default('http://127.0.0.1:8095'))
    .option('--notice <duration>', 'time between the notice and the termination', '2m')
    .option('--rebalance', 'only a rebalance recommendation');
  cmd.action(
    action(async (id: string) => {
      const o = parseOptions(cmd, InterruptFlags);
      const what = o.rebalance ? 'rebalance' : 'interrupt';
      const res = await fetch(new URL(`/admin/instances/${encodeURIComponent(id)}/${what}`, o.endpoint), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ noticeMs: o.notice }),
      });
      const body = (await res.json()) as { error?: { code: string; message: string }; interruption?: { at: number } };
      if (body.error) throw new ShoalError(body.error.code, body.error.message, res.status);
      process.stdout.write(o.rebalance ? `${id}: rebalance recommendation issued\n` : `${id}: interruption notice issued, terminating at ${new Date(body.interruption!.at).toISOString()}\n`);
    }),
  );
}

/** `shoal ec2 endpoint`, `shoal ec2 user-data` and `shoal ec2 interrupt`. */
export function registerEc2(program: Command): void {
  const ec2 = program.command('ec2').description('the embedded EC2 endpoint and the user data that boots app servers');
  registerEndpoint(ec2);
  registerUserData(ec2);
  registerInterrupt(ec2);
}
