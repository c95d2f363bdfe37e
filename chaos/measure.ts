import { readFile } from 'node:fs/promises';
import { Client } from 'undici';
import { isLive } from '../fleet/index.js';
import type { Summary } from '../load/summary.js';
import { pause, type ChaosContext } from './context.js';
import type { Probe } from './experiment.js';
import type { Measurements } from './verdict.js';

/** Pure: the load's figures over one window. No-wait floods read no answers, so they have none. */
export function loadFigures(s: Summary | null): Pick<Measurements, 'successPercent' | 'p95Ms'> {
  if (!s || s.noWait || s.requests.total === 0) return { successPercent: null, p95Ms: null };
  return { successPercent: Math.round((10_000 * s.requests.ok) / s.requests.total) / 100, p95Ms: s.latency.corrected.p95 };
}

async function countReady(ctx: ChaosContext): Promise<number | null> {
  try {
    const now = Date.now();
    // heartbeats, not just the state: with the autoscaler pinned a dead server stays `ready` in the registry
    return (await ctx.fleet.registry.list()).filter((s) => isLive(s, now)).length;
  } catch {
    return null;
  }
}

/** Ready servers now, or as soon as there are `min` of them within the probe's `within`. */
async function readyServers(ctx: ChaosContext, p: Extract<Probe, { type: 'ready-servers' }>): Promise<number | null> {
  const deadline = Date.now() + p.within;
  for (;;) {
    const n = await countReady(ctx);
    if ((n !== null && n >= p.min) || Date.now() >= deadline || ctx.signal.aborted) return n;
    await pause(250, ctx.signal);
  }
}

/**
 * One request through the proxy on a connection of its own: a fresh client, not the
 * process's shared pool, whose kept-alive sockets (from the load's fixture set-up) would get
 * past a proxy that refuses new connections — exactly what the flood experiment looks for.
 */
async function httpProbe(ctx: ChaosContext, p: Extract<Probe, { type: 'http' }>): Promise<Measurements['http']> {
  const url = new URL(p.path, ctx.target.proxyUrl);
  const client = new Client(url.origin, { connectTimeout: p.timeout });
  const t0 = performance.now();
  try {
    const res = await client.request({ method: 'GET', path: url.pathname + url.search, signal: AbortSignal.timeout(p.timeout) });
    await res.body.arrayBuffer();
    return { status: res.statusCode, ms: performance.now() - t0 };
  } catch (err) {
    const e = err as Error & { code?: string };
    return { status: null, ms: performance.now() - t0, error: e.name === 'TimeoutError' || e.code === 'UND_ERR_CONNECT_TIMEOUT' ? 'timeout' : (e.code ?? e.message) };
  } finally {
    void client.destroy().catch(() => {});
  }
}

/** VmRSS of a local process, from /proc. */
async function rssMb(pid: number | undefined): Promise<number | null> {
  if (!pid) return null;
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

async function redisWrite(ctx: ChaosContext): Promise<Measurements['redisWrite']> {
  try {
    await ctx.fleet.chaos.probeWrite();
    return { ok: true };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** What the probes need besides the load's figures (those come from the window's summary), measured now. */
export async function measure(ctx: ChaosContext, probes: readonly Probe[]): Promise<Omit<Measurements, 'successPercent' | 'p95Ms'>> {
  const ready = probes.find((p): p is Extract<Probe, { type: 'ready-servers' }> => p.type === 'ready-servers');
  const http = probes.find((p): p is Extract<Probe, { type: 'http' }> => p.type === 'http');
  const wants = (t: Probe['type']) => probes.some((p) => p.type === t);
  return {
    readyServers: ready ? await readyServers(ctx, ready) : null,
    http: http ? await httpProbe(ctx, http) : null,
    proxyRssMb: wants('proxy-rss') ? await rssMb(ctx.target.proxyPid) : null,
    redisWrite: wants('redis-write') ? await redisWrite(ctx) : null,
  };
}
