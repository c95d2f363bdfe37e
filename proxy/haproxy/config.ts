import { COMPAT_HEADER } from '../../lib/compat-header.js';
import type { ProxyConfig } from '../config.js';
import { ProxyErrorCode, statusFor } from '../errors.js';

// Pure: the haproxy.cfg shoal writes for the HAProxy it runs, from the same ProxyConfig the
// Node data plane uses. The backend starts empty; servers come and go through the Runtime
// API (pool-diff.ts), never by rewriting this file, so membership never reloads HAProxy.

/** The backend shoal fills with `add server`; an attached HAProxy must have one of this name. */
export const BACKEND = 'shoal_app';

/** Where the rendered config points: the runtime API socket, the error pages, the TLS bundle. */
export interface HaproxyPaths {
  socket: string;
  /** The process's open-file limit: HAProxy refuses to start with a maxconn it cannot hold. */
  fdLimit?: number;
  /** Directory holding 400.http, 408.http, 502.http, 503.http, 504.http. */
  errors: string;
  /** cert + key in one PEM (HAProxy's `crt`), present only with TLS. */
  pem?: string;
}

const ms = (n: number) => `${Math.max(1, Math.round(n))}ms`;

/** HAProxy's default pool-purge-delay for the servers of its config file. */
const IDLE_PURGE_MS = 5000;

/** Weight of a server at full share; slow start sets a fraction of it (HAProxy takes 1-256). */
export const FULL_WEIGHT = 100;

/** The answers HAProxy makes itself, as shoal's JSON errors (status → code, message). */
export const ERROR_PAGES: Record<number, { code: string; message: string }> = {
  400: { code: ProxyErrorCode.BAD_REQUEST, message: 'the proxy could not read the request' },
  408: { code: 'SHOAL_ERR_REQUEST_TIMEOUT', message: 'the request was not received within the request timeout' },
  502: { code: ProxyErrorCode.UPSTREAM_FAILED, message: 'an app server failed to answer' },
  503: { code: ProxyErrorCode.NO_UPSTREAM, message: 'no app server is ready to take this request' },
  504: { code: ProxyErrorCode.UPSTREAM_TIMEOUT, message: 'no answer within the response timeout' },
};

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

/**
 * A whole raw HTTP response, as an `errorfile` holds it; a 503 tells the client when to come
 * back. HAProxy closes the client connection after an answer of its own: saying so lets a
 * keep-alive client open a new one instead of sending its next request into a closing socket.
 */
export function errorPage(status: number): string {
  const e = ERROR_PAGES[status]!;
  const body = JSON.stringify({ error: { code: e.code, message: e.message } });
  const head = [`HTTP/1.1 ${status} ${REASONS[status]}`, 'content-type: application/json; charset=utf-8', `content-length: ${Buffer.byteLength(body)}`, 'cache-control: no-cache', 'connection: close'];
  if (status === 503) head.push('retry-after: 1');
  return `${head.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * The arguments every `add server` gets: the per-server connection and queue caps and the
 * idle connection pool.
 */
export function serverArgs(cfg: Pick<ProxyConfig, 'limits' | 'timeouts'>): string {
  return [
    `maxconn ${cfg.limits.upstreamConnections}`,
    `maxqueue ${cfg.limits.queuePerServer}`,
    // A server added over the Runtime API gets neither the config file's default idle pool nor
    // its purge delay (HAProxy 2.6): without both, every request opens a new connection to the
    // app server, which cost shoal+haproxy three quarters of bare HAProxy's throughput. The
    // delay is HAProxy's default (or the shorter upstream idle timeout): a server that left is
    // deleted only once its idle connections are purged, within about two delays.
    `pool-max-conn ${cfg.limits.upstreamConnections}`,
    `pool-purge-delay ${ms(Math.min(IDLE_PURGE_MS, cfg.timeouts.upstreamIdleMs))}`,
  ].join(' ');
}

/**
 * What a checked server adds to serverArgs: shoal's health flags as HAProxy's own active
 * checks (`/readyz` via `option httpchk`) and its passive ejection as `observe layer7` (5xx
 * and connection errors counted; `--eject-after` in a row mark the server down until checks
 * pass again). Empty when checks are off (`--health-interval 0`).
 */
export function checkArgs(cfg: Pick<ProxyConfig, 'health'>): string {
  const h = cfg.health;
  if (h.intervalMs <= 0) return '';
  return ['check', `inter ${h.intervalMs}`, `rise ${h.rise}`, `fall ${h.fall}`, 'observe layer7', `error-limit ${h.ejectAfter}`, 'on-error mark-down'].join(' ');
}

/**
 * Connections HAProxy may hold: --max-connections, or what the open-file limit allows (two
 * descriptors per proxied connection plus a margin for listeners, checks and the socket).
 */
export function globalMaxconn(wanted: number, fdLimit: number | undefined): number {
  if (!fdLimit) return wanted;
  return Math.max(1, Math.min(wanted, Math.floor((fdLimit - 256) / 2)));
}

const INTERNAL = ProxyErrorCode.INTERNAL_PATH;

/** An X-Request-Id shoal keeps: the Node plane's rule (proxy/headers.ts). */
const REQUEST_ID = '^[-A-Za-z0-9_.:@/+=]{1,128}$';

export function renderConfig(cfg: ProxyConfig, paths: HaproxyPaths): string {
  const t = cfg.timeouts;
  const lines = [
    '# written by shoal proxy --data-plane haproxy; servers are managed over the runtime API',
    'global',
    `  nbthread ${cfg.workers}`,
    `  maxconn ${globalMaxconn(cfg.limits.maxClientConnections, paths.fdLimit)}`,
    `  stats socket ${paths.socket} mode 600 level admin`,
    `  hard-stop-after ${ms(t.shutdownMs)}`,
    // without a log target HAProxy logs nothing; shoal reads what it needs from `show stat`
    '',
    'defaults',
    '  mode http',
    '  option http-keep-alive',
    `  timeout connect ${ms(t.connectMs)}`,
    `  timeout http-request ${ms(t.headerMs)}`,
    `  timeout client ${ms(t.idleMs)}`,
    `  timeout http-keep-alive ${ms(t.idleMs)}`,
    `  timeout server ${ms(t.responseMs)}`,
    `  timeout queue ${ms(t.responseMs)}`,
    '  timeout tunnel 1h',
    ...Object.keys(ERROR_PAGES).map((s) => `  errorfile ${s} ${paths.errors}/${s}.http`),
    '',
    ...frontend('shoal', cfg, cfg.port, paths, false),
  ];
  if (cfg.compatPort !== undefined) lines.push('', ...frontend('shoal_compat', cfg, cfg.compatPort, paths, true));
  if (cfg.tls && cfg.redirectHttpPort !== undefined) {
    const port = cfg.port === 443 ? '' : `:${cfg.port}`;
    const location = `https://%[req.hdr(host),regsub(:[0-9]+$,)]${port}%[capture.req.uri]`;
    lines.push(
      '',
      'frontend shoal_redirect',
      `  bind ${bindAddress(cfg.host, cfg.redirectHttpPort)}`,
      // 301 keeps GET a GET; 308 keeps the method and body of anything else
      `  http-request redirect location ${location} code 301 if METH_GET or METH_HEAD`,
      `  http-request redirect location ${location} code 308`,
    );
  }
  lines.push('', ...backend(cfg));
  return lines.join('\n') + '\n';
}

