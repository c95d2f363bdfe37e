import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Command } from 'commander';
import t from 'tap';
import { appTier, registerApp } from '../../cli/commands/app.js';
import { autoscalerTier, registerAutoscaler } from '../../cli/commands/autoscaler.js';
import { proxyTier, registerProxy } from '../../cli/commands/proxy.js';
import { autoscalerReuse, embeddedEc2Flags, proxyReuse, registerUp, upTier } from '../../cli/commands/up.js';
import { childFlags, envName, kebab, parseFlags, type Flags, type Reuse, type Tier } from '../../cli/flags.js';
import type { Register } from '../../cli/commands/index.js';
import { redact } from '../../lib/redact.js';
import { parseSentinelUrl } from '../../fleet/connect.js';
import { fleetRedisUrl } from '../../cli/options.js';

/** A fresh `shoal <name>` whose action does nothing, parsed like the real bin (flags > env > defaults). */
async function parsed(register: Register, name: string, argv: string[], env: Record<string, string> = {}): Promise<Command> {
  const program = new Command('shoal').exitOverride();
  register(program);
  const cmd = program.commands.find((c) => c.name() === name)!;
  cmd.exitOverride().action(() => {});
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    await program.parseAsync([name, ...argv], { from: 'user' });
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
    Object.assign(process.env, saved);
  }
  return cmd;
}

/** A value commander takes for the flag (validation comes later, in parseFlags). */
const sample = (f: Flags[string]) => (f.arg ? (f.default ?? '7') : undefined);

const tiers: [string, Tier<Flags>, Reuse<Flags>, Register][] = [
  ['proxy', proxyTier as unknown as Tier<Flags>, proxyReuse as Reuse<Flags>, registerProxy],
  ['autoscaler', autoscalerTier as unknown as Tier<Flags>, autoscalerReuse as Reuse<Flags>, registerAutoscaler],
];

t.test('shoal up accepts every proxy and autoscaler flag and hands it to that tier unchanged', async (t) => {
  for (const [name, tier, reuse, register] of tiers) {
    for (const [key, f] of Object.entries(tier.flags)) {
      const local = reuse.rename?.[key] ?? key;
      const flagName = f.negate ? `--no-${kebab(local)}` : `--${kebab(local)}`;
      const value = sample(f);
      const argv = value === undefined ? [flagName] : [flagName, value];
      if (name === 'autoscaler' && (embeddedEc2Flags as readonly string[]).includes(key)) {
        t.match(f.help, /^(ec2|asg|ec2, asg): /, `${name} --${kebab(key)}: supplied by shoal up's embedded EC2 endpoint`);
        continue;
      }
      const up = await parsed(registerUp, 'up', argv);
      if (reuse.omit?.includes(key)) {
        t.ok(up.options.some((o) => o.long === flagName), `${name} ${flagName}: shoal up has its own`);
        continue;
      }
      const handed = childFlags(up, tier, reuse);
      const args = [...handed.args];
      const child = await parsed(register, name, args, handed.env);
      t.same(child.opts()[key], up.opts()[local], `${name} --${kebab(key)} reaches the ${name} as shoal up got it (${flagName})`);
    }
  }
});

