import { randomUUID } from 'node:crypto';

/** A user with a password, signed up through `POST /api/v1/users` (open in every --auth mode). */
export async function signUp(base: string, password = 'correct horse battery'): Promise<{ id: string; email: string; password: string }> {
  const email = `user-${randomUUID().slice(0, 8)}@example.com`;
  const res = await fetch(`${base}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ fname: 'Test', lname: 'User', email, password }),
  });
  if (res.status !== 201) throw new Error(`sign-up got ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  return { id, email, password };
}

/** `POST /api/v1/sessions`: the status and body as a client sees them. */
export async function login(base: string, email: string, password: string): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${base}/api/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

/** A bearer token for a fresh user: what tests that write through shoal's API (not testing auth) use. */
export async function bearerFor(base: string): Promise<string> {
  const u = await signUp(base);
  const r = await login(base, u.email, u.password);
  if (r.status !== 201) throw new Error(`login got ${r.status}: ${JSON.stringify(r.body)}`);
  return String(r.body.token);
}
