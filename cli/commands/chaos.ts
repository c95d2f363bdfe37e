import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import { connectRedis, Fleet } from '../../fleet/index.js';
import { ConfigError, ShoalError } from '../../lib/errors.js';
import { createLogger } from '../../lib/log.js';
import { redact } from '../../lib/redact.js';
import { parseHours } from '../../chaos/monkey.js';
import { duration, fleetRedisUrl, nonNegativeInt, opt, parseOptions, positiveInt, positiveNumber, sentinelFlags } from '../options.js';
import type { ChaosContext } from '../../chaos/context.js';
import { action } from '../run.js';
import { readStack, stackPath } from '../stack/stack-file.js';

/** Where the chaos commands find the stack, and optionally its Redis through Sentinel. */
const redisTarget = {
  dataDir: z.string().min(1).default('.shoal'),
  redisSentinels: sentinelFlags.redisSentinels.schema,
  redisSentinelName: sentinelFlags.redisSentinelName.schema,
};
type RedisTarget = { dataDir: string; redisSentinels?: string[]; redisSentinelName: string };

function addRedisTargetOptions(cmd: Command): Command {
  return cmd
    .addOption(opt('--data-dir <dir>', 'the stack: its stack.json, written by shoal up', 'SHOAL_DATA_DIR'))
    .addOption(opt('--redis-sentinels <host:port,...>', "reach the stack's Redis through these Sentinels", 'REDIS_SENTINELS'))
    .addOption(opt('--redis-sentinel-name <name>', sentinelFlags.redisSentinelName.help, 'REDIS_SENTINEL_NAME').default('shoal'));
}

const RunSchema = z.object({
  ...redisTarget,
  journal: z.string().min(1).optional(),
  compare: z.boolean().default(false),
  rate: positiveNumber.optional(),
  warmup: duration.optional(),
  duration: duration.optional(),
});

/**
 * Runs `fn` against the stack `shoal up` recorded in `dataDir`: its Redis (reached or a 503
 * error), the chaos context, and an abort on SIGINT/SIGTERM that says `onSignal`.
 */
async function withStack(o: RedisTarget, name: string, onSignal: string, fn: (ctx: ChaosContext) => Promise<void>): Promise<void> {
  const stack = await readStack(o.dataDir);
  if (!stack?.proxy) throw new ConfigError(`invalid --data-dir: no running stack recorded at ${stackPath(o.dataDir)}; is shoal up running?`);
  const log = createLogger('chaos');
  // Sentinels given here win over the Redis URL the stack recorded
  const url = fleetRedisUrl(stack.redis.url, o);
  const redis = connectRedis(url, { name });
  await redis.ping().catch((err: Error) => {
    redis.disconnect();
    throw new ShoalError('SHOAL_ERR_REDIS_UNREACHABLE', `cannot reach Redis at ${redact(url)}: ${redact(err.message)}`, 503);
  });
  const abort = new AbortController();
  const stop = (sig: string) => {
    process.stderr.write(`\n${sig}: ${onSignal}\n`);
    abort.abort();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  try {
    await fn({
      target: { proxyUrl: stack.proxy.url, proxyPid: stack.proxy.pid, proxyAdminUrl: stack.proxy.adminUrl, autoscalerPid: stack.autoscaler?.pid, ec2Endpoint: stack.ec2?.endpoint },
      fleet: new Fleet(redis, stack.prefix),
      log,
      signal: abort.signal,
      random: Math.random,
    });
  } finally {
    redis.disconnect();
  }
}

/** `shoal chaos run FILE`: the experiment against the stack `shoal up` recorded in --data-dir. */
function registerRun(chaos: Command): void {
  const cmd = addRedisTargetOptions(chaos.command('run <file>'))
    .description('run a chaos experiment (YAML or JSON) against the stack: steady state, method under load, rollbacks, verdict')
    .addOption(opt('--journal <file>', 'write the run journal (Chaos Toolkit shape) here'))
    .option('--compare', 'first a control run without the method, then the experiment; report the difference in each figure')
    .addOption(opt('--rate <n>', "override the experiment's load rate (req/s)"))
    .addOption(opt('--warmup <duration>', "override the steady state's warm-up window"))
    .addOption(opt('--duration <duration>', "override the method's load window"));
  cmd.action(
    action(async (file: string) => {
      const o = parseOptions(cmd, RunSchema);
      const { readExperiment } = await import('../../chaos/experiment.js');
      const exp = await readExperiment(file);
      if (o.rate !== undefined) exp.load.rate = o.rate;
      if (o.warmup !== undefined) exp.steady_state.warmup = o.warmup;
      if (o.duration !== undefined) exp.load.duration = o.duration;
      const { runExperiment } = await import('../../chaos/runner.js');
      const { renderJournal } = await import('../../chaos/report.js');
      await withStack(o, 'shoal-chaos', 'stopping the method and the load; running the rollbacks…', async (ctx) => {
        const journal = await runExperiment(exp, ctx, { file, compare: o.compare, log: ctx.log, say: (line) => process.stderr.write(line + '\n') });
        process.stdout.write(renderJournal(journal));
        if (o.journal) await writeFile(o.journal, JSON.stringify(journal, null, 2) + '\n');
        process.exitCode = journal.passed ? 0 : 1;
      });
    }),
  );
}

const hours = z.string().transform((v, ctx) => {
  const h = parseHours(v);
  if (typeof h === 'string') {
    ctx.addIssue({ code: 'custom', message: h });
    return z.NEVER;
  }
  return h;
});
const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected an IANA time zone like Europe/Paris' },
);

