import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Logger } from '../lib/log.js';
import { idleParker, type Accept } from './park-idle.js';

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
//
// Kept-alive connections idle between requests wait here too, parked (park-idle.ts): their
// next bytes hand them back to node:http as new connections, and the sweep closes them,
// quietly as node:http would, once idle for the server's keep-alive timeout.

type Listening = Server | HttpsServer;

interface Deferred {
  accept: Accept;
  /** Sockets not yet handed over, in accept order, with the time each was accepted. */
  pending: Map<Socket, number>;
  /** node:http's own connection listener, for parked sockets (on a TLS port, `accept` is TLS's). */
  resume?: Accept;
  /** Parked sockets, in the order parked, with the time each was. */
  parked: Map<Socket, number>;
  /** Clients accepted since the start. */
  accepted: number;
}

/** How often idle kept-alive connections are looked for and parked. */
const PARK_EVERY_MS = 50;

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
  /** Park idle kept-alive connections (says once in this log if this Node's http server does not allow it). */
  park?: Logger;
}

/** The sockets waiting for their next bytes, and what closes them. */
export interface Waiting {
  /** Sockets that have not spoken yet, and kept-alive ones parked between requests. */
  counts(): { silent: number; parked: number };
  /** Clients accepted since the start (a running total). */
  accepted(): number;
  /** Closes every waiting socket (they are idle: shutdown closes them at once). */
  close(): void;
}

/**
 * Defers the server's connection handling to each socket's first bytes, and parks idle
 * kept-alive connections until their next. Returns the waiting sockets, or undefined when the
 * server's connection listener is not Node's one (then nothing is deferred).
 */
export function deferUntilData(server: Listening, o: DeferOptions): Waiting | undefined {
  const listeners = server.listeners('connection');
  if (listeners.length !== 1) return undefined;
  const accept = listeners[0] as Accept;
  const parker = o.park && idleParker(server, o.park);
  server.removeListener('connection', accept);
  const d: Deferred = { accept, pending: new Map(), resume: parker?.resume, parked: new Map(), accepted: 0 };
  (server as Tagged)[kDeferred] = d;
  server.on('connection', (socket: Socket) => {
    d.accepted++;
    wait(d.pending, socket, Date.now());
  });

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const socket of due(d.pending, now - o.headerMs)) expire(server, socket, o.answer);
    // a parked socket is an idle keep-alive connection: closed without a word, as node:http closes one
    for (const socket of due(d.parked, now - server.keepAliveTimeout)) socket.destroy();
  }, o.sweepMs).unref();
  // Parked soon after its answer, a connection's HTTP state dies young: scavenged, never
  // promoted to the old generation (or growing the young one) as it would be if it survived
  // a few scavenges first. Node's list holds only connections not parked yet, so a pass is short.
  const parking = parker && setInterval(() => {
    const now = Date.now();
    for (const socket of parker.parkIdle()) wait(d.parked, socket, now);
  }, PARK_EVERY_MS).unref();
  server.once('close', () => {
    clearInterval(sweep);
    clearInterval(parking);
  });

  return {
    counts: () => ({ silent: d.pending.size, parked: d.parked.size }),
    accepted: () => d.accepted,
    close() {
      for (const waiting of [d.pending, d.parked]) {
        for (const socket of waiting.keys()) socket.destroy();
        waiting.clear();
      }
    },
  };
}

/** Puts a socket in a waiting list until its next bytes. */
function wait(list: Map<Socket, number>, socket: Socket, now: number): void {
  list.set(socket, now);
  socket.on('error', onPendingError);
  socket.on('readable', onFirstBytes);
}

/** Takes the sockets waiting since before `deadline` off the list (each list is in time order) and releases them. */
function due(list: Map<Socket, number>, deadline: number): Socket[] {
  const out: Socket[] = [];
  for (const [socket, at] of list) {
    if (at > deadline) break; // the rest are younger
    list.delete(socket);
    release(socket);
    if (!socket.destroyed) out.push(socket);
  }
  return out;
}

/** One 'readable' listener shared by every waiting socket (no closure per socket). */
function onFirstBytes(this: Accepted): void {
  const d = this.server[kDeferred]!;
  const accept = d.parked.delete(this) ? d.resume! : (d.pending.delete(this), d.accept);
  release(this);
  // 'readable' with nothing buffered is the end of the stream: the client left without a word
  if (this.readableLength === 0) {
    this.destroy();
    return;
  }
  accept.call(this.server, this);
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
  socket.on('error', onPendingError);
  const err = Object.assign(new Error('request not received in time'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
  if (!answer || !server.emit('clientError', err, socket)) socket.destroy();
}
