import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Middleware } from 'koa';
import type { Fleet } from '../../fleet/index.js';
import { createLogger } from '../../lib/log.js';
import { MemoryMonitor } from '../../monitors/memory-monitor.js';
import { RequestMonitor } from '../../monitors/request-monitor.js';

/** The monitors' own CPU cost, measured in this process, apart from any HTTP server. */
export interface MonitorCost {
  /** The request monitor middleware's per-request work (start, 'close' listener, counting), ns. */
  requestNs: number[];
  /** One request-monitor flush: the window snapshot and one pipeline to Redis, client side, µs. */
  flushUs: number;
  /** One memory-monitor sample: /proc/meminfo, host id, one HSET, client side, µs. */
  memoryUs: number;
}

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/**
 * A request as the middleware sees it: Koa's ctx.res is a ServerResponse, an EventEmitter
 * that emits 'close' exactly once. A fresh one per request, as in a server.
 */
function requests(mw: Middleware, n: number): number {
  const next = () => Promise.resolve();
  const t0 = cpuUs();
  for (let i = 0; i < n; i++) {
    const res = new EventEmitter() as EventEmitter & { statusCode: number };
    res.statusCode = 200;
    void mw({ res } as never, next);
    res.emit('close');
  }
  return cpuUs() - t0;
}

/**
 * Per round: `n` requests through the request monitor's middleware and `n` through a
 * pass-through middleware (same allocations, same emit); the difference is the monitor's
 * cost. Rounds alternate the two so drift hits both; each round's figure is kept.
 */
export async function monitorCost(fleet: Fleet, o: { rounds: number; requests: number; flushes: number }): Promise<MonitorCost> {
  const log = createLogger('bench', 'silent');
  const address = `bench-micro:${process.pid}`;
  const monitor = new RequestMonitor({ fleet, address, serverId: 'bench-micro', bootId: randomUUID(), log });
  const memory = new MemoryMonitor({ fleet, address, serverId: 'bench-micro', log });
  const mw = monitor.middleware();
  const passThrough: Middleware = (_ctx, next) => next();
  requests(mw, o.requests); // JIT warm-up for both loops
  requests(passThrough, o.requests);
  const requestNs: number[] = [];
  for (let r = 0; r < o.rounds; r++) {
    let withMonitor: number;
    let without: number;
    if (r % 2) {
      without = requests(passThrough, o.requests);
      withMonitor = requests(mw, o.requests);
    } else {
      withMonitor = requests(mw, o.requests);
      without = requests(passThrough, o.requests);
    }
    requestNs.push(((withMonitor - without) * 1000) / o.requests);
  }
  if (monitor.stats().total !== o.requests * (o.rounds + 1)) throw new Error(`the request monitor counted ${monitor.stats().total} requests, expected ${o.requests * (o.rounds + 1)}`);

  const flushUs = await perCall(o.flushes, () => monitor.flush());
  const memoryUs = await perCall(Math.max(10, o.flushes / 10), () => memory.sample());
  await memory.stop();
  return { requestNs, flushUs, memoryUs };
}

/** CPU µs per awaited call, over `n` calls one after another (after 20 warm-up calls); GC included. */
async function perCall(n: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await fn();
  const t0 = cpuUs();
  for (let i = 0; i < n; i++) await fn();
  return (cpuUs() - t0) / n;
}
