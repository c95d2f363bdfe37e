import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Rendered } from '../request.js';
import { INVALID_REQUEST, toWire } from './wire.js';

/**
 * `--no-wait`: the seed's chaos monkey mode. Each request goes out on its own socket,
 * which is never read (the answers pile up in the target's send buffers) and is closed
 * after `holdMs`. At most `maxSockets` are open at once; the caller drops what does not fit.
 */
export class NoWaitSender {
  private readonly open = new Set<Socket>();
  private readonly host: string;
  private readonly port: number;
  private readonly tls: boolean;
  private readonly hostHeader: string;
  /** Most sockets open at the same time during the run. */
  peak = 0;
  failures = 0;
  /** Request bytes handed to sockets. */
  bytesSent = 0;

  constructor(
    origin: string,
    private readonly maxSockets: number,
    private readonly holdMs: number,
  ) {
    const u = new URL(origin);
    this.tls = u.protocol === 'https:';
    this.host = u.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(u.port || (this.tls ? 443 : 80));
    this.hostHeader = u.host;
  }

  get sockets(): number {
    return this.open.size;
  }

  admits(): boolean {
    return this.open.size < this.maxSockets;
  }

  send(req: Rendered): void {
    const wire = toWire(req, this.hostHeader);
    if (wire === INVALID_REQUEST) {
      this.failures++;
      return;
    }
    const bytes = wire.bytes;
    this.bytesSent += bytes.length;
    const s = this.tls ? tlsConnect({ host: this.host, port: this.port, servername: this.host, rejectUnauthorized: false }) : netConnect({ host: this.host, port: this.port });
    s.pause();
    this.open.add(s);
    if (this.open.size > this.peak) this.peak = this.open.size;
    const timer = setTimeout(() => s.destroy(), this.holdMs);
    s.once(this.tls ? 'secureConnect' : 'connect', () => s.write(bytes));
    s.once('error', () => this.failures++);
    s.once('close', () => {
      clearTimeout(timer);
      this.open.delete(s);
    });
  }

  /** Closes every socket still held and waits until they are gone. */
  async close(): Promise<void> {
    const closing = [...this.open].map((s) => new Promise<void>((resolve) => (s.once('close', () => resolve()), s.destroy())));
    await Promise.all(closing);
  }
}
