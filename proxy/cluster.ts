import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from '../lib/log.js';
import { startAdmin } from './admin.js';
import type { ProxyConfig } from './config.js';
import type { PoolView } from './control.js';
import { startProxy } from './start.js';

// `--workers N`: N processes accept on one port (node:cluster). Each worker is a whole proxy
// with its own pools, health and fleet entry; they share nothing but Redis. The primary only
// supervises and serves the admin port, summing the workers' metrics.

type Msg =
  | { type: 'shoal:proxy-ready'; url: string; compatUrl?: string; address: string }
  | { type: 'shoal:proxy-stop' }
  | { type: 'shoal:pool-req'; seq: number }
  | { type: 'shoal:pool-res'; seq: number; pool: PoolView };

export interface RunningCluster {
  url: string;
  compatUrl?: string;
  adminAddress: string;
  close(): Promise<void>;
}

export async function runPrimary(cfg: ProxyConfig, log: Logger): Promise<RunningCluster> {
  const aggregator = new AggregatorRegistry();
  let seq = 0;
  const askPools = async (): Promise<PoolView[]> => {
    const me = ++seq;
    const ws = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w?.isConnected());
    const replies = ws.map(
      (w) =>
        new Promise<PoolView | undefined>((resolve) => {
          const timer = setTimeout(() => done(undefined), 2000);
          const onMsg = (m: Msg) => m.type === 'shoal:pool-res' && m.seq === me && done(m.pool);
          function done(p: PoolView | undefined) {
            clearTimeout(timer);
            w.off('message', onMsg);
            resolve(p);
          }
          w.on('message', onMsg);
          w.send({ type: 'shoal:pool-req', seq: me } satisfies Msg);
        }),
    );
    return (await Promise.all(replies)).filter((p): p is PoolView => !!p);
  };
  const admin = await startAdmin(
    cfg.adminHost,
    cfg.adminPort,
    {
      metrics: async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() }),
      pool: async () => ({ workers: await askPools() }),
    },
    log,
    cfg.adminToken,
  );
  const adminAddress = `${cfg.adminHost.includes(':') ? `[${cfg.adminHost}]` : cfg.adminHost}:${(admin.address() as AddressInfo).port}`;

  let closing = false;
  const fork = (index: number): Promise<{ url: string; compatUrl?: string }> => {
    const w = cluster.fork({ SHOAL_PROXY_WORKER: String(index), SHOAL_PROXY_ADMIN_ADDRESS: adminAddress });
    w.on('exit', (code, signal) => {
      if (closing) return;
      log.error({ worker: index, code, signal }, 'proxy worker exited; starting a new one in 1 s');
      setTimeout(() => !closing && void fork(index).catch(() => {}), 1000).unref();
    });
    return new Promise((resolve, reject) => {
      w.on('message', (m: Msg) => m.type === 'shoal:proxy-ready' && resolve({ url: m.url, compatUrl: m.compatUrl }));
      w.once('exit', (code) => reject(new Error(`proxy worker ${index} exited with ${code} before it was ready`)));
    });
  };
  const urls = await Promise.all(Array.from({ length: cfg.workers }, (_, i) => fork(i + 1)));
  const onHup = () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
  };
  process.on('SIGHUP', onHup);

  return {
    url: urls[0]!.url,
    compatUrl: urls[0]!.compatUrl,
    adminAddress,
    async close() {
      closing = true;
      process.off('SIGHUP', onHup);
      const ws = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
      await Promise.all(
        ws.map(async (w) => {
          const exited = once(w, 'exit');
          if (w.isConnected()) w.send({ type: 'shoal:proxy-stop' } satisfies Msg);
          const timer = setTimeout(() => w.process.kill('SIGKILL'), cfg.timeouts.shutdownMs + 2000);
          await exited;
          clearTimeout(timer);
        }),
      );
      admin.close();
    },
  };
}

/** A worker: one whole proxy that answers the primary's pool questions and stops when told. */
export async function runWorker(cfg: ProxyConfig, log: Logger, index: number, adminAddress: string): Promise<void> {
  const proxy = await startProxy(cfg, log, { worker: { index, adminAddress } });
  process.on('message', (m: Msg) => {
    if (m.type === 'shoal:pool-req') process.send?.({ type: 'shoal:pool-res', seq: m.seq, pool: proxy.pool() } satisfies Msg);
    if (m.type === 'shoal:proxy-stop') {
      void proxy.close().then(() => process.exit(0));
    }
  });
  // the primary owns shutdown; a terminal's Ctrl-C reaches the whole group, so ignore it here
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => void proxy.close().then(() => process.exit(0)));
  process.send?.({ type: 'shoal:proxy-ready', url: proxy.url, compatUrl: proxy.compatUrl, address: proxy.address } satisfies Msg);
}

export const isWorker = (): boolean => cluster.isWorker;
