// The app servers' own endpoints: for the proxy's health checks, Prometheus and operators on
// the servers' addresses, never for the public. The app's router matches paths without
// regard to case or a trailing slash, and percent-decodes them, so the check does too.
const INTERNAL = new Set(['/metrics', '/healthz', '/readyz', '/traces']);

/** True for `/metrics`, `/healthz`, `/readyz`, `/traces` in any spelling the app would route the same. */
export function isInternalPath(pathWithQuery: string): boolean {
  const q = pathWithQuery.indexOf('?');
  let path = q === -1 ? pathWithQuery : pathWithQuery.slice(0, q);
  // the common case costs one length check: every internal path is short
  if (path.length > 64) return false;
  if (path.includes('%')) {
    try {
      path = decodeURIComponent(path);
    } catch {
      return false;
    }
  }
  path = path.toLowerCase().replace(/\/+$/, '');
  return INTERNAL.has(path);
}