const MonkeySchema = z.object({
  ...redisTarget,
  meanTimeBetweenKills: duration.refine((ms) => ms >= 1000, { message: 'expected at least 1s' }),
  hours,
  weekdays: z.boolean().default(false),
  tz: timeZone.optional(),
  optInTag: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'expected a tag of letters, digits or ._-' }),
  minReady: nonNegativeInt,
  dryRun: z.boolean().default(false),
  maxKills: positiveInt.optional(),
});

/** `shoal chaos monkey`: random kills of opted-in servers on a schedule, as Netflix's Chaos Monkey. */
function registerMonkey(chaos: Command): void {
  const cmd = addRedisTargetOptions(chaos.command('monkey'))
    .description('kill random opted-in app servers on a schedule (node-cron), never below --min-ready; each kill a chaos event')
    .addOption(opt('--mean-time-between-kills <duration>', 'kills come this far apart on average (random, a Poisson process)').default('10m'))
    .addOption(opt('--hours <from-to>', 'local hours kills may happen in, FROM included, TO excluded').default('9-17'))
    .option('--weekdays', 'Monday to Friday only')
    .addOption(opt('--tz <zone>', 'IANA time zone of --hours and --weekdays [default: the machine\'s]'))
    .addOption(opt('--opt-in-tag <tag>', "only servers carrying this tag (shoal up/autoscaler --server-tags) are killed").default('chaos'))
    .addOption(opt('--min-ready <n>', 'never kill when this many live servers or fewer are left').default('2'))
    .option('--dry-run', 'say what would be killed, kill nothing')
    .addOption(opt('--max-kills <n>', 'stop after this many kills'));
  cmd.action(
    action(async () => {
      const o = parseOptions(cmd, MonkeySchema);
      const { runMonkey } = await import('../../chaos/monkey-loop.js');
      await withStack(o, 'shoal-chaos-monkey', 'stopping the monkey', async (ctx) => {
        const say = (line: string) => process.stdout.write(line + '\n');
        const { kills } = await runMonkey(ctx, {
          meanMs: o.meanTimeBetweenKills,
          hours: o.hours,
          weekdays: o.weekdays,
          tz: o.tz,
          tag: o.optInTag,
          minReady: o.minReady,
          dryRun: o.dryRun,
          maxKills: o.maxKills,
          say,
        });
        say(`chaos monkey stopped after ${kills} ${o.dryRun ? 'would-be ' : ''}kill(s)`);
      });
    }),
  );
}

export function registerChaos(program: Command): void {
  const chaos = program.command('chaos').description('chaos experiments and the Chaos Monkey');
  registerRun(chaos);
  registerMonkey(chaos);
}
