import { ShoalError } from '../../lib/errors.js';
import type { ChaosContext } from '../context.js';
import { pickServers } from '../select.js';

/** One call to a fault hook (an app server's loopback fault port, or the proxy's admin port). */
async function call(origin: string, method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(origin + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  }).catch((err: Error) => {
    throw new ShoalError('SHOAL_ERR_CHAOS_HOOK', `${method} ${origin}${path}: ${err.message}`);
  });
  const json = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  if (res.status === 404 && path.startsWith('/faults') && !json.error?.message?.includes('/faults/')) {
    throw new ShoalError('SHOAL_ERR_CHAOS_HOOK', `${origin} takes no faults: start it with --enable-faults`);
  }
  if (!res.ok) throw new ShoalError('SHOAL_ERR_CHAOS_HOOK', `${method} ${origin}${path}: ${res.status} ${json.error?.message ?? ''}`);
  return json;
}

/** The fault port of one ready app server (random or named). */
async function serverHook(ctx: ChaosContext, target: string): Promise<{ id: string; origin: string }> {
  const [s] = pickServers(await ctx.fleet.registry.list(), target, 1, ctx.random);
  if (!s) throw new ShoalError('SHOAL_ERR_CHAOS_TARGET', `no ready server matching ${target}`);
  const address = await ctx.fleet.chaos.hook(s.id);
  if (!address) throw new ShoalError('SHOAL_ERR_CHAOS_HOOK', `${s.id} has no fault hooks: start the stack with --enable-faults`);
  return { id: s.id, origin: `http://${address}` };
}

function proxyAdmin(ctx: ChaosContext): string {
  if (!ctx.target.proxyAdminUrl) throw new ShoalError('SHOAL_ERR_CHAOS_TARGET', 'the stack names no proxy admin URL');
  return ctx.target.proxyAdminUrl.replace(/\/+$/, '');
}

export async function cpuHog(ctx: ChaosContext, a: { target: string; request_cost: number; duration: number }): Promise<unknown> {
  const h = await serverHook(ctx, a.target);
  return { server: h.id, hooks: await call(h.origin, 'POST', '/faults/cpu', { costMs: a.request_cost, durationMs: a.duration }) };
}

export async function memoryHog(ctx: ChaosContext, a: { target: string; mb: number; limit_mb?: number; duration: number }): Promise<unknown> {
  const h = await serverHook(ctx, a.target);
  return { server: h.id, hooks: await call(h.origin, 'POST', '/faults/memory', { mb: a.mb, durationMs: a.duration, limitMb: a.limit_mb }) };
}

export async function httpFault(
  ctx: ChaosContext,
  a: { at: 'server' | 'proxy'; target: string; delay: number; abort_status?: number; percent: number; duration: number },
): Promise<unknown> {
  const h = await serverHook(ctx, a.target).catch((err: ShoalError) => {
    // at the proxy the server needs no hooks of its own: only its id
    if (a.at === 'proxy' && err.code === 'SHOAL_ERR_CHAOS_HOOK') return undefined;
    throw err;
  });
  const id = h?.id ?? pickServers(await ctx.fleet.registry.list(), a.target, 1, ctx.random)[0]?.id;
  const fault = { delayMs: a.delay, abortStatus: a.abort_status, percent: a.percent, durationMs: a.duration };
  if (a.at === 'server') return { server: id, fault: await call(h!.origin, 'POST', '/faults/http', fault) };
  return { proxy: proxyAdmin(ctx), upstream: id, fault: await call(proxyAdmin(ctx), 'POST', '/faults/http', { ...fault, upstream: id }) };
}

/** Lifts every fault: on the proxy and on every app server that has hooks. Errors are collected, not thrown one by one. */
export async function clearFaults(ctx: ChaosContext): Promise<{ cleared: string[] }> {
  const servers = (await ctx.fleet.registry.list()).filter((s) => s.state !== 'gone');
  const origins: [string, string][] = [];
  for (const s of servers) {
    const address = await ctx.fleet.chaos.hook(s.id);
    if (address) origins.push([s.id, `http://${address}`]);
  }
  if (ctx.target.proxyAdminUrl) origins.push(['proxy', proxyAdmin(ctx)]);
  const results = await Promise.allSettled(origins.map(([, o]) => call(o, 'DELETE', '/faults')));
  // a server that died meanwhile has no faults left; a proxy without --enable-faults never had any
  const proxy = results[origins.length - 1];
  if (ctx.target.proxyAdminUrl && proxy?.status === 'rejected' && !String(proxy.reason).includes('takes no faults')) {
    throw new ShoalError('SHOAL_ERR_CHAOS_HOOK', `could not clear the proxy's faults: ${String(proxy.reason)}`);
  }
  return { cleared: origins.filter((_, i) => results[i]!.status === 'fulfilled').map(([id]) => id) };
}
