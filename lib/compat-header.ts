/**
 * Marks a request that came in on the proxy's course-API port (`--compat-port`). The proxy
 * sets it there and strips any a client sent; the app serves the course routes only for it.
 */
export const COMPAT_HEADER = 'x-shoal-compat';
