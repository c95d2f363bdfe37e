import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Trace } from './world.js';

const TraceSchema = z.object({
  name: z.string().min(1),
  description: z.string(),
  stepSeconds: z.number().int().positive(),
  targetRps: z.number().positive(),
  rps: z.array(z.number().nonnegative()).min(2),
});

/** Reads and checks a recorded trace (bench/traces/*.json). */
export async function loadTrace(path: string): Promise<Trace> {
  return TraceSchema.parse(JSON.parse(await readFile(path, 'utf8')));
}
