// http-proxy-3 in front of one backend, as bench/proxy's peer: with a keep-alive agent, or
// with --no-agent as the seed system's raw example (a new upstream connection per request).
//   node bench/lib/http-proxy-3-proxy.mjs --backend 127.0.0.1:PORT [--no-agent]
import http from 'node:http';
import process from 'node:process';
import { createProxyServer } from 'http-proxy-3';

const backend = process.argv[process.argv.indexOf('--backend') + 1];
const agent = process.argv.includes('--no-agent') ? undefined : new http.Agent({ keepAlive: true, maxSockets: 128 });
const proxy = createProxyServer({ target: `http://${backend}`, agent, xfwd: true });
proxy.on('error', (_err, _req, res) => {
  if (res.writeHead) {
    res.writeHead(502);
    res.end();
  } else res.destroy();
});
const server = http.createServer((req, res) => proxy.web(req, res));
server.maxConnections = 20000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening http://127.0.0.1:${server.address().port}\n`));