function frontend(name: string, cfg: ProxyConfig, port: number, paths: HaproxyPaths, compat: boolean): string[] {
  const proto = cfg.tls ? 'https' : 'http';
  const out = [
    `frontend ${name}`,
    `  bind ${bindAddress(cfg.host, port)}${cfg.tls && paths.pem ? ` ssl crt ${paths.pem}` : ''}`,
    `  maxconn ${cfg.limits.maxClientConnections}`,
    '  option forwardfor',
    // the client's X-Request-Id when it is one sane token, else a new UUID; echoed in the answer.
    // A valid id is left as it came (no rewrite) and `uuid()` is fetched only when one is made:
    // a `unique-id-format` would build an id for every request (bench/haproxy-rules.ts).
    `  http-request set-header x-request-id %[uuid()] unless { req.fhdr_cnt(x-request-id) eq 1 } { req.fhdr(x-request-id) -m reg ${REQUEST_ID} }`,
    '  http-request set-var(txn.rid) req.fhdr(x-request-id)',
    `  http-request set-header x-forwarded-proto ${proto}`,
    '  http-request set-header x-forwarded-host %[req.hdr(host)] if { req.hdr(host) -m found }',
    '  http-request del-header x-forwarded-host unless { req.hdr(host) -m found }',
    `  http-request del-header ${COMPAT_HEADER}`,
  ];
  if (compat) out.push(`  http-request set-header ${COMPAT_HEADER} 1`);
  if (!cfg.exposeInternal) {
    const body = JSON.stringify({ error: { code: INTERNAL, message: 'no route for this path on the public port' } });
    out.push(`  http-request return status ${statusFor(INTERNAL)} content-type application/json string '${body}' if { path,url_dec -m reg -i ^/(metrics|healthz|readyz)/*$ }`);
  }
  out.push('  http-response set-header x-request-id %[var(txn.rid)]', `  default_backend ${BACKEND}`);
  return out;
}

function backend(cfg: ProxyConfig): string[] {
  const out = [
    `backend ${BACKEND}`,
    // p2c balances on least outstanding requests: leastconn is that, exactly. (HAProxy 2.6's
    // random(2) loses dynamically added servers from its tree, so it is not used.)
    `  balance ${cfg.balancer === 'p2c' ? 'leastconn' : 'roundrobin'}`,
    '  http-reuse safe',
    `  option httpchk GET ${cfg.health.path}`,
    // fail open: every ready server has an unchecked backup twin (pool-diff.ts), which HAProxy
    // uses only when no checked server is up; all of them at once, not just the first
    '  option allbackups',
    `  timeout check ${ms(cfg.health.timeoutMs)}`,
    // shoal's retry rules: a connection that failed may be sent anywhere; a request that broke
    // or timed out after it was sent is resent only when idempotent or carrying an Idempotency-Key
    `  retries ${cfg.limits.maxAttempts - 1}`,
    '  option redispatch 1',
  ];
  // HAProxy's L7 retries copy the whole request buffer (tune.bufsize, 16 kB) for every request
  // they may resend: --retry-sent off leaves them out (bench/haproxy-rules.ts, docs/proxy.md)
  if (!cfg.limits.retrySent) return [...out, '  retry-on conn-failure'];
  return [
    ...out,
    '  retry-on conn-failure empty-response response-timeout',
    '  http-request disable-l7-retry unless { method GET HEAD PUT DELETE OPTIONS TRACE } || { req.hdr(idempotency-key) -m found }',
  ];
}

function bindAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
