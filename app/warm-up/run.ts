import { Agent, request } from 'node:http';
import type { Logger } from '../../lib/log.js';
import type { Readiness } from '../readiness.js';
import { WARM_UP_HEADER, type WarmUpMark } from './mark.js';
import { DISCOVERY, idsOf, warmRequest, type KnownIds, type WarmRequest } from './plan.js';

/** How much warm-up: at most `requests`, for at most `timeMs`. */
export interface WarmUpLimits {
  requests: number;
  timeMs: number;
}

interface WarmUpResult {
  sent: number;
  ms: number;
  /** This process's CPU time meanwhile (the server and the warm-up's client both run here). */
  cpuMs: number;
  byStatus: Record<string, number>;
  /** Why it ended: every request sent, the time ceiling, or a request that failed. */
  ended: 'done' | 'time' | 'error';
  error?: string;
}

/** Requests in flight at once, each on its own kept-alive connection, as the proxy sends them. */
const CONCURRENCY = 4;

class TimeUp extends Error {}

/** One request; resolves with its status and, if asked, its body. */
function send(to: { host: string; port: number }, agent: Agent, mark: string, r: WarmRequest, msLeft: number, readBody: boolean): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const headers: Record<string, string> = { [WARM_UP_HEADER]: mark, accept: 'application/json' };
    if (r.body !== undefined) headers['content-type'] = 'application/json';
    const req = request({ host: to.host, port: to.port, method: r.method, path: r.path, headers, agent }, (res) => {
      let body = '';
      if (readBody) res.setEncoding('utf8').on('data', (c: string) => (body += c));
      else res.resume();
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
      res.on('error', fail);
    });
    req.setTimeout(Math.max(1, msLeft), () => req.destroy(new TimeUp('warm-up time is up')));
    req.on('error', fail);
    req.end(r.body);
  });
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Sends the warm-up (plan.ts) to this server's own listener over loopback HTTP, so every
 * layer a request crosses — Koa, the monitors, JSON, validation, routing, the DynamoDB
 * client and DynamoDB behind it — has run hot code before traffic comes. Never throws: a
 * failed warm-up leaves a colder server, not a broken one.
 */
async function warmUp(to: { host: string; port: number }, limits: WarmUpLimits, mark: string): Promise<WarmUpResult> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const deadline = started + limits.timeMs;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const byStatus: Record<string, number> = {};
  let sent = 0;
  const go = async (r: WarmRequest, readBody = false) => {
    const res = await send(to, agent, mark, r, deadline - performance.now(), readBody);
    sent++;
    byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
    // A server error here (DynamoDB gone, say) would only repeat until the ceiling: say so and stop.
    if (res.status >= 500) throw new Error(`${r.method} ${r.path} answered ${res.status}`);
    return res.body;
  };
  const more = () => sent < limits.requests && performance.now() < deadline;
  let failure: Error | undefined;
  try {
    const ids: Record<keyof KnownIds, string[]> = { songs: [], users: [], playlists: [] };
    for (const kind of Object.keys(DISCOVERY) as (keyof KnownIds)[]) if (more()) ids[kind] = idsOf(parse(await go(DISCOVERY[kind], true)));
    let next = 0;
    const planned = limits.requests - sent;
    const worker = async () => {
      while (!failure && next < planned && performance.now() < deadline) await go(warmRequest(next++, ids));
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, () => worker().catch((err: Error) => void (failure ??= err))));
  } catch (err) {
    failure = err as Error;
  } finally {
    agent.destroy();
  }
  const used = process.cpuUsage(cpu);
  const timeUp = failure instanceof TimeUp || (!failure && sent < limits.requests);
  return {
    sent,
    ms: Math.round(performance.now() - started),
    cpuMs: Math.round((used.user + used.system) / 1000),
    byStatus,
    ended: timeUp ? 'time' : failure ? 'error' : 'done',
    ...(failure && !timeUp ? { error: failure.message } : {}),
  };
}

/**
 * The warm-up as a starting server runs it, between listening and registering `ready`:
 * skipped when DynamoDB does not answer (it could only run into its ceiling), logged, and
 * then the mark is dropped and readiness no longer held back.
 */
export async function warmUpBeforeReady(to: { host: string; port: number }, limits: WarmUpLimits, mark: WarmUpMark, readiness: Readiness, log: Logger): Promise<void> {
  if ((await readiness.check()).db.ok) {
    const res = await warmUp(to, limits, mark.value!);
    if (res.ended === 'error') log.warn(res, 'warm-up stopped by a failed request: ready, colder than it could be');
    else log.info(res, res.ended === 'time' ? 'warm-up hit --warm-up-time: ready' : 'warmed up: ready');
  } else log.warn('DynamoDB does not answer: no warm-up');
  mark.end();
  readiness.warming = false;
}
