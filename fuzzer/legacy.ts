import { z } from 'zod';
import { TESTS_FILE_VERSION, type EntryLimits, type RunHints, type Template, type TestsFile } from './templates.js';

/**
 * The seed system's `generatedTests.json`: an array of options for the npm `loadtest`
 * package, one per URL. Each entry becomes a GET template and keeps its own limits (rate,
 * concurrency, request cap, seconds): by default `shoal load` runs each as its own test,
 * all at once.
 */
export const LegacyEntrySchema = z.looseObject({
  url: z.string().refine((v) => URL.canParse(v), { message: 'expected an absolute URL' }),
  maxRequests: z.number().int().positive().optional(),
  concurrency: z.number().int().positive().optional(),
  requestsPerSecond: z.number().positive().optional(),
  maxSeconds: z.number().positive().optional(),
  method: z.string().optional(),
});
export const LegacyFileSchema = z.array(LegacyEntrySchema).min(1);
export type LegacyEntry = z.infer<typeof LegacyEntrySchema>;

export function fromLegacy(entries: LegacyEntry[]): { file: TestsFile; hints: RunHints } {
  const origin = new URL(entries[0]!.url).origin;
  const width = String(entries.length).length;
  const templates: Template[] = entries.map((e, i) => {
    const u = new URL(e.url);
    if (u.origin !== origin) throw new Error(`entry ${i + 1} targets ${u.origin} but the first targets ${origin}; split the file per target`);
    const method = (e.method ?? 'GET').toUpperCase();
    return {
      id: `legacy${String(i + 1).padStart(width, '0')}`,
      name: `${method} ${u.pathname}${u.search}`,
      method: method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE' || method === 'HEAD' ? method : 'GET',
      path: `${u.pathname}${u.search}`,
      headers: {},
      body: null,
      class: 'valid',
      weight: e.requestsPerSecond ?? 1,
    };
  });
  const sum = (f: (e: LegacyEntry) => number | undefined) => entries.reduce((n, e) => n + (f(e) ?? 0), 0);
  const limits = entries.map((e, i): EntryLimits => {
    const l: EntryLimits = { templateId: templates[i]!.id };
    if (e.requestsPerSecond !== undefined) l.rate = e.requestsPerSecond;
    if (e.concurrency !== undefined) l.connections = e.concurrency;
    if (e.maxRequests !== undefined) l.maxRequests = e.maxRequests;
    if (e.maxSeconds !== undefined) l.durationMs = Math.round(e.maxSeconds * 1000);
    return l;
  });
  const hints: RunHints = { entries: limits };
  if (entries.some((e) => e.concurrency)) hints.connections = Math.max(...entries.map((e) => e.concurrency ?? 1));
  if (entries.every((e) => e.maxRequests)) hints.maxRequests = sum((e) => e.maxRequests);
  return { file: { version: TESTS_FILE_VERSION, target: origin, seed: 0, generator: 'legacy loadtest array', templates, chains: [] }, hints };
}
