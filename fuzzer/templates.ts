import { z } from 'zod';

/**
 * The tests file (`generatedTests.json`), version 1. Written by `urlfuzzer` / `shoal fuzz`,
 * read by `shoal load`. docs/fuzzer.md is its reference; bump `version` on any change a
 * version-1 reader would misread.
 */
export const TESTS_FILE_VERSION = 1;

/** `valid` requests should succeed (2xx/3xx); `invalid` ones must be refused with a 4xx. */
export const TEMPLATE_CLASSES = ['valid', 'invalid'] as const;
export type TemplateClass = (typeof TEMPLATE_CLASSES)[number];

/** Placeholders resolved at run time from ids `shoal load` discovers or creates. */
export const POOL_KINDS = ['song', 'user', 'playlist'] as const;
export type PoolKind = (typeof POOL_KINDS)[number];

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const RequestFields = {
  method: z.enum(METHODS),
  /** Starts with `/`; may hold placeholders. */
  path: z.string().startsWith('/'),
  headers: z.record(z.string(), z.string()).default({}),
  /** Exact bytes to send (UTF-8), placeholders expanded; null = no body. */
  body: z.string().nullable().default(null),
  class: z.enum(TEMPLATE_CLASSES).default('valid'),
};

export const TemplateSchema = z.object({
  id: z.string().min(1),
  name: z.string().default(''),
  ...RequestFields,
  weight: z.number().positive().default(1),
});
export type Template = z.infer<typeof TemplateSchema>;

export const ChainStepSchema = z.object({
  name: z.string().default(''),
  ...RequestFields,
  /** Chain variables to take from the JSON response: `{ "user": "id" }` (a dotted path). */
  save: z.record(z.string(), z.string()).default({}),
});
export type ChainStep = z.infer<typeof ChainStepSchema>;

export const ChainSchema = z.object({
  id: z.string().min(1),
  name: z.string().default(''),
  weight: z.number().positive().default(1),
  steps: z.array(ChainStepSchema).min(1),
});
export type Chain = z.infer<typeof ChainSchema>;

export const TestsFileSchema = z.object({
  version: z.literal(TESTS_FILE_VERSION),
  target: z.string().refine((v) => URL.canParse(v), { message: 'expected a URL like http://127.0.0.1:8080' }),
  seed: z.number().int(),
  generator: z.string().optional(),
  templates: z.array(TemplateSchema),
  chains: z.array(ChainSchema).default([]),
});
export type TestsFile = z.infer<typeof TestsFileSchema>;

/** One entry of the seed's legacy file: a test of its own, with the limits its npm `loadtest` options set. */
export interface EntryLimits {
  templateId: string;
  /** `requestsPerSecond`: arrivals/s; absent = as fast as its connections go (a closed loop). */
  rate?: number;
  /** `concurrency`: clients, i.e. connections. */
  connections?: number;
  maxRequests?: number;
  /** `maxSeconds`, in ms. */
  durationMs?: number;
}

/**
 * Run hints a file may carry. The seed's legacy format does: each entry's own limits, and
 * for a run that mixes its entries under one --rate, the largest concurrency and the
 * summed request caps.
 */
export interface RunHints {
  entries?: EntryLimits[];
  connections?: number;
  maxRequests?: number;
}

/** One placeholder occurrence, parsed once so the hot path only concatenates. */
export type Part =
  | { kind: 'text'; text: string }
  | { kind: 'pool'; pool: PoolKind }
  | { kind: 'chain'; name: string }
  | { kind: 'pad'; bytes: number }
  | { kind: 'seq' };

const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;

/** Splits a string into literal text and placeholders; throws on an unknown placeholder. */
export function parseParts(text: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (m.index > last) parts.push({ kind: 'text', text: text.slice(last, m.index) });
    parts.push(parsePlaceholder(m[1]!));
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}

function parsePlaceholder(name: string): Part {
  if ((POOL_KINDS as readonly string[]).includes(name)) return { kind: 'pool', pool: name as PoolKind };
  if (name === 'seq') return { kind: 'seq' };
  const chain = /^chain\.([A-Za-z_][\w]*)$/.exec(name);
  if (chain) return { kind: 'chain', name: chain[1]! };
  const pad = /^pad:(\d{1,9})$/.exec(name);
  if (pad) return { kind: 'pad', bytes: Number(pad[1]) };
  throw new Error(`unknown placeholder {{${name}}} (expected song, user, playlist, seq, chain.NAME or pad:N)`);
}

/** Which run-time pools a file needs, so `shoal load` only prepares those. */
export function poolsUsed(file: Pick<TestsFile, 'templates' | 'chains'>): Set<PoolKind> {
  const used = new Set<PoolKind>();
  const scan = (s: string | null) => {
    if (s === null) return;
    for (const p of parseParts(s)) if (p.kind === 'pool') used.add(p.pool);
  };
  for (const t of file.templates) {
    scan(t.path);
    scan(t.body);
    Object.values(t.headers).forEach(scan);
  }
  for (const c of file.chains) {
    for (const s of c.steps) {
      scan(s.path);
      scan(s.body);
      Object.values(s.headers).forEach(scan);
    }
  }
  return used;
}

/** Version-1 JSON exactly as written to disk: stable key order, two-space indent, final newline. */
export function serializeTestsFile(file: TestsFile): string {
  return JSON.stringify(file, null, 2) + '\n';
}
