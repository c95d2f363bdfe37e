import { resolve } from 'node:path';
import type { Template, TestsFile } from '../fuzzer/templates.js';
import { readTestsFile } from '../fuzzer/tests-file.js';
import type { LoadConfig } from '../load/run.js';
import { constantRate, plannedCount } from '../load/schedule.js';
import type { Experiment } from './experiment.js';

type LoadSpec = Experiment['load'];

/** Pure: `GET /api/v1/music` lines → the tests file shape the load engine runs. */
export function inlineTests(lines: readonly string[]): Pick<TestsFile, 'templates' | 'chains'> {
  const templates: Template[] = lines.map((line, i) => {
    const [method, path] = line.split(' ') as ['GET' | 'HEAD', string];
    return { id: `r${i + 1}`, name: line, method, path, headers: {}, body: null, class: 'valid', weight: 1 };
  });
  return { templates, chains: [] };
}

/** What the experiment's load sends: its inline requests, or its tests file (relative to the experiment file). */
export async function loadRequests(spec: LoadSpec, experimentDir: string): Promise<Pick<TestsFile, 'templates' | 'chains'>> {
  if (spec.requests) return inlineTests(spec.requests);
  return (await readTestsFile(resolve(experimentDir, spec.tests!))).file;
}

/** Pure: one window of the experiment's load (the warm-up, or the method's) as a `shoal load` run. */
export function loadConfig(
  spec: LoadSpec,
  file: Pick<TestsFile, 'templates' | 'chains'>,
  o: { target: string; durationMs: number; authorization?: string; signal?: AbortSignal },
): LoadConfig {
  const plan = constantRate(spec.rate, o.durationMs);
  return {
    parts: [{ file, model: { kind: 'open', plan }, connections: spec.connections, maxRequests: Math.ceil(plannedCount(plan) * 1.1) + 1000 }],
    target: o.target,
    timeoutMs: spec.timeout,
    lateMs: 100,
    maxQueue: 10_000,
    noWait: spec.no_wait,
    maxSockets: spec.max_sockets,
    holdMs: spec.hold,
    seed: 1,
    setup: true,
    authorization: o.authorization,
    signal: o.signal,
  };
}
