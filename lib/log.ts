import { pino, type Logger } from 'pino';

export type { Logger };

// Logs go to stderr so stdout stays free for what a command prints for people
// and scripts (addresses, reports, JSON).
export function createLogger(name: string, level = process.env.SHOAL_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }));
}

// Remembers which failures were already logged so an outage is reported once, not per tick.
export class OnceLog {
  private readonly seen = new Set<string>();
  constructor(private readonly log: Logger) {}

  warn(key: string, obj: object, msg: string): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.log.warn(obj, msg);
  }

  clear(key: string, msg?: string): void {
    if (this.seen.delete(key) && msg) this.log.info(msg);
  }
}
