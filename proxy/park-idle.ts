import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { Socket } from 'node:net';
import type { Logger } from '../lib/log.js';

// A kept-alive client between two requests holds all of node:http's per-connection state:
// the HTTP parser (~2.5 kB native with its header slots), six bound listeners, the wrapped
// `on`/`addListener`, a state object and a keep-alive timer (~2.7 kB of heap). With 10,000
// such clients that is ~50 MB for sockets doing nothing. nginx frees a connection's request
// state while it waits for the next request (ngx_http_set_keepalive); so does this: a
// connection whose last answer is sent, with no request begun since and nothing buffered,
// gets node:http's state taken off (what node:http itself does to a socket it hands to an
// 'upgrade' listener) and waits as a bare socket in deferred-accept.ts, which hands it back
// to node:http's connection listener as a new connection when its next bytes arrive.
//
// This reaches into node:http's private parts, identical in Node 20, 22 and 24's
// lib/_http_server.js (connectionListenerInternal, unconsume, the upgrade branch of
// onParserExecuteCommon) and _http_common.js (freeParser). Everything it needs is checked
// first; anything unexpected and it parks nothing, saying so once.

type Listening = Server | HttpsServer;
export type Accept = (this: Listening, socket: Socket) => void;

interface Parser {
  socket: Socket | null;
  incoming: unknown;
}
interface HttpSocket extends Socket {
  parser?: Parser | null;
  _httpMessage?: unknown;
  _paused?: boolean;
  _handle?: { _consumed?: boolean } | null;
}
interface Connections {
  idle(): Parser[];
}

const require = createRequire(import.meta.url);
const internals = (): { connectionListener?: Accept; freeParser?: (p: Parser, req: null, s: Socket) => void } => {
  try {
    return { connectionListener: require('node:_http_server')._connectionListener, freeParser: require('node:_http_common').freeParser };
  } catch {
    return {};
  }
};

/** node:http's listeners on each connection's socket, by event and function name (bound ones are named `bound x`). */
const NODE_LISTENERS: [string, string][] = [
  ['data', 'bound socketOnData'],
  ['end', 'bound socketOnEnd'],
  ['close', 'bound socketOnClose'],
  ['drain', 'bound socketOnDrain'],
  ['error', 'socketOnError'],
  ['timeout', 'socketOnTimeout'],
  ['resume', 'onSocketResume'],
  ['pause', 'onSocketPause'],
];
/** Own properties node:http sets on a socket to watch who else reads it. */
const WRAPPED = ['on', 'addListener', 'prependListener', 'setEncoding'] as const;

export interface Parker {
  /** node:http's connection listener: what takes a parked socket back. */
  resume: Accept;
  /** Takes node:http's state off every connection idle between requests; returns their sockets. */
  parkIdle(): Socket[];
}

/**
 * What parks `server`'s idle kept-alive connections, or undefined (said once in the log)
 * when this Node's http server is not the one this was written against.
 */
export function idleParker(server: Listening, log: Logger): Parker | undefined {
  const { connectionListener, freeParser } = internals();
  const tls = 'setSecureContext' in server;
  // an https server hands node:http the TLSSocket from its 'secureConnection' event
  const handsOver = tls ? server.listeners('secureConnection') : [connectionListener];
  if (typeof connectionListener !== 'function' || typeof freeParser !== 'function') return notParking(log, 'node:http internals not found');
  if (!handsOver.includes(connectionListener)) return notParking(log, 'the server does not hand connections to node:http directly');

  let connections: (() => Connections | undefined) | undefined;
  let broken = false;
  const detach = (socket: HttpSocket, parser: Parser): boolean => {
    const found = NODE_LISTENERS.map(([event, name]) => socket.listeners(event).find((f) => f.name === name));
    if (found.some((f) => !f) || WRAPPED.some((k) => !Object.hasOwn(socket, k))) {
      broken = true;
      notParking(log, "a connection's node:http listeners are not the expected ones");
      return false;
    }
    NODE_LISTENERS.forEach(([event], i) => socket.removeListener(event, found[i] as (...a: unknown[]) => void));
    // the prototype's back, as node:http puts them back itself (assigned: `delete` would turn every parked socket into a slow dictionary-mode object)
    for (const k of WRAPPED) (socket as unknown as Record<string, unknown>)[k] = Socket.prototype[k];
    freeParser(parser, null, socket); // stops the parser reading the socket and removes it from the server's connection list
    // node:http consumes a socket's handle only once ("never been consumed before"): let it again
    if (socket._handle) socket._handle._consumed = false;
    socket.setTimeout(0); // the keep-alive timer: deferred-accept's sweep keeps that deadline now
    return true;
  };

  return {
    resume: connectionListener,
    parkIdle() {
      // without a keep-alive timeout Node keeps idle connections open for good: nothing to park them against
      if (broken || !server.listening || !(server.keepAliveTimeout > 0)) return [];
      connections ??= connectionsOf(server);
      const list = connections?.();
      if (!list) {
        broken = true;
        notParking(log, "the server's list of HTTP connections was not found");
        return [];
      }
      const idle = list.idle();
      const parked: Socket[] = [];
      for (const parser of idle) {
        const socket = parser.socket as HttpSocket | null;
        if (socket && isBetweenRequests(socket, parser) && detach(socket, parser)) parked.push(socket);
        if (broken) break;
      }
      return parked;
    },
  };
}

function notParking(log: Logger, why: string): undefined {
  log.warn({ why }, 'idle keep-alive connections keep their HTTP state (not parked)');
  return undefined;
}

/** The server's list of HTTP connections (node's ConnectionsList, made when it starts listening). */
function connectionsOf(server: Listening): (() => Connections | undefined) | undefined {
  const key = Object.getOwnPropertySymbols(server).find((s) => s.description === 'http.server.connections');
  if (!key) return undefined;
  return () => {
    const c = (server as unknown as Record<symbol, Connections | undefined>)[key];
    return typeof c?.idle === 'function' ? c : undefined;
  };
}

/**
 * The parser's list counts a connection idle once a request was read whole and no byte of
 * the next has come; it must also have sent its last answer, be readable and writable, and
 * hold nothing unread (a paused, pipelining client) or unsent.
 */
function isBetweenRequests(socket: HttpSocket, parser: Parser): boolean {
  return (
    socket.parser === parser &&
    parser.incoming == null &&
    socket._httpMessage == null &&
    !socket._paused &&
    !socket.destroyed &&
    socket.readable &&
    socket.writable &&
    socket.readableLength === 0 &&
    socket.writableLength === 0 &&
    socket.listenerCount('readable') === 0 &&
    socket.listenerCount('data') === 1
  );
}
