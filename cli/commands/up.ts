import type { Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_PREFIX } from '../../fleet/index.js';
import { createLogger } from '../../lib/log.js';
import { duration, opt, parseOptions, port, positiveInt, positiveNumber, redisUrl } from '../options.js';
import { action, fail } from '../run.js';
import { Supervisor } from '../stack/supervisor.js';

const dynamodbChoice = z.string().refine((v) => v === 'embedded' || /^https?:\/\/[^/]+/.test(v), {
  message: 'expected embedded or an http(s):// endpoint URL',
});

const Schema = z
  .object({
    port,
    host: z.string().min(1),
    adminPort: port,
    proxyAdminPort: port,
    min: positiveInt,
    max: positiveInt,
    targetRps: positiveNumber.optional(),
    targetMemory: z.coerce.number().gt(0).max(100, { message: 'expected a percentage 1-100' }).optional(),
    interval: duration,
    scaleDownWindow: duration,
    provider: z.enum(['local', 'ec2'], { message: 'expected local or ec2' }),
    redis: redisUrl.optional(),
    dynamodb: dynamodbChoice,
    dataDir: z.string().min(1),
    prefix: z.string().min(1),
    tablePrefix: z.string().regex(/^[A-Za-z0-9_.-]*$/, { message: 'letters, digits, _ . - only' }),
    seed: z.boolean(),
    readyTimeout: duration,
  })
  .refine((o) => o.min <= o.max, { message: '--min must not exceed --max', path: ['min'] });

export function registerUp(program: Command): void {
  const cmd = program
    .command('up')
    .description('run the whole stack on this machine: redis, dynamodb, proxy, autoscaler and app servers')
    .addOption(opt('--port <port>', 'proxy port (0 = any free port)', 'SHOAL_PORT').default('8080'))
    .addOption(opt('--host <host>', 'proxy bind address', 'SHOAL_HOST').default('127.0.0.1'))
    .addOption(opt('--admin-port <port>', 'autoscaler admin port: dashboard, /metrics', 'SHOAL_ADMIN_PORT').default('8090'))
    .addOption(opt('--proxy-admin-port <port>', 'proxy admin port', 'SHOAL_PROXY_ADMIN_PORT').default('8091'))
    .addOption(opt('--min <n>', 'fewest app servers', 'SHOAL_MIN').default('1'))
    .addOption(opt('--max <n>', 'most app servers', 'SHOAL_MAX').default('8'))
    .addOption(opt('--target-rps <n>', 'requests/s per app server', 'SHOAL_TARGET_RPS').default('50'))
    .addOption(opt('--target-memory <percent>', 'memory used % per host (off by default)', 'SHOAL_TARGET_MEMORY'))
    .addOption(opt('--interval <duration>', 'autoscaler tick', 'SHOAL_INTERVAL').default('5s'))
    .addOption(opt('--scale-down-window <duration>', 'scale-in stabilization window', 'SHOAL_SCALE_DOWN_WINDOW').default('60s'))
    .addOption(opt('--provider <name>', 'where app servers run: local (processes) or ec2 (instances of an embedded EC2 endpoint: the production code path)', 'SHOAL_PROVIDER').default('local'))
    .addOption(opt('--redis <url>', 'use this Redis instead of starting redis-server', 'REDIS_URL'))
    .addOption(opt('--dynamodb <embedded|URL>', 'DynamoDB: embedded dynalite or an endpoint URL', 'DYNAMODB_ENDPOINT').default('embedded'))
    .addOption(opt('--data-dir <dir>', 'stack.json, logs and embedded data', 'SHOAL_DATA_DIR').default('.shoal'))
    .addOption(opt('--prefix <prefix>', 'Redis key prefix', 'SHOAL_PREFIX').default(DEFAULT_PREFIX))
    .addOption(opt('--table-prefix <prefix>', 'DynamoDB table name prefix', 'SHOAL_TABLE_PREFIX').default('shoal-'))
    .option('--no-seed', 'do not load the sample data on first run')
    .addOption(opt('--ready-timeout <duration>', 'how long each component may take to start').default('60s'));
  cmd.action(
    action(async () => {
      const cfg = parseOptions(cmd, Schema);
      const log = createLogger('up');
      const say = (line: string) => process.stdout.write(line + '\n');
      const sup = new Supervisor(cfg, log, say);
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        say(`\n${signal}: stopping autoscaler, proxy, app servers, ${cfg.provider === 'ec2' ? 'ec2 endpoint, ' : ''}dynamodb, redis…`);
        void sup.stop().then(
          () => {
            say('stopped.');
            process.exit(0);
          },
          (err: unknown) => fail(err),
        );
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGHUP', () => shutdown('SIGHUP'));
      try {
        await sup.start();
      } catch (err) {
        await sup.stop().catch(() => {});
        throw err;
      }
    }),
  );
}
