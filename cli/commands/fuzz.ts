import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_COUNT, generate } from '../../fuzzer/generate.js';
import { serializeTestsFile } from '../../fuzzer/templates.js';
import { opt, parseOptions, positiveInt } from '../options.js';
import { action } from '../run.js';

const Schema = z.object({
  target: z.string({ message: 'is required, e.g. --target http://127.0.0.1:8080' }).refine((v) => /^https?:\/\//.test(v) && URL.canParse(v), { message: 'expected http://host:port or https://…' }),
  out: z.string().min(1),
  seed: z.coerce.number({ message: 'expected a whole number' }).int({ message: 'expected a whole number' }).min(0, { message: 'expected a whole number ≥ 0' }).max(0xffffffff, { message: 'expected a number below 2^32' }),
  count: positiveInt.max(100_000, { message: 'expected at most 100000' }),
});

/** The options `urlfuzzer` and `shoal fuzz` share. */
export function addFuzzOptions(cmd: Command): Command {
  return cmd
    .addOption(opt('--target <url>', 'base URL the tests will hit (the proxy, e.g. http://127.0.0.1:8080)', 'SHOAL_FUZZ_TARGET'))
    .addOption(opt('--out <file>', 'where to write the tests file').default('generatedTests.json'))
    .addOption(opt('--seed <n>', 'PRNG seed: the same seed writes a byte-identical file').default('1'))
    .addOption(opt('--count <n>', 'how many request templates (stateful chains come on top)').default(String(DEFAULT_COUNT)));
}

/** Writes the tests file and prints one line saying what it wrote. */
export function fuzzAction(cmd: Command): () => Promise<void> {
  return action(async () => {
    const o = parseOptions(cmd, Schema);
    const file = generate({ target: o.target.replace(/\/+$/, ''), seed: o.seed, count: o.count });
    await writeFile(o.out, serializeTestsFile(file));
    const invalid = file.templates.filter((t) => t.class === 'invalid').length;
    process.stdout.write(`wrote ${file.templates.length} templates (${invalid} invalid) and ${file.chains.length} chains to ${o.out} (seed ${o.seed})\n`);
  });
}

export function registerFuzz(program: Command): void {
  const cmd = addFuzzOptions(program.command('fuzz').description('write a tests file of valid and invalid request templates (same as urlfuzzer)'));
  cmd.action(fuzzAction(cmd));
}
