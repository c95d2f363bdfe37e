import { readFileSync, statSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { ConfigError } from '../lib/errors.js';
import { isLoopbackHost } from '../lib/loopback.js';

/** `--admin-token-file`: the token is read from a file (or SHOAL_ADMIN_TOKEN), never taken from argv. */
export function addAdminTokenOption(cmd: Command): Command {
  return cmd.addOption(
    new Option('--admin-token-file <file>', 'file holding the admin token (or set SHOAL_ADMIN_TOKEN); required when the admin port is not on loopback').env('SHOAL_ADMIN_TOKEN_FILE'),
  );
}

/**
 * The admin token from SHOAL_ADMIN_TOKEN or the file. An admin port bound beyond loopback
 * without one is refused: /pool, /metrics and the dashboard describe the whole fleet.
 */
export function resolveAdminToken(adminHost: string, hostFlag: string, file: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  let token = env.SHOAL_ADMIN_TOKEN?.trim() || undefined;
  if (!token && file) {
    try {
      token = readFileSync(file, 'utf8').trim() || undefined;
    } catch (err) {
      throw new ConfigError(`invalid --admin-token-file (SHOAL_ADMIN_TOKEN_FILE): cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    if (!token) throw new ConfigError(`invalid --admin-token-file (SHOAL_ADMIN_TOKEN_FILE): ${file} is empty`);
    if ((statSync(file).mode & 0o077) !== 0) throw new ConfigError(`invalid --admin-token-file (SHOAL_ADMIN_TOKEN_FILE): ${file} is readable by others; chmod 600 it`);
  }
  if (token && token.length < 16) throw new ConfigError('invalid SHOAL_ADMIN_TOKEN: expected at least 16 characters');
  if (!token && !isLoopbackHost(adminHost)) {
    throw new ConfigError(`invalid ${hostFlag}: ${adminHost} is not loopback, so the admin port needs a token: set SHOAL_ADMIN_TOKEN or --admin-token-file`);
  }
  return token;
}
