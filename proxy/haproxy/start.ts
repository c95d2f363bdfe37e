import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Gauge, Registry } from 'prom-client';
import { freePort } from '../../lib/free-port.js';
import type { Logger } from '../../lib/log.js';
import type { ProxyConfig } from '../config.js';
import { ControlPlane, endpoints, type PoolView, type RunningProxy } from '../control.js';
import { DemandCounters } from '../demand.js';
import { failOpenGauge, FailOpenLatch } from '../fail-open.js';
import { readKeyPair } from '../tls.js';
import { HaproxyPool } from './backend.js';
import { findBinary } from './binary.js';
import { checkArgs, ERROR_PAGES, errorPage, renderConfig, serverArgs, type HaproxyPaths } from './config.js';
import { HaproxyChild } from './process.js';
import { RuntimeApi } from './runtime-api.js';
import { makeWorkDir, sweepStaleWorkDirs } from './work-dir.js';
import { parseStat, readyAndPassing, RunningTotal, type ServerStat } from './stats.js';

/**
 * `shoal proxy --data-plane haproxy`: shoal's control plane (registry, drain acknowledgement,
 * demand signal, admin port) driving a real HAProxy through its Runtime API. shoal writes the
 * config and runs HAProxy as its child, or attaches to a running one (`--haproxy-socket`).
 */
