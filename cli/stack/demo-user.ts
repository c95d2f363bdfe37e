import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ShoalError } from '../../lib/errors.js';

export interface DemoLogin {
  email: string;
  password: string;
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) });

async function readSaved(file: string): Promise<DemoLogin | undefined> {
  try {
    const v = JSON.parse(await readFile(file, 'utf8')) as Partial<DemoLogin>;
    return v.email && v.password ? { email: v.email, password: v.password } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The demo user `shoal up` logs in as: signed up through the proxy once, its login kept in
 * <data-dir>/demo-user.json (0600) so the next run over the same data finds it again.
 * When the file and the data disagree (one was deleted), a new demo user is made.
 */
export async function ensureDemoUser(dataDir: string, proxyUrl: string): Promise<DemoLogin> {
  const file = join(dataDir, 'demo-user.json');
  let login = await readSaved(file);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (!login) {
      const tag = attempt === 0 ? '' : `+${randomBytes(4).toString('hex')}`;
      login = { email: `demo${tag}@example.com`, password: randomBytes(18).toString('base64url') };
    }
    const signUp = await post(`${proxyUrl}/api/v1/users`, { fname: 'Demo', lname: 'User', ...login });
    if (signUp.status !== 201 && signUp.status !== 409) {
      throw new ShoalError('SHOAL_ERR_DEMO_USER', `creating the demo user got ${signUp.status}: ${(await signUp.text()).slice(0, 200)}`);
    }
    const session = await post(`${proxyUrl}/api/v1/sessions`, login);
    if (session.status === 201) {
      await writeFile(file, JSON.stringify(login) + '\n', { mode: 0o600 });
      await chmod(file, 0o600);
      return login;
    }
    if (session.status !== 401) throw new ShoalError('SHOAL_ERR_DEMO_USER', `logging in as the demo user got ${session.status}: ${(await session.text()).slice(0, 200)}`);
    login = undefined; // this email has another password: make a new demo user
  }
  throw new ShoalError('SHOAL_ERR_DEMO_USER', 'could not create a demo user that logs in');
}
