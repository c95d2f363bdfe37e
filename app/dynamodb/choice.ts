import { z } from 'zod';

/**
 * Where the app's tables live. `aws` is `shoal app`'s default so a production server never
 * silently gets its own empty database; `embedded` is for laptops and `shoal up`.
 */
export type DynamoChoice = { kind: 'embedded' } | { kind: 'aws' } | { kind: 'endpoint'; url: string };

export const CHOICES_HINT = '--dynamodb embedded (a local dynalite under --data-dir), --dynamodb aws (AWS_REGION and the default credential chain) or --dynamodb URL / DYNAMODB_ENDPOINT (a DynamoDB-compatible endpoint)';

export const dynamoChoice = z.string().transform((v, ctx): DynamoChoice => {
  const s = v.trim();
  if (s === 'embedded' || s === 'aws') return { kind: s };
  if (/^https?:\/\//.test(s) && URL.canParse(s)) return { kind: 'endpoint', url: s.replace(/\/+$/, '') };
  ctx.addIssue({ code: 'custom', message: 'expected embedded, aws or an http(s):// URL' });
  return z.NEVER;
});

export function describeChoice(c: DynamoChoice): string {
  return c.kind === 'endpoint' ? c.url : c.kind;
}
