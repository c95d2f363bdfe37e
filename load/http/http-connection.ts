import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ResponseParser, type ResponseEvents } from './http-parser.js';
import type { Wire } from './wire.js';

/** Where the connections go. */
export interface Endpoint {
  host: string;
  port: number;
  tls: boolean;
}

/** One request on its way through a connection. */
export interface Exchange {
  wire: Wire;
  wantBody: boolean;
  /** performance.now() when the request was written to a connected socket; 0 until then. */
  sentAt: number;
}

/** How an exchange ended: a status, or status 0 and an error code. */
export interface ConnectionOwner {
  released(conn: Connection, ex: Exchange, status: number, error: string | undefined, bytes: number, body: Buffer | undefined): void;
}

/** A connection closed before its answer was complete, with no socket error to name. */
export const SOCKET_CLOSED = 'SHOAL_ERR_SOCKET_CLOSED';

/**
 * One keep-alive HTTP/1.1 connection carrying one request at a time. The socket opens on
 * the first request and again after any close (the server's Connection: close, an error,
 * a timeout), so a connection slot outlives its sockets. Every failure ends only the
 * request on this connection.
 */
export class Connection implements ResponseEvents {
  private socket: Socket | undefined;
  private connected = false;
  private ex: Exchange | undefined;
  private readonly parser = new ResponseParser(this);
  private openedAt = 0;
  private error: string | undefined;
  /** Packets received, and when the timeout sweep last saw the count move. */
  private packets = 0;
  private seenPackets = 0;
  private progressAt = 0;

  constructor(
    private readonly ep: Endpoint,
    private readonly owner: ConnectionOwner,
  ) {}

  start(ex: Exchange): void {
    this.ex = ex;
    if (!this.socket) this.open();
    else if (this.connected) this.write(ex);
  }

  /** Opens the socket ahead of the first request; resolves once it connected or failed. */
  preconnect(): Promise<void> {
    if (this.socket) return Promise.resolve();
    this.open();
    const s = this.socket!;
    return new Promise((resolve) => {
      s.once(this.ep.tls ? 'secureConnect' : 'connect', () => resolve());
      s.once('close', () => resolve());
    });
  }

  /**
   * Called by the owner's timeout sweep: fails a request that got no byte for
   * `timeoutMs`, or whose socket has not connected within `connectTimeoutMs`.
   */
  check(now: number, timeoutMs: number, connectTimeoutMs: number): void {
    const ex = this.ex;
    if (!ex) return;
    if (!this.connected) {
      if (now - this.openedAt > connectTimeoutMs) this.fail('SHOAL_ERR_CONNECT_TIMEOUT');
      return;
    }
    if (this.packets !== this.seenPackets) {
      this.seenPackets = this.packets;
      this.progressAt = now;
    }
    if (now - Math.max(this.progressAt, ex.sentAt) > timeoutMs) this.fail(this.parser.inBody ? 'SHOAL_ERR_BODY_TIMEOUT' : 'SHOAL_ERR_HEADERS_TIMEOUT');
  }

  /** Closes the socket; a request still on it fails with `code`. */
  fail(code: string): void {
    const ex = this.ex;
    this.ex = undefined;
    this.drop();
    if (ex) this.owner.released(this, ex, 0, code, 0, undefined);
  }

  onHead(): boolean {
    const ex = this.ex;
    if (!ex) return false;
    this.parser.noBody = ex.wire.head;
    this.parser.keepBody = ex.wantBody;
    return true;
  }

  onEnd(status: number, bytes: number, keepAlive: boolean, body: Buffer | undefined): void {
    const ex = this.ex!;
    this.ex = undefined;
    if (!keepAlive || !ex.wire.reuse) this.drop();
    this.owner.released(this, ex, status, undefined, bytes, body);
  }

  private write(ex: Exchange): void {
    ex.sentAt = performance.now();
    this.socket!.write(ex.wire.bytes);
  }

  private open(): void {
    const { host, port, tls } = this.ep;
    // TLS targets are load-tested, not trusted: like --no-wait, certificates are not verified.
    const s = tls ? tlsConnect({ host, port, servername: /^[\d.]+$|:/.test(host) ? undefined : host, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }) : netConnect({ host, port });
    this.socket = s;
    this.connected = false;
    this.openedAt = performance.now();
    this.error = undefined;
    this.parser.reset();
    s.setNoDelay(true);
    s.on(tls ? 'secureConnect' : 'connect', () => {
      if (this.socket !== s) return;
      this.connected = true;
      if (this.ex) this.write(this.ex);
    });
    s.on('data', (chunk: Buffer) => {
      if (this.socket !== s) return;
      this.packets++;
      const err = this.parser.execute(chunk);
      if (err) this.fail(err);
    });
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (this.socket === s) this.error = err.code ?? err.name;
    });
    s.on('close', () => {
      if (this.socket !== s) return;
      this.socket = undefined;
      this.connected = false;
      if (!this.ex) return; // an idle keep-alive socket the server closed: reopened on demand
      this.parser.finish(); // a body that runs until the close ends here (through onEnd)
      if (this.ex) this.fail(this.error ?? SOCKET_CLOSED);
    });
  }

  private drop(): void {
    const s = this.socket;
    if (!s) return;
    this.socket = undefined;
    this.connected = false;
    this.parser.halt();
    s.destroy();
  }
}