t.test('every tier flag has one env name: shared or SHOAL_<TIER>_<FLAG>', async (t) => {
  const shared = new Set(['REDIS_URL', 'SHOAL_PREFIX', 'SHOAL_LOG_LEVEL', 'DYNAMODB_ENDPOINT', 'SHOAL_TABLE_PREFIX', 'SHOAL_DATA_DIR', 'SHOAL_SERVER_ID', 'AWS_REGION', 'AWS_ENDPOINT_URL_EC2', 'AWS_ENDPOINT_URL_AUTO_SCALING', 'SHOAL_ENABLE_FAULTS', 'REDIS_SENTINELS', 'REDIS_SENTINEL_NAME', 'REDIS_PASSWORD']);
  for (const tier of [proxyTier, autoscalerTier, upTier] as unknown as Tier<Flags>[]) {
    for (const [key, f] of Object.entries(tier.flags)) {
      const env = envName(tier.name, key, f);
      if (env === undefined) continue;
      t.ok(shared.has(env) || env === `SHOAL_${tier.name.toUpperCase()}_${kebab(key).toUpperCase().replace(/-/g, '_')}`, `${tier.name} --${kebab(key)}: ${env}`);
    }
  }
  const docs = ['configuration', 'proxy', 'autoscaler', 'aws'].map((d) => readFileSync(new URL(`../../docs/${d}.md`, import.meta.url), 'utf8')).join('\n');
  for (const tier of [proxyTier, autoscalerTier, upTier, appTier] as unknown as Tier<Flags>[]) {
    for (const [key, f] of Object.entries(tier.flags)) {
      const env = envName(tier.name, key, f);
      if (env) t.ok(docs.includes(`\`${env}\``), `${env} is documented`);
    }
  }
  // The same variable in shoal up and in the tier: one env file serves both.
  const up = await parsed(registerUp, 'up', []);
  const proxy = await parsed(registerProxy, 'proxy', []);
  t.equal(up.options.find((o) => o.long === '--proxy-admin-port')?.envVar, proxy.options.find((o) => o.long === '--admin-port')?.envVar);
});

t.test('flags > environment > defaults, in shoal up and in the tier alike', async (t) => {
  const env = { SHOAL_AUTOSCALER_TOLERANCE: '0.3', SHOAL_PROXY_BALANCER: 'round-robin' };
  for (const [register, name] of [[registerUp, 'up'], [registerAutoscaler, 'autoscaler']] as const) {
    t.equal(parseFlags(await parsed(register, name, []), autoscalerTier, name === 'up' ? autoscalerReuse : {}).tolerance, 0.1, `${name}: default`);
    t.equal(parseFlags(await parsed(register, name, [], env), autoscalerTier, name === 'up' ? autoscalerReuse : {}).tolerance, 0.3, `${name}: env`);
    t.equal(parseFlags(await parsed(register, name, ['--tolerance', '0.5'], env), autoscalerTier, name === 'up' ? autoscalerReuse : {}).tolerance, 0.5, `${name}: flag`);
  }
  const up = await parsed(registerUp, 'up', [], env);
  t.equal(parseFlags(up, proxyTier, proxyReuse).balancer, 'round-robin');
  const cores = String(Math.max(2, availableParallelism()));
  t.same(childFlags(up, autoscalerTier, autoscalerReuse).args, ['--max', cores, '--target-rps', '50', '--tolerance', '0.3'], "the child gets up's own defaults (--max: one app server per core, at least 2) and what was set (by flag or env), not the shared defaults");
});

const parseUp = (cmd: Command) => {
  parseFlags(cmd, upTier);
  parseFlags(cmd, proxyTier, proxyReuse);
  parseFlags(cmd, autoscalerTier, autoscalerReuse);
};

t.test('a bad value names the flag and its variable; the same rule in shoal up and the tier', async (t) => {
  const cases: [Register, string, (cmd: Command) => void, string[], Record<string, string>, RegExp][] = [
    [registerUp, 'up', parseUp, ['--tolerance', '2'], {}, /^invalid --tolerance \(SHOAL_AUTOSCALER_TOLERANCE\): expected a fraction 0-1 \(got "2"\)$/],
    [registerAutoscaler, 'autoscaler', (c) => parseFlags(c, autoscalerTier), ['--tolerance', '2'], {}, /^invalid --tolerance \(SHOAL_AUTOSCALER_TOLERANCE\): expected a fraction 0-1/],
    [registerUp, 'up', parseUp, ['--max', '0'], {}, /^invalid --max \(SHOAL_AUTOSCALER_MAX\)/],
    [registerUp, 'up', parseUp, ['--min', '5', '--max', '2'], {}, /^invalid --min \(SHOAL_AUTOSCALER_MIN\): must not exceed --max/],
    [registerUp, 'up', parseUp, [], { SHOAL_PROXY_ADMIN_PORT: 'x' }, /^invalid --proxy-admin-port \(SHOAL_PROXY_ADMIN_PORT\): expected a port number/],
    [registerUp, 'up', parseUp, ['--tls-cert', 'c.pem'], {}, /^invalid --tls-key \(SHOAL_PROXY_TLS_KEY\): --tls-cert and --tls-key go together/],
    [registerApp, 'app', (c) => parseFlags(c, appTier), [], { SHOAL_APP_PORT: '-1' }, /^invalid --port \(SHOAL_APP_PORT\)/],
  ];
  for (const [register, name, parse, argv, env, want] of cases) {
    const cmd = await parsed(register, name, argv, env);
    t.throws(() => parse(cmd), { message: want }, `${name} ${argv.join(' ')} ${JSON.stringify(env)}`);
  }
});

