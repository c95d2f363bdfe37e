import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import { connectRedis, Fleet } from '../../fleet/index.js';
import { ConfigError, ShoalError } from '../../lib/errors.js';
import { createLogger } from '../../lib/log.js';
import { redact } from '../../lib/redact.js';
import { duration, opt, parseOptions, positiveNumber } from '../options.js';
import { action } from '../run.js';
import { readStack, stackPath } from '../stack/stack-file.js';

const RunSchema = z.object({
  dataDir: z.string().min(1).default('.shoal'),
  journal: z.string().min(1).optional(),
  compare: z.boolean().default(false),
  rate: positiveNumber.optional(),
  warmup: duration.optional(),
  duration: duration.optional(),
});

/** `shoal chaos run FILE`: the experiment against the stack `shoal up` recorded in --data-dir. */
function registerRun(chaos: Command): void {
  const cmd = chaos
    .command('run <file>')
    .description('run a chaos experiment (YAML or JSON) against the stack: steady state, method under load, rollbacks, verdict')
    .addOption(opt('--data-dir <dir>', 'the stack to test: its stack.json, written by shoal up', 'SHOAL_DATA_DIR'))
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
      const stack = await readStack(o.dataDir);
      if (!stack?.proxy) throw new ConfigError(`invalid --data-dir: no running stack recorded at ${stackPath(o.dataDir)}; is shoal up running?`);
      const log = createLogger('chaos');
      const redis = connectRedis(stack.redis.url, { name: 'shoal-chaos' });
      await redis.ping().catch((err: Error) => {
        redis.disconnect();
        throw new ShoalError('SHOAL_ERR_REDIS_UNREACHABLE', `cannot reach Redis at ${redact(stack.redis.url)}: ${redact(err.message)}`, 503);
      });
      const abort = new AbortController();
      const onSignal = (sig: string) => {
        process.stderr.write(`\n${sig}: stopping the method and the load; running the rollbacks…\n`);
        abort.abort();
      };
      process.once('SIGINT', () => onSignal('SIGINT'));
      process.once('SIGTERM', () => onSignal('SIGTERM'));
      const { runExperiment } = await import('../../chaos/runner.js');
      const { renderJournal } = await import('../../chaos/report.js');
      try {
        const journal = await runExperiment(
          exp,
          {
            target: { proxyUrl: stack.proxy.url, proxyPid: stack.proxy.pid, proxyAdminUrl: stack.proxy.adminUrl, autoscalerPid: stack.autoscaler?.pid, ec2Endpoint: stack.ec2?.endpoint },
            fleet: new Fleet(redis, stack.prefix),
            log,
            signal: abort.signal,
            random: Math.random,
          },
          { file, compare: o.compare, log, say: (line) => process.stderr.write(line + '\n') },
        );
        process.stdout.write(renderJournal(journal));
        if (o.journal) await writeFile(o.journal, JSON.stringify(journal, null, 2) + '\n');
        process.exitCode = journal.passed ? 0 : 1;
      } finally {
        redis.disconnect();
      }
    }),
  );
}

export function registerChaos(program: Command): void {
  const chaos = program.command('chaos').description('chaos experiments and the Chaos Monkey');
  registerRun(chaos);
}
