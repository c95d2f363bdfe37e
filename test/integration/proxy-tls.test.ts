import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import t from 'tap';
import { freePort } from '../../lib/free-port.js';
import { dataPlanes, startBackend, startProxy } from '../fixtures/backend.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(240_000); // a safety net, not a timing: generous for a loaded CI machine

const dir = mkdtempSync(join(tmpdir(), 'shoal-tls-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A self-signed P-256 certificate for 127.0.0.1 with common name `cn`. */
function makeCert(cn: string): { cert: string; key: string } {
  const cert = join(dir, `${cn}.crt`);
  const key = join(dir, `${cn}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert, key };
}

interface TlsAnswer {
  status: number;
  cn: string;
  reused: boolean;
  body: string;
  location?: string;
}

function get(url: string, opts: { agent?: Agent | false; ca?: string[] } = {}): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = mod(url, { agent: opts.agent ?? false, ca: opts.ca, servername: '' } as object, (res) => {
      let body = '';
      const sock = res.socket as TLSSocket;
      const cn = typeof sock.getPeerCertificate === 'function' ? String(sock.getPeerCertificate().subject?.CN ?? '') : '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, cn, reused: req.reusedSocket, body, location: res.headers.location });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

// The same behaviour on both data planes: shoal's Node proxy, and HAProxy driven by shoal.
for (const plane of dataPlanes()) {
  t.test(`${plane}: HTTPS round trip with a self-signed cert; SIGHUP swaps in a new one while an old connection lives on`, async (t) => {
    const a = makeCert('shoal-a');
    const b = makeCert('shoal-b');
    const live = { cert: join(dir, 'live.crt'), key: join(dir, 'live.key') };
    copyFileSync(a.cert, live.cert);
    copyFileSync(a.key, live.key);
    const ca = [execFileSync('cat', [a.cert]).toString(), execFileSync('cat', [b.cert]).toString()];

    const r = await testRedis(t.teardown);
    await startBackend(t.teardown, r, 'b1');
    const redirectPort = await freePort();
    const p = await startProxy(t.teardown, r, ['--data-plane', plane, '--tls-cert', live.cert, '--tls-key', live.key, '--redirect-http', String(redirectPort)]);
    t.match(p.url, /^https:\/\/127\.0\.0\.1:\d+$/);

    const keep = new Agent({ keepAlive: true, maxSockets: 1, ca });
    t.teardown(() => keep.destroy());
    const first = await get(`${p.url}/echo`, { agent: keep });
    t.equal(first.status, 200);
    t.equal(first.cn, 'shoal-a');
    t.match(JSON.parse(first.body), { id: 'b1', headers: { 'x-forwarded-proto': 'https' } });

    copyFileSync(b.cert, live.cert);
    copyFileSync(b.key, live.key);
    process.kill(p.proc.pid, 'SIGHUP');
    const fresh = await waitFor(async () => {
      const x = await get(`${p.url}/echo`, { ca });
      return x.cn === 'shoal-b' ? x : undefined;
    }, { what: 'new connections to get the new certificate' });
    t.equal(fresh.status, 200, 'new connections are served with the new certificate');

    const again = await get(`${p.url}/echo`, { agent: keep });
    t.equal(again.status, 200);
    t.ok(again.reused, 'the old keep-alive connection survived the reload');
    t.equal(again.cn, 'shoal-a', 'and still speaks with the old certificate');

    const redirect = await get(`http://127.0.0.1:${redirectPort}/api/v1/music?limit=1`);
    t.equal(redirect.status, 301);
    t.equal(redirect.location, `${p.url}/api/v1/music?limit=1`);
  });
}
