// The only place in shoal that spells a Redis key. docs/redis.md lists each one.
export const DEFAULT_PREFIX = 'shoal:';

export interface Keys {
  readonly prefix: string;
  /** Hash: one app server's registry entry. */
  server(id: string): string;
  /** Set: every known server id. */
  readonly servers: string;
  /** String counter: bumped on every pool change; proxies ack the version they applied. */
  readonly poolVersion: string;
  /** Pub/sub channel: a message per pool change. */
  readonly poolChannel: string;
  /** Hash: the request monitor's counters for the app server at `address` (host:port). */
  requests(address: string): string;
  /** Hash: one field per app server, the memory monitor's JSON reading. */
  readonly memoryLoad: string;
  /** Hash: one proxy's registration, heartbeat, applied pool version and rates. */
  proxy(id: string): string;
  /** Set: every known proxy id. */
  readonly proxies: string;
  /** Hash: the autoscaler's min, max, targets, desired and last decision. */
  readonly autoscalerState: string;
  /** Stream (capped): the autoscaler's decisions with inputs and reasons. */
  readonly decisions: string;
  /** String with TTL: the leader lock's holder. */
  readonly leader: string;
  /** String counter: the fencing token handed to each new leader. */
  readonly fencing: string;
  /** Hash: token signing keys, field kid → JSON {secret, createdAt}; every app server signs and verifies with them. */
  readonly authKeys: string;
  /** String with TTL: a revoked token's id (jti), kept until the token would have expired. */
  revokedToken(jti: string): string;
  /** String counter with TTL: failed logins in the current window for one account or one client address. */
  loginFailures(scope: 'account' | 'address', who: string): string;
  /** Hash: one field per process `shoal up` supervises, its restarts and last exit (JSON). */
  readonly stackProcesses: string;
  /** Stream (capped): chaos experiment and Chaos Monkey events, shown on the dashboard. */
  readonly chaosEvents: string;
  /** Hash: field app-server id → the loopback address of its fault hooks (only with --enable-faults). */
  readonly faultHooks: string;
  /** String (TTL 60 s): the time of the last chaos write probe. */
  readonly chaosProbe: string;
}

export function fleetKeys(prefix: string = DEFAULT_PREFIX): Keys {
  return {
    prefix,
    server: (id) => `${prefix}server:${id}`,
    servers: `${prefix}servers`,
    poolVersion: `${prefix}pool:version`,
    poolChannel: `${prefix}pool:changes`,
    requests: (address) => `${prefix}requests:${address}`,
    memoryLoad: `${prefix}memory_load`,
    proxy: (id) => `${prefix}proxy:${id}`,
    proxies: `${prefix}proxies`,
    autoscalerState: `${prefix}autoscaler:state`,
    decisions: `${prefix}autoscaler:decisions`,
    leader: `${prefix}autoscaler:leader`,
    fencing: `${prefix}autoscaler:fencing`,
    authKeys: `${prefix}auth:keys`,
    revokedToken: (jti) => `${prefix}auth:revoked:${jti}`,
    loginFailures: (scope, who) => `${prefix}auth:login-failures:${scope}:${who}`,
    stackProcesses: `${prefix}stack:processes`,
    chaosEvents: `${prefix}chaos:events`,
    faultHooks: `${prefix}chaos:fault-hooks`,
    chaosProbe: `${prefix}chaos:probe`,
  };
}
