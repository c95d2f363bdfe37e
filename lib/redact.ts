// Credentials in URLs (redis://:pass@host, https://user:token@host) are never printed.
const CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]*)(?::([^/\s]*))?@/gi;

/** `redis://:secret@host:6379` → `redis://:***@host:6379`; a user name stays, a password goes. */
export function redact(text: string): string {
  return text.replace(CREDENTIALS, (_m, scheme: string, user: string, pass: string | undefined) =>
    pass === undefined ? `${scheme}${user ? '***' : ''}@` : `${scheme}${user}:***@`,
  );
}
