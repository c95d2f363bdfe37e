import { COMMAND_TIMEOUT_MS, isReady, type Redis } from './connect.js';

/**
 * Whether Redis answers, as the readers (proxy `/pool`, autoscaler `/healthz`, dashboard)
 * report it: a PING every `intervalMs`, and Redis is down from the first one that fails or
 * goes unanswered within the command timeout. A connected socket is not enough: a stopped
 * Redis keeps its connections open and answers nothing.
 */
export class RedisHealth {
  private ok = false;
  private timer?: NodeJS.Timeout;
  private pinging = false;

  constructor(
    private readonly redis: Redis,
    private readonly intervalMs = COMMAND_TIMEOUT_MS,
  ) {}

  get up(): boolean {
    return this.ok && isReady(this.redis);
  }

  start(): this {
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
    void this.check();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One round trip; resolves with the new state. */
  async check(): Promise<boolean> {
    if (this.pinging) return this.up;
    this.pinging = true;
    try {
      this.ok = (await this.redis.ping()) === 'PONG';
    } catch {
      this.ok = false;
    } finally {
      this.pinging = false;
    }
    return this.up;
  }
}
