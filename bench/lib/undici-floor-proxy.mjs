// The floor for a Node proxy: node's http server plus one undici Pool to one backend,
// nothing else — no balancing, retries, metrics, request ids or X-Forwarded-*. It speaks
// undici's core handler interface with raw header lists, as proxy/forward.ts does, so what
// shoal spends above this is its own logic. Only for bench/proxy (GETs without bodies).
//   node bench/lib/undici-floor-proxy.mjs --backend 127.0.0.1:PORT
import { createServer } from 'node:http';
import process from 'node:process';
import { Pool } from 'undici';

const backend = process.argv[process.argv.indexOf('--backend') + 1];
const pool = new Pool(`http://${backend}`, { connections: 128, pipelining: 1 });
// Hop-by-hop headers describe one connection: a proxy that forwarded them would break framing.
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection']);

function forwardable(raw) {
  const out = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toString('latin1');
    if (!HOP.has(name.toLowerCase())) out.push(name, raw[i + 1].toString('latin1'));
  }
  return out;
}

class Exchange {
  constructor(res) {
    this.res = res;
  }
  onConnect() {}
  onHeaders(status, raw, resume) {
    if (status < 200) return true;
    this.res.writeHead(status, forwardable(raw));
    this.resume = resume;
    return true;
  }
  onData(chunk) {
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.resume);
    return false;
  }
  onComplete() {
    this.res.end();
  }
  onError() {
    if (this.res.headersSent) this.res.destroy();
    else {
      this.res.writeHead(502);
      this.res.end();
    }
  }
}

const server = createServer((req, res) => {
  const headers = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (!HOP.has(req.rawHeaders[i].toLowerCase())) headers.push(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  pool.dispatch({ path: req.url, method: req.method, headers }, new Exchange(res));
});
server.maxConnections = 20000;
// shoal's keep-alive timeout (--idle-timeout 60s), not Node's 5 s: bench:idle-rss holds kept-alive sockets longer than that
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening http://127.0.0.1:${server.address().port}\n`));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void pool.close().then(() => process.exit(0));
});