t.test('REDIS_SENTINELS and REDIS_SENTINEL_NAME: every tier builds the redis-sentinel:// URL; a bad entry names the flag', async (t) => {
  const env = { REDIS_SENTINELS: '10.0.0.1:26379, [::1]:26380,sentinel-3.internal:26381', REDIS_SENTINEL_NAME: 'fleet-a' };
  const want = 'redis-sentinel://10.0.0.1:26379,[::1]:26380,sentinel-3.internal:26381/fleet-a';
  for (const [name, tier, register] of [['proxy', proxyTier, registerProxy], ['autoscaler', autoscalerTier, registerAutoscaler], ['app', appTier, registerApp]] as const) {
    const o = parseFlags(await parsed(register as Register, name, [], env), tier as unknown as Tier<Flags>) as { redis: string; redisSentinels?: string[]; redisSentinelName: string };
    t.equal(fleetRedisUrl(o.redis, o), want, `${name}: REDIS_SENTINELS replaces REDIS_URL`);
    t.same(parseSentinelUrl(want)?.sentinels.map((x) => x.port), [26379, 26380, 26381], `${name}: the URL is one the connection factory reads`);
    const plain = parseFlags(await parsed(register as Register, name, []), tier as unknown as Tier<Flags>) as typeof o;
    t.equal(fleetRedisUrl(plain.redis, plain), 'redis://127.0.0.1:6379', `${name}: without them, --redis`);
    const withPassword = parseFlags(await parsed(register as Register, name, [], { ...env, REDIS_PASSWORD: 'p@ss word' }), tier as unknown as Tier<Flags>) as typeof o;
    const secured = fleetRedisUrl(withPassword.redis, withPassword);
    t.equal(secured, 'redis-sentinel://:p%40ss%20word@10.0.0.1:26379,[::1]:26380,sentinel-3.internal:26381/fleet-a', `${name}: REDIS_PASSWORD goes in the URL`);
    t.equal(parseSentinelUrl(secured)?.password, 'p@ss word', `${name}: and the connection factory reads it back`);
    for (const bad of ['10.0.0.1', '10.0.0.1:0', 'h:99999', 'a b:1', ',']) {
      const cmd = await parsed(register as Register, name, ['--redis-sentinels', bad]);
      t.throws(() => parseFlags(cmd, tier as unknown as Tier<Flags>), { message: /^invalid --redis-sentinels \(REDIS_SENTINELS\): expected host:port,host:port/ }, `${name} --redis-sentinels ${bad}`);
    }
  }
});

t.test('a password in a URL is never shown', async (t) => {
  t.equal(redact('redis://:s3cret@10.0.0.5:6379'), 'redis://:***@10.0.0.5:6379');
  t.equal(redact('rediss://app:s3cret@redis.internal:6380/2'), 'rediss://app:***@redis.internal:6380/2');
  t.equal(redact('cannot reach Redis at redis://:p@ss@h:1: ECONNREFUSED'), 'cannot reach Redis at redis://:***@h:1: ECONNREFUSED');
  t.equal(redact('redis://token@h:1'), 'redis://***@h:1');
  t.equal(redact('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
  const cmd = await parsed(registerProxy, 'proxy', ['--redis', 'redis://:s3cret@h:99999x']);
  t.throws(() => parseFlags(cmd, proxyTier), { message: /^invalid --redis \(REDIS_URL\): .*\(got "redis:\/\/:\*\*\*@h:99999x"\)$/ });
  t.same(childFlags(await parsed(registerUp, 'up', ['--redis', 'redis://:s3cret@h:1']), upTier).env, { REDIS_URL: 'redis://:s3cret@h:1' }, 'handed on in the environment');
});
