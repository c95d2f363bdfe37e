import { readFile } from 'node:fs/promises';
import { ConfigError } from '../lib/errors.js';
import { fromLegacy, LegacyFileSchema } from './legacy.js';
import { parseParts, TestsFileSchema, type RunHints, type TestsFile } from './templates.js';

/** Parses a tests file of either format; throws ConfigError naming the file and the problem. */
export function parseTestsFile(text: string, name = 'tests file'): { file: TestsFile; hints: RunHints } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${name} is not JSON: ${(err as Error).message}`);
  }
  let out: { file: TestsFile; hints: RunHints };
  if (Array.isArray(data)) {
    const res = LegacyFileSchema.safeParse(data);
    if (!res.success) throw new ConfigError(`${name} (legacy array format): ${describeIssue(res.error.issues[0])}`);
    try {
      out = fromLegacy(res.data);
    } catch (err) {
      throw new ConfigError(`${name} (legacy array format): ${(err as Error).message}`);
    }
  } else {
    const version = (data as { version?: unknown } | null)?.version;
    if (version !== undefined && version !== 1) throw new ConfigError(`${name} has version ${JSON.stringify(version)}; this shoal reads version 1`);
    const res = TestsFileSchema.safeParse(data);
    if (!res.success) throw new ConfigError(`${name}: ${describeIssue(res.error.issues[0])}`);
    out = { file: res.data, hints: {} };
  }
  if (out.file.templates.length === 0 && out.file.chains.length === 0) throw new ConfigError(`${name} has no templates and no chains`);
  checkPlaceholders(out.file, name);
  return out;
}

export async function readTestsFile(path: string): Promise<{ file: TestsFile; hints: RunHints }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read tests file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseTestsFile(text, path);
}

function describeIssue(issue: { path: PropertyKey[]; message: string } | undefined): string {
  if (!issue) return 'invalid';
  return `${issue.path.length ? issue.path.map(String).join('.') + ': ' : ''}${issue.message}`;
}

function checkPlaceholders(file: TestsFile, name: string): void {
  const check = (where: string, s: string | null) => {
    if (s === null) return;
    try {
      parseParts(s);
    } catch (err) {
      throw new ConfigError(`${name}: ${where}: ${(err as Error).message}`);
    }
  };
  for (const t of file.templates) {
    check(`template ${t.id} path`, t.path);
    check(`template ${t.id} body`, t.body);
    for (const [k, v] of Object.entries(t.headers)) check(`template ${t.id} header ${k}`, v);
  }
  for (const c of file.chains) {
    c.steps.forEach((s, i) => {
      check(`chain ${c.id} step ${i + 1} path`, s.path);
      check(`chain ${c.id} step ${i + 1} body`, s.body);
    });
  }
}
