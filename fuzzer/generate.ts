import { CHAIN_KINDS } from './chain-kinds.js';
import { INVALID_KINDS, VALID_KINDS } from './kinds.js';
import { Prng } from './prng.js';
import { TESTS_FILE_VERSION, type Chain, type Template, type TestsFile } from './templates.js';

export const GENERATOR = 'shoal urlfuzzer 1';
export const DEFAULT_COUNT = 60;
/** Share of valid kinds among the templates drawn after the first full round. */
const VALID_SHARE = 0.7;

export interface GenerateOptions {
  target: string;
  seed: number;
  /** How many request templates (chains come on top: one per chain kind). */
  count?: number;
}

/**
 * Pure: the same options give a byte-identical file on every machine. Nothing here looks
 * at the target's data — ids are placeholders that `shoal load` resolves at run time.
 * The first templates cover every kind once (so a default-sized file exercises every
 * invalid class); the rest are drawn at random, mostly valid.
 */
export function generate(opts: GenerateOptions): TestsFile {
  const r = new Prng(opts.seed);
  const count = opts.count ?? DEFAULT_COUNT;
  const width = String(Math.max(count, 1)).length;
  const every = [...VALID_KINDS, ...INVALID_KINDS];
  const templates: Template[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i < every.length ? every[i]! : r.pick(r.chance(VALID_SHARE) ? VALID_KINDS : INVALID_KINDS);
    templates.push({ id: `t${String(i + 1).padStart(width, '0')}`, ...kind(r) });
  }
  const chains: Chain[] = CHAIN_KINDS.map((kind, i) => ({ id: `c${i + 1}`, ...kind(r) }));
  return { version: TESTS_FILE_VERSION, target: opts.target, seed: opts.seed, generator: GENERATOR, templates, chains };
}
