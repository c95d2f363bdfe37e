import type { z } from 'zod';
import { badRequest, invalidBody, invalidId } from '../errors.js';
import { id } from '../model.js';

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  const path = issue.path.map(String).join('.');
  return path && !issue.message.startsWith(path) ? `${path}: ${issue.message}` : issue.message;
}

/** The request body checked against `schema`, or a 400 naming the first problem. */
export function body<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  if (value === undefined) throw invalidBody('expected a JSON body');
  const res = schema.safeParse(value);
  if (!res.success) throw invalidBody(firstIssue(res.error));
  return res.data;
}

/** The query string checked against `schema`, or a 400. */
export function query<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const res = schema.safeParse(value);
  if (!res.success) throw badRequest(`query: ${firstIssue(res.error)}`, 'SHOAL_ERR_VALIDATION');
  return res.data;
}

/** A path id: a UUID (normalised to lower case) or a 400. */
export function pathId(value: string | undefined, what: string): string {
  const res = id.safeParse(value);
  if (!res.success) throw invalidId(`${what} ${JSON.stringify(value ?? '')}`);
  return res.data;
}
