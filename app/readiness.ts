import { toHttpError } from './http/error-mapper.js';

export interface ReadinessReport {
  ready: boolean;
  draining: boolean;
  /** Still running its warm-up (app/warm-up): up, but not ready for traffic yet. */
  warming: boolean;
  db: { ok: boolean; message?: string };
}

/**
 * Ready = warmed up, not draining, and the database answers. Probes are shared and cached for
 * `cacheMs` so a load balancer polling /readyz hard does not become DynamoDB load.
 */
export class Readiness {
  draining = false;
  warming = false;
  private last?: { at: number; ok: boolean; message?: string };
  private inflight?: Promise<{ ok: boolean; message?: string }>;

  constructor(
    private readonly probe: () => Promise<void>,
    private readonly cacheMs = 1000,
  ) {}

  async check(now = Date.now()): Promise<ReadinessReport> {
    const db = await this.db(now);
    return { ready: !this.draining && !this.warming && db.ok, draining: this.draining, warming: this.warming, db };
  }

  private async db(now: number): Promise<{ ok: boolean; message?: string }> {
    if (this.last && now - this.last.at < this.cacheMs) return this.last;
    this.inflight ??= this.probe()
      .then(
        () => ({ ok: true }),
        (err: unknown) => ({ ok: false, message: toHttpError(err).message }),
      )
      .then((r) => {
        this.last = { at: Date.now(), ...r };
        this.inflight = undefined;
        return r;
      });
    return this.inflight;
  }
}
