import { Client } from 'undici';
import type { Logger } from '../lib/log.js';

// Two views of a server's health. Active: the proxy asks /readyz every interval and needs
// `rise` passes in a row to count it up, `fall` failures in a row to count it down.
// Passive: real traffic that fails (connect errors, 5xx) `ejectAfter` times in a row ejects
// the server for a back-off that doubles with each ejection, unless too many are out already.

export interface HealthConfig {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  rise: number;
  fall: number;
  /** Consecutive failed requests (connect error or 5xx) that eject a server. */
  ejectAfter: number;
  ejectBaseMs: number;
  ejectMaxMs: number;
  /** Most servers that may be ejected at once, as a percent of the pool. */
  maxEjectPercent: number;
}

export interface HealthState {
  /** The active checks' verdict. A server the registry calls ready starts up. */
  up: boolean;
  passStreak: number;
  failStreak: number;
  /** Consecutive failed requests from real traffic. */
  passiveFailures: number;
  /** While > now the server is ejected; 0 when not. */
  ejectedUntil: number;
  /** Ejections so far, for the doubling back-off; forgiven after a long calm. */
  ejections: number;
  lastEjectedAt: number;
  /** When the server (re)entered rotation: the start of its slow start ramp. */
  admittedAt: number;
}

export function newHealth(now: number): HealthState {
  return { up: true, passStreak: 0, failStreak: 0, passiveFailures: 0, ejectedUntil: 0, ejections: 0, lastEjectedAt: 0, admittedAt: now };
}

/** Records one active check; returns 'up' or 'down' when the verdict flips. */
export function observeCheck(s: HealthState, ok: boolean, cfg: Pick<HealthConfig, 'rise' | 'fall'>, now: number): 'up' | 'down' | undefined {
  if (ok) {
    s.failStreak = 0;
    s.passStreak++;
    if (!s.up && s.passStreak >= cfg.rise) {
      s.up = true;
      s.admittedAt = now;
      return 'up';
    }
  } else {
    s.passStreak = 0;
    s.failStreak++;
    if (s.up && s.failStreak >= cfg.fall) {
      s.up = false;
      return 'down';
    }
  }
  return undefined;
}

/** Records one real request's outcome; true when it crosses the ejection threshold. */
export function observeRequest(s: HealthState, failed: boolean, ejectAfter: number): boolean {
  if (!failed) {
    s.passiveFailures = 0;
    return false;
  }
  s.passiveFailures++;
  return s.passiveFailures >= ejectAfter;
}

/**
 * May one more server be ejected? Never the last one of a pool of one, and at most
 * `maxPercent` of the pool (rounded down, but at least one when there are two or more).
 */
export function ejectionAllowed(poolSize: number, ejectedNow: number, maxPercent: number): boolean {
  if (poolSize < 2) return false;
  const cap = Math.max(1, Math.floor((poolSize * maxPercent) / 100));
  return ejectedNow + 1 <= cap;
}

/** The n-th ejection lasts base × 2^(n−1), capped. */
export function ejectionMs(n: number, cfg: Pick<HealthConfig, 'ejectBaseMs' | 'ejectMaxMs'>): number {
  return Math.min(cfg.ejectMaxMs, cfg.ejectBaseMs * 2 ** Math.max(0, n - 1));
}

export function eject(s: HealthState, cfg: Pick<HealthConfig, 'ejectBaseMs' | 'ejectMaxMs'>, now: number): number {
  // a server that stayed in for a long while starts its back-off afresh
  if (s.lastEjectedAt && now - s.lastEjectedAt > 4 * cfg.ejectMaxMs) s.ejections = 0;
  s.ejections++;
  s.lastEjectedAt = now;
  const ms = ejectionMs(s.ejections, cfg);
  s.ejectedUntil = now + ms;
  s.passiveFailures = 0;
  return ms;
}

/** True while ejected. When the back-off has passed it re-admits the server (and restarts its ramp). */
export function stillEjected(s: HealthState, now: number): boolean {
  if (s.ejectedUntil === 0) return false;
  if (now < s.ejectedUntil) return true;
  s.ejectedUntil = 0;
  s.admittedAt = now;
  return false;
}

export interface Checked {
  readonly id: string;
  readonly address: string;
  readonly health: HealthState;
}

/**
 * Polls each server's readiness path on its own one-connection client, so a check never
 * waits behind real traffic queued in the server's pool.
 */
export class ActiveChecker {
  private readonly clients = new Map<string, { client: Client; timer: NodeJS.Timeout; busy: boolean }>();

  constructor(
    private readonly cfg: HealthConfig,
    private readonly onFlip: (target: Checked, verdict: 'up' | 'down', detail: string) => void,
    private readonly log: Logger,
  ) {}

  watch(target: Checked): void {
    if (this.clients.has(target.id) || this.cfg.intervalMs <= 0) return;
    const client = new Client(`http://${target.address}`, {
      pipelining: 1,
      connect: { timeout: this.cfg.timeoutMs },
      headersTimeout: this.cfg.timeoutMs,
      bodyTimeout: this.cfg.timeoutMs,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 30_000,
    });
    client.on('connectionError', () => {}); // failures surface per request below
    const entry = { client, busy: false, timer: undefined as unknown as NodeJS.Timeout };
    // spread the first checks so a resync of many servers does not check them all at once
    const tick = () => void this.check(target, entry);
    entry.timer = setInterval(tick, this.cfg.intervalMs);
    entry.timer.unref();
    setTimeout(tick, Math.floor(Math.random() * Math.min(this.cfg.intervalMs, 500))).unref();
    this.clients.set(target.id, entry);
  }

  unwatch(id: string): void {
    const e = this.clients.get(id);
    if (!e) return;
    clearInterval(e.timer);
    this.clients.delete(id);
    e.client.destroy().catch(() => {});
  }

  close(): void {
    for (const id of [...this.clients.keys()]) this.unwatch(id);
  }

  private async check(target: Checked, entry: { client: Client; busy: boolean }): Promise<void> {
    if (entry.busy || !this.clients.has(target.id)) return;
    entry.busy = true;
    let ok = false;
    let detail = '';
    try {
      const res = await entry.client.request({ path: this.cfg.path, method: 'GET', headers: { 'user-agent': 'shoal-proxy-health' } });
      await res.body.dump();
      ok = res.statusCode >= 200 && res.statusCode < 300;
      detail = `status ${res.statusCode}`;
    } catch (err) {
      detail = (err as NodeJS.ErrnoException).code ?? String(err);
    } finally {
      entry.busy = false;
    }
    if (!this.clients.has(target.id)) return;
    const flip = observeCheck(target.health, ok, this.cfg, Date.now());
    if (flip) {
      this.log.info({ server: target.id, address: target.address, verdict: flip, detail }, `health check: ${target.id} is ${flip}`);
      this.onFlip(target, flip, detail);
    }
  }
}
