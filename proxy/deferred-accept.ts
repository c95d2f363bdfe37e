import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';

// Node's HTTP server gives every connection, the moment it is accepted, an HTTP parser (~2 kB
// of native memory with its header slots), its per-connection state and ten bound listeners
// (~1.5 kB of heap); an HTTPS server a TLS session besides. A client that has connected but
// sent nothing needs none of it, and 10,000 such clients cost ~30 MB. So the proxy takes
// the server's own 'connection' listener and calls it only once a socket's first bytes have
// arrived (what nginx's `listen … deferred` asks of the kernel); Node's server then reads
// those bytes from the socket's buffer as if they had just come. Until then a socket holds
// itself and one entry in a list swept for the header timeout, which answers a client that
// stays silent as Node would: through the server's 'clientError' (408), or, on a TLS port
// where no handshake happened, by closing it.

type Listening = Server | HttpsServer;
type Accept = (this: Listening, socket: Socket) => void;

interface Deferred {
  accept: Accept;
  /** Sockets not yet handed over, in accept order, with the time each was accepted. */
  pending: Map<Socket, number>;
}

const kDeferred = Symbol('shoal.deferredAccept');
type Tagged = Listening & { [kDeferred]?: Deferred };
/** net.Server sets `server` on every socket it accepts. */
type Accepted = Socket & { server: Tagged };

export interface DeferOptions {
  /** A socket silent for this long is answered 408 (or closed) and dropped. */
  headerMs: number;
  /** How often the silent ones are looked for. */
  sweepMs: number;
  /** Answer a silent client with an HTTP 408 (false on a TLS port: it never spoke TLS). */
  answer: boolean;
}

/**
 * Defers the server's connection handling to each socket's first bytes. Returns what closes
 * the sockets still waiting (they are idle: shutdown closes them at once), or undefined when
 * the server's connection listener is not Node's one (then nothing is deferred).
 */
export function deferUntilData(server: Listening, o: DeferOptions): (() => void) | undefined {
  const listeners = server.listeners('connection');
  if (listeners.length !== 1) return undefined;
  const accept = listeners[0] as Accept;
  server.removeListener('connection', accept);
  const d: Deferred = { accept, pending: new Map() };
  (server as Tagged)[kDeferred] = d;
  server.on('connection', (socket: Socket) => {
    d.pending.set(socket, Date.now());
    socket.on('error', onPendingError);
    socket.on('readable', onFirstBytes);
  });

  const sweep = setInterval(() => {
    const deadline = Date.now() - o.headerMs;
    for (const [socket, at] of d.pending) {
      if (at > deadline) break; // accept order: the rest are younger
      d.pending.delete(socket);
      if (!socket.destroyed) expire(server, socket, o.answer);
    }
  }, o.sweepMs).unref();
  server.once('close', () => clearInterval(sweep));

  return () => {
    for (const socket of d.pending.keys()) socket.destroy();
    d.pending.clear();
  };
}

/** One 'readable' listener shared by every waiting socket (no closure per socket). */
function onFirstBytes(this: Accepted): void {
  const d = this.server[kDeferred]!;
  d.pending.delete(this);
  release(this);
  // 'readable' with nothing buffered is the end of the stream: the client left without a word
  if (this.readableLength === 0) {
    this.destroy();
    return;
  }
  d.accept.call(this.server, this);
}

function onPendingError(this: Socket): void {
  this.destroy();
}

/** The socket goes back to how Node's server expects a new one: no listeners of ours, readable state reset once 'readable' is gone. */
function release(socket: Socket): void {
  socket.off('readable', onFirstBytes);
  socket.off('error', onPendingError);
}

function expire(server: Listening, socket: Socket, answer: boolean): void {
  release(socket);
  socket.on('error', onPendingError);
  const err = Object.assign(new Error('request not received in time'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
  if (!answer || !server.emit('clientError', err, socket)) socket.destroy();
}
