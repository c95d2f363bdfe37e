import type { Socket } from 'node:net';
import { buildConnector } from 'undici';

// An app server may answer before it has read the whole request body (413 for a body over
// its limit, 415, 400) and close the connection. The proxy, still streaming the client's
// body, then writes into a socket the server has reset: EPIPE/ECONNRESET. undici treats that
// write error as the end of the exchange and destroys the socket — with the server's answer
// still unread in the kernel buffer — so the client would get a 502 instead of the 413.
// These sockets swallow such a write error and keep reading: the answer (or the read side's
// own EOF/reset, when there is none) arrives a moment later, as nginx reads an early
// response instead of failing on the send.

const LOST_PEER = new Set(['EPIPE', 'ECONNRESET']);

/** How long a socket whose writes failed may wait for the server's answer before it is closed. */
const ANSWER_GRACE_MS = 2000;

type WriteCb = (err?: Error | null) => void;
type Writev = (chunks: { chunk: unknown; encoding: BufferEncoding }[], cb: WriteCb) => void;
type Write = (chunk: unknown, encoding: BufferEncoding, cb: WriteCb) => void;
interface RawSocket {
  _write: Write;
  _writev?: Writev;
}

/** undici's connector (plain TCP, keep-alive, connect timeout) with early-answer-tolerant sockets. */
export function upstreamConnector(connectTimeoutMs: number): buildConnector.connector {
  const connect = buildConnector({ timeout: connectTimeoutMs });
  return (opts, cb) =>
    connect(opts, (...args: buildConnector.CallbackArgs) => {
      if (args[0] === null) readOnAfterWriteFailure(args[1]);
      cb(...args);
    });
}

/** Patches one socket so a lost-peer write error discards the rest of the writes instead of destroying it. */
export function readOnAfterWriteFailure(socket: Socket): void {
  const raw = socket as unknown as RawSocket;
  const write = raw._write;
  const writev = raw._writev;
  let failed: Error | undefined;
  const settle = (cb: WriteCb) => (err?: Error | null) => {
    if (err && LOST_PEER.has((err as NodeJS.ErrnoException).code ?? '')) {
      if (!failed) {
        failed = err;
        // the read side normally ends at once (EOF or reset); this only bounds a peer that went silent
        setTimeout(() => socket.destroy(err), ANSWER_GRACE_MS).unref();
      }
      return cb();
    }
    cb(err);
  };
  raw._write = function (chunk, encoding, cb) {
    if (failed) return cb();
    write.call(this, chunk, encoding, settle(cb));
  };
  if (writev) {
    raw._writev = function (chunks, cb) {
      if (failed) return cb();
      writev.call(this, chunks, settle(cb));
    };
  }
}
