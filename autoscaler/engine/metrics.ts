import { requestDemand, serversNeeded } from '../../capacity/demand.js';
import type { Classified } from './health.js';
import { shortRate } from './rates.js';
import type { EngineConfig, Explanation, MetricRecommendation, ProxyInput, ServerInput } from './types.js';

const round = (x: number) => Math.round(x * 100) / 100;

/** A server's requests/s: the short window from its totals, else the monitor's 10 s average. */
export function serverRate(s: ServerInput, cfg: EngineConfig): number {
  return shortRate(s.samples, cfg.rateWindowMs) ?? s.stats?.rps ?? 0;
}

/** The demand signal of the proxies that reported recently: what arrived, and what was served. */
export function proxyDemand(proxies: readonly ProxyInput[], cfg: EngineConfig, now: number): Explanation['proxies'] {
  let count = 0;
  let offeredRps = 0;
  let servedRps = 0;
  for (const p of proxies) {
    if (now - p.info.heartbeatAt > cfg.staleAfterMs) continue;
    count++;
    offeredRps += shortRate(p.samples, cfg.rateWindowMs) ?? p.info.offeredRps;
    servedRps += p.info.servedRps;
  }
  return { count, offeredRps: round(offeredRps), servedRps: round(servedRps) };
}

function recommendation(
  metric: MetricRecommendation['metric'],
  target: number,
  demand: number | undefined,
  source: string,
  current: number,
  cfg: EngineConfig,
  unit: string,
): MetricRecommendation {
  if (demand === undefined) {
    return { metric, target, demand: 0, source, ratio: 0, desired: undefined, withinTolerance: false, formula: `no fresh ${metric} data: cannot vote` };
  }
  const ratio = current > 0 ? demand / (target * current) : demand > 0 ? Infinity : 1;
  const withinTolerance = current > 0 && Math.abs(ratio - 1) <= cfg.tolerance;
  const raw = serversNeeded(demand, target);
  const formula = withinTolerance
    ? `${round(demand)} ${unit} is ${round(ratio * 100)} % of ${current} × ${target}: within ±${cfg.tolerance * 100} %, keep ${current}`
    : `ceil(${round(demand)} ${unit} / ${target}) = ${raw}`;
  return { metric, target, demand: round(demand), source, ratio: round(ratio), desired: withinTolerance ? current : raw, withinTolerance, formula };
}

/**
 * One recommendation per enabled metric. Demand for requests/s is the proxies' offered rate
 * when they report it (saturated servers cannot hide demand from it), else the measured
 * servers' own rates; servers that are booting, warming or stale are left out of every metric.
 */
export function recommend(cfg: EngineConfig, c: Classified, proxies: Explanation['proxies'], now: number): MetricRecommendation[] {
  const current = c.capacity.length;
  const out: MetricRecommendation[] = [];
  if (cfg.targetRps > 0) {
    const own = c.measured.reduce((sum, s) => sum + serverRate(s, cfg), 0);
    if (proxies.count > 0 || c.measured.length > 0) {
      const d = requestDemand(proxies.count > 0 ? proxies.offeredRps : null, own);
      const source =
        d.source === 'proxies'
          ? `offered rate of ${proxies.count} prox${proxies.count === 1 ? 'y' : 'ies'}`
          : `rates of ${c.measured.length} servers${proxies.count > 0 ? " (above the proxies' offered rate)" : ''}`;
      out.push(recommendation('rps', cfg.targetRps, d.rps, source, current, cfg, 'req/s'));
    } else {
      out.push(recommendation('rps', cfg.targetRps, undefined, 'rates of 0 servers', current, cfg, 'req/s'));
    }
  }
  if (cfg.targetMemory > 0) {
    // A host is counted once however many servers share it: average over hosts, not servers.
    const hosts = new Map<string, number>();
    let n = 0;
    for (const s of c.measured) {
      const m = s.memory;
      if (!m || now - m.updatedAt > cfg.staleAfterMs) continue;
      n++;
      const key = m.hostId || s.server.host || s.server.id;
      hosts.set(key, Math.max(hosts.get(key) ?? 0, m.usedPercent));
    }
    const avg = hosts.size ? [...hosts.values()].reduce((a, b) => a + b, 0) / hosts.size : 0;
    const rec = recommendation('memory', cfg.targetMemory, hosts.size ? n * avg : undefined, `${hosts.size} hosts, average ${round(avg)} %`, current, cfg, '%·servers');
    out.push(rec);
  }
  if (cfg.targetInflight > 0) {
    const demand = c.measured.length > 0 ? c.measured.reduce((sum, s) => sum + (s.stats?.inflight ?? 0), 0) : undefined;
    out.push(recommendation('inflight', cfg.targetInflight, demand, `in flight on ${c.measured.length} servers`, current, cfg, 'in flight'));
  }
  return out;
}
