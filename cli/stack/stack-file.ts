import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/** What `shoal up` records in <data-dir>/stack.json so other commands can find the stack. */
export const StackSchema = z.object({
  version: z.literal(1),
  pid: z.number(),
  startedAt: z.number(),
  dataDir: z.string(),
  prefix: z.string(),
  redis: z.object({ url: z.string(), embedded: z.boolean(), pid: z.number().optional() }),
  dynamodb: z.object({ endpoint: z.string(), embedded: z.boolean(), pid: z.number().optional() }),
  proxy: z.object({ url: z.string(), adminUrl: z.string(), pid: z.number(), compatUrl: z.string().optional() }).optional(),
  /** The embedded EC2 endpoint, with `shoal up --provider ec2`. */
  ec2: z.object({ endpoint: z.string(), pid: z.number() }).optional(),
  autoscaler: z.object({ adminUrl: z.string(), pid: z.number() }).optional(),
  dashboard: z.string().optional(),
  /** `shoal up --prometheus`: its web UI and API. */
  prometheus: z.object({ url: z.string(), pid: z.number() }).optional(),
  /** The demo user `shoal up` made, so `shoal load` (and people) can log in: a secret, hence the file's 0600. */
  auth: z.object({ mode: z.string(), email: z.string(), password: z.string() }).optional(),
});
export type Stack = z.infer<typeof StackSchema>;

export function stackPath(dataDir: string): string {
  return join(resolve(dataDir), 'stack.json');
}

/** Written atomically (rename) so a reader never sees half a file; owner-only, as it holds the demo login. */
export async function writeStack(dataDir: string, stack: Stack): Promise<void> {
  await mkdir(resolve(dataDir), { recursive: true });
  const file = stackPath(dataDir);
  await writeFile(`${file}.tmp`, JSON.stringify(stack, null, 2) + '\n', { mode: 0o600 });
  await chmod(`${file}.tmp`, 0o600); // a leftover .tmp keeps its old mode through writeFile
  await rename(`${file}.tmp`, file);
}

export async function readStack(dataDir: string): Promise<Stack | undefined> {
  let text: string;
  try {
    text = await readFile(stackPath(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = StackSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

export async function removeStack(dataDir: string): Promise<void> {
  await rm(stackPath(dataDir), { force: true });
}
