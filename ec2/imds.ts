import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACCOUNT_ID } from './network.js';
import type { Instance } from './instance.js';

const MAX_TTL_S = 21600;

/** What the metadata service serves about one instance, read live at each request. */
export interface MetadataSource {
  instance(): Instance | undefined;
  region: string;
  zoneId(zone: string): string | undefined;
}

function metadataTree(i: Instance, src: MetadataSource): Record<string, string> {
  const host = `ip-${i.privateIp.replace(/\./g, '-')}.${src.region === 'us-east-1' ? 'ec2.internal' : `${src.region}.compute.internal`}`;
  return {
    'ami-id': i.imageId,
    'ami-launch-index': String(i.amiLaunchIndex),
    hostname: host,
    'instance-id': i.instanceId,
    'instance-type': i.instanceType,
    'local-hostname': host,
    'local-ipv4': i.privateIp,
    'placement/availability-zone': i.zone,
    'placement/availability-zone-id': src.zoneId(i.zone) ?? '',
    'placement/region': src.region,
    'reservation-id': i.reservationId,
    'security-groups': i.securityGroupIds.join('\n'),
  };
}

/** `meta-data/` and `meta-data/placement/` listings: the entries one level down. */
function listing(tree: Record<string, string>, dir: string): string | undefined {
  const names = new Set<string>();
  for (const k of Object.keys(tree)) {
    if (!k.startsWith(dir)) continue;
    const rest = k.slice(dir.length);
    const slash = rest.indexOf('/');
    names.add(slash < 0 ? rest : rest.slice(0, slash + 1));
  }
  return names.size ? [...names].sort().join('\n') : undefined;
}

/**
 * One instance's IMDSv2 endpoint on a loopback port: PUT /latest/api/token (with the TTL
 * header) returns a session token; every GET needs it (`httpTokens: required`, as shoal's
 * launch templates set). Paths and status codes follow the real service.
 */
export class Imds {
  private readonly tokens = new Map<string, number>();
  private server?: Server;

  constructor(private readonly src: MetadataSource) {}

  async listen(port = 0): Promise<number> {
    const server = createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(port, '127.0.0.1', () => ok());
    });
    return (server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    const s = this.server;
    if (!s) return Promise.resolve();
    return new Promise((ok) => {
      s.closeAllConnections();
      s.close(() => ok());
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const send = (status: number, body = '') => {
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    // Clients join the endpoint's "/" and their path: `//latest/...` is the same path.
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/{2,}/g, '/');
    if (path === '/latest/api/token') {
      if (req.method !== 'PUT') return send(405);
      // The real service refuses token requests that went through a proxy.
      if (req.headers['x-forwarded-for']) return send(403);
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_S) return send(400);
      const token = randomBytes(32).toString('base64');
      this.tokens.set(token, Date.now() + ttl * 1000);
      res.setHeader('x-aws-ec2-metadata-token-ttl-seconds', String(ttl));
      return send(200, token);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405);
    const token = req.headers['x-aws-ec2-metadata-token'];
    const expires = typeof token === 'string' ? this.tokens.get(token) : undefined;
    if (expires === undefined || expires < Date.now()) return send(401);
    const i = this.src.instance();
    if (!i) return send(404);
    const body = this.lookup(path, i);
    return body === undefined ? send(404) : send(200, body);
  }

  private lookup(path: string, i: Instance): string | undefined {
    if (path === '/latest/user-data') return i.userData ? Buffer.from(i.userData, 'base64').toString() : undefined;
    if (path === '/latest/dynamic/instance-identity/document') {
      return JSON.stringify(
        {
          accountId: ACCOUNT_ID,
          architecture: 'x86_64',
          availabilityZone: i.zone,
          imageId: i.imageId,
          instanceId: i.instanceId,
          instanceType: i.instanceType,
          pendingTime: new Date(i.launchTime).toISOString(),
          privateIp: i.privateIp,
          region: this.src.region,
          version: '2017-09-30',
        },
        null,
        2,
      );
    }
    const m = /^\/latest\/meta-data\/?(.*)$/.exec(path);
    if (!m) return undefined;
    const tree = metadataTree(i, this.src);
    const key = m[1]!;
    if (key === '' || key.endsWith('/')) return listing(tree, key);
    return tree[key] ?? listing(tree, `${key}/`);
  }
}