export async function startHaproxyProxy(cfg: ProxyConfig, log: Logger): Promise<RunningProxy> {
  const hp = cfg.haproxy ?? { bin: 'haproxy' };
  // HAProxy binds what it is told: a port 0 is chosen here
  const pick = async (p: number | undefined) => (p === 0 ? freePort(cfg.host) : p);
  const running: ProxyConfig = { ...cfg, port: (await pick(cfg.port))!, compatPort: await pick(cfg.compatPort), redirectHttpPort: await pick(cfg.redirectHttpPort) };
  let dir: string | undefined;
  if (!hp.socket) {
    for (const gone of sweepStaleWorkDirs()) log.info({ dir: gone }, 'removed the HAProxy work directory of a proxy that is gone');
    dir = makeWorkDir();
  }
  const api = new RuntimeApi(hp.socket ?? join(dir!, 'runtime.sock'));
  const pool = new HaproxyPool({ api, log, slowStartMs: cfg.slowStartMs, missingGraceMs: cfg.missingGraceMs, serverArgs: serverArgs(cfg), checkArgs: checkArgs(cfg) });
  // a restarted HAProxy has the config's empty backend: the last pool read goes back in, Redis or not
  const child = dir ? new HaproxyChild({ bin: findBinary(hp.bin) ?? hp.bin, configFile: writeConfig(running, dir, api.socket), api, log, onRestart: () => void pool.reconcile().catch(() => {}) }) : undefined;
  try {
    await child?.start();
  } catch (err) {
    pool.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const control = new ControlPlane(cfg, log);
  await control.follow(pool);

  // offered and served as HAProxy counts them, kept as totals that survive its restarts
  const counters = new DemandCounters();
  const offered = new RunningTotal();
  const served = new RunningTotal();
  let stats: ServerStat[] = [];
  // HAProxy fails open by itself (the twins, pool-diff.ts); shoal reads that it does, to say so
  const failOpen = new FailOpenLatch(log);
  const refresh = async () => {
    const snap = parseStat(await api.send('show stat'));
    counters.offered = offered.observe(snap.offered);
    counters.served = served.observe(new Map(snap.servers.map((s) => [s.name, s.answered])));
    stats = snap.servers;
    const { ready, passing } = readyAndPassing(stats);
    failOpen.update(ready, passing);
  };
  await refresh().catch(() => {});

  const proxyId = cfg.proxyId ?? `${hostname()}:${running.port}`;
  const pv = (): PoolView => ({ ...control.poolView(proxyId, 'haproxy', pool.view(stats), failOpen.open), haproxyPid: child?.pid });
  const registry = haproxyMetrics(counters, pv);
  failOpenGauge(registry, () => failOpen.open);
  const ends = endpoints(cfg, running.port, running.compatPort);
  const adminAddress = await control.publish({
    counters,
    id: proxyId,
    address: ends.address,
    dataPlane: 'haproxy',
    beforeReport: refresh,
    admin: {
      metrics: async () => {
        await refresh().catch(() => {});
        return { contentType: registry.contentType, body: await registry.metrics() };
      },
      pool: async () => {
        await refresh().catch(() => {});
        return pv();
      },
    },
  });
  if (cfg.tls && dir) {
    const tls = cfg.tls;
    control.onReload(() => void reloadCertificate(tls, join(dir, 'tls.pem'), api, log));
  }
  let closed = false;
  return {
    ...ends,
    adminAddress,
    pool: pv,
    async close() {
      if (closed) return;
      closed = true;
      control.stopFollowing();
      pool.close();
      // HAProxy's soft stop lets in-flight requests finish (bounded by hard-stop-after)
      await child?.stop();
      await control.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes haproxy.cfg, the error pages and the TLS bundle (owner-only: it holds the key); returns the config's path. */
function writeConfig(cfg: ProxyConfig, dir: string, socket: string): string {
  const paths: HaproxyPaths = { socket, errors: dir, pem: cfg.tls ? join(dir, 'tls.pem') : undefined, fdLimit: openFileLimit() };
  for (const status of Object.keys(ERROR_PAGES)) writeFileSync(join(dir, `${status}.http`), errorPage(Number(status)));
  if (cfg.tls) writePem(cfg.tls, paths.pem!);
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, renderConfig(cfg, paths));
  return file;
}

/** The hard open-file limit HAProxy (our child) inherits, from /proc; undefined where there is none. */
function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+\S+\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function writePem(tls: { certFile: string; keyFile: string }, pem: string): string {
  const pair = readKeyPair(tls);
  const text = `${pair.cert.toString().trim()}\n${pair.key.toString().trim()}\n`;
  writeFileSync(pem, text, { mode: 0o600 });
  chmodSync(pem, 0o600);
  return text;
}

/**
 * SIGHUP: the certificate and key are read again and swapped in over the Runtime API (`set
 * ssl cert` + `commit`): new handshakes get them, open connections carry on, nothing reloads.
 * The bundle on disk is rewritten too, for a HAProxy that has to be restarted later.
 */
async function reloadCertificate(tls: { certFile: string; keyFile: string }, pem: string, api: RuntimeApi, log: Logger): Promise<void> {
  const before = readFileSync(pem, 'utf8');
  try {
    const text = writePem(tls, pem);
    const set = await api.send(`set ssl cert ${pem} <<\n${text}\n`);
    if (!/Transaction (created|updated)/.test(set)) throw new Error(set.trim().split('\n')[0]);
    const commit = await api.send(`commit ssl cert ${pem}`);
    if (!/Success!/.test(commit)) throw new Error(commit.trim().split('\n').slice(-1)[0]);
    log.info({ cert: tls.certFile }, 'tls: certificate reloaded');
  } catch (err) {
    writeFileSync(pem, before, { mode: 0o600 });
    await api.send(`abort ssl cert ${pem}`).catch(() => {});
    log.error({ err: (err as Error).message }, 'tls: reload failed, keeping the current certificate');
  }
}

/** The admin port's /metrics with HAProxy as the data plane: the demand counters and per-server in-flight. */
function haproxyMetrics(counters: DemandCounters, pool: () => PoolView): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'shoal_proxy_offered_requests',
    help: 'Requests that reached the proxy so far (HAProxy frontends), its own 503s included',
    registers: [registry],
    collect() {
      this.set(counters.offered);
    },
  });
  new Gauge({
    name: 'shoal_proxy_served_requests',
    help: 'Requests an app server answered so far (HAProxy servers)',
    registers: [registry],
    collect() {
      this.set(counters.served);
    },
  });
  new Gauge({
    name: 'shoal_proxy_upstream_inflight',
    help: 'Requests sent to each server and not yet answered',
    labelNames: ['server', 'address', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of pool().members) this.set({ server: m.id, address: m.address, state: m.state }, m.inflight);
    },
  });
  return registry;
}
