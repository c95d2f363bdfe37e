import type { TestsFile } from '../fuzzer/templates.js';
import { ShoalError } from '../lib/errors.js';

/**
 * Every request of the file carries `Authorization: <value>` unless its template sets its own
 * (an invalid template may test a bad token on purpose). The file on disk never holds a secret.
 */
export function withAuthorization<F extends Pick<TestsFile, 'templates' | 'chains'>>(file: F, value: string): F {
  const add = <T extends { headers: Record<string, string> }>(x: T): T =>
    Object.keys(x.headers).some((k) => k.toLowerCase() === 'authorization') ? x : { ...x, headers: { ...x.headers, authorization: value } };
  return { ...file, templates: file.templates.map(add), chains: file.chains.map((c) => ({ ...c, steps: c.steps.map(add) })) };
}

/** `POST /api/v1/sessions` on the target: the `Bearer <token>` header value to load with. */
export async function logIn(origin: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${origin}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
    signal: AbortSignal.timeout(10_000),
  }).catch((err: Error) => {
    throw new ShoalError('SHOAL_ERR_LOAD_LOGIN', `login at ${origin} failed: ${err.message}`, 502);
  });
  const body = (await res.json().catch(() => ({}))) as { token?: string; error?: { message?: string } };
  if (res.status !== 201 || !body.token) throw new ShoalError('SHOAL_ERR_LOAD_LOGIN', `login at ${origin} as ${email} got ${res.status}: ${body.error?.message ?? 'no token'}`, 400);
  return `Bearer ${body.token}`;
}
