import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { ConfigError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { applyLimits } from './limits.js';
import type { ProxyConfig } from './config.js';

export interface KeyPair {
  cert: Buffer;
  key: Buffer;
}

/** Reads the PEM files; a missing or unreadable file is a config error naming the flag. */
export function readKeyPair(files: { certFile: string; keyFile: string }): KeyPair {
  const read = (path: string, flag: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ConfigError(`invalid ${flag}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  return { cert: read(files.certFile, '--tls-cert'), key: read(files.keyFile, '--tls-key') };
}

/**
 * Re-reads the certificate and key and swaps them in with setSecureContext: new handshakes
 * get the new pair, open connections keep going on the old one. A bad pair is logged and
 * the old one stays.
 */
export function reloadKeyPair(server: HttpsServer, files: { certFile: string; keyFile: string }, log: Logger): boolean {
  try {
    const pair = readKeyPair(files);
    server.setSecureContext(pair);
    log.info({ cert: files.certFile }, 'tls: certificate reloaded');
    return true;
  } catch (err) {
    log.error({ err: (err as Error).message }, 'tls: reload failed, keeping the current certificate');
    return false;
  }
}

/** Plain HTTP on `port` that sends every request to the same URL over HTTPS. */
export function startRedirect(cfg: Pick<ProxyConfig, 'host' | 'timeouts' | 'limits'>, port: number, httpsPort: () => number, log: Logger): Promise<HttpServer> {
  const server = createHttpServer({ headersTimeout: cfg.timeouts.headerMs, requestTimeout: cfg.timeouts.requestMs }, (req, res) => {
    const host = (req.headers.host ?? cfg.host).replace(/:\d+$/, '');
    const p = httpsPort();
    const location = `https://${host}${p === 443 ? '' : `:${p}`}${req.url ?? '/'}`;
    // 301 keeps GET a GET; 308 keeps the method and body of anything else
    res.writeHead(req.method === 'GET' || req.method === 'HEAD' ? 301 : 308, { location, 'content-length': 0, connection: 'close' });
    res.end();
  });
  applyLimits(server, cfg, log);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, cfg.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
