import { serversNeeded } from '../../capacity/demand.js';
import type { Server } from '../../fleet/index.js';

/** A recorded load trace: offered requests/s, one value per `stepSeconds`. */
export interface Trace {
  name: string;
  description: string;
  stepSeconds: number;
  /** Requests/s one server should carry; the elasticity demand is serversNeeded(rps, targetRps). */
  targetRps: number;
  rps: number[];
}

/** One simulated app server: what the registry and its request monitor would say. */
export interface SimServer {
  server: Server;
  /** Monotonic served total and the last 10 one-second counts (the monitor's 10 s window). */
  total: number;
  window: number[];
  readyAt: number;
  goneAt?: number;
}

/** What a scaler sees each second, and what it asks for on its ticks. */
export interface SimView {
  now: number;
  servers: readonly SimServer[];
  /** The proxies' offered total (everything that arrived) and served total. */
  offeredTotal: number;
  servedTotal: number;
}

export interface Scaler {
  readonly name: string;
  readonly intervalMs: number;
  /** Called every simulated second, after traffic was served (monitors flush each second). */
  observe(view: SimView): void;
  /** Called every `intervalMs`: how many servers to launch and which to drain. */
  tick(view: SimView): { launch: number; remove: string[]; rule?: string };
}

export interface WorldOptions {
  /** Launching → ready. */
  bootMs: number;
  /** The most requests/s one server can serve; the rest of its share is lost (saturated). */
  capacityRps: number;
  /** Draining → gone. */
  drainMs: number;
}

/** The world's state each second: the series the elasticity metrics and flap count read. */
export interface SimStep {
  t: number;
  rps: number;
  /** Servers serving (ready). */
  ready: number;
  /** Servers launching or ready. */
  provisioned: number;
}

export interface SimAction {
  t: number;
  delta: number;
  rps: number;
  rule?: string;
}

export interface SimResult {
  scaler: string;
  steps: SimStep[];
  actions: SimAction[];
}

/**
 * Runs a trace through a scaler in simulated time, one second per step: servers take
 * `bootMs` to become ready, draining ones take no new traffic, ready ones share the load
 * evenly (a balancer), each serving at most `capacityRps`. Deterministic and pure.
 */
export function simulate(trace: Trace, scaler: Scaler, world: WorldOptions, initial = 1): SimResult {
  const servers: SimServer[] = [];
  let seq = 0;
  let offeredTotal = 0;
  let servedTotal = 0;
  const launch = (now: number, readyNow: boolean) => {
    const id = `s${++seq}`;
    const at = readyNow ? now - world.bootMs : now;
    servers.push({
      server: { id, address: `127.0.0.1:${4000 + seq}`, state: readyNow ? 'ready' : 'launching', provider: 'sim', instanceId: id, host: 'sim', zone: '', launchedAt: at, heartbeatAt: now, stateChangedAt: at, bootId: id },
      total: 0,
      window: [],
      readyAt: at + world.bootMs,
    });
  };
  for (let i = 0; i < initial; i++) launch(0, true);
  const steps: SimStep[] = [];
  const actions: SimAction[] = [];
  const seconds = trace.rps.length * trace.stepSeconds;
  for (let t = 0; t < seconds; t++) {
    const now = t * 1000;
    for (const s of servers) {
      if (s.server.state === 'launching' && s.readyAt <= now) Object.assign(s.server, { state: 'ready', stateChangedAt: now });
      if (s.server.state === 'draining' && s.goneAt! <= now) Object.assign(s.server, { state: 'gone', stateChangedAt: now });
    }
    const rps = trace.rps[Math.floor(t / trace.stepSeconds)]!;
    const ready = servers.filter((s) => s.server.state === 'ready');
    steps.push({ t, rps, ready: ready.length, provisioned: servers.filter((s) => s.server.state === 'launching' || s.server.state === 'ready').length });
    // One second of traffic, then every monitor flushes and the proxies report.
    const share = ready.length ? rps / ready.length : 0;
    for (const s of servers) {
      const served = s.server.state === 'ready' ? Math.min(share, world.capacityRps) : 0;
      s.total += served;
      servedTotal += served;
      s.window = [...s.window.slice(-9), served];
      s.server.heartbeatAt = now + 1000;
    }
    offeredTotal += rps;
    const view: SimView = { now: now + 1000, servers, offeredTotal, servedTotal };
    scaler.observe(view);
    if ((now + 1000) % scaler.intervalMs !== 0) continue;
    const { launch: n, remove, rule } = scaler.tick(view);
    for (let i = 0; i < n; i++) launch(now + 1000, false);
    for (const id of remove) {
      const s = servers.find((x) => x.server.id === id);
      if (!s || s.server.state === 'gone' || s.server.state === 'draining') continue;
      Object.assign(s.server, { state: 'draining', stateChangedAt: now + 1000 });
      s.goneAt = now + 1000 + world.drainMs;
    }
    const delta = n - remove.length;
    if (delta !== 0) actions.push({ t: t + 1, delta, rps, rule });
  }
  return { scaler: scaler.name, steps, actions };
}

/**
 * Direction reversals not explained by the load: a scale action opposite to the previous
 * one while demand did not move by more than `tolerance` in the new action's direction.
 */
export function flaps(actions: readonly SimAction[], tolerance = 0.1): number {
  let n = 0;
  for (let i = 1; i < actions.length; i++) {
    const a = actions[i - 1]!;
    const b = actions[i]!;
    if (Math.sign(a.delta) === Math.sign(b.delta)) continue;
    const explained = b.delta > 0 ? b.rps > a.rps * (1 + tolerance) : b.rps < a.rps * (1 - tolerance);
    if (!explained) n++;
  }
  return n;
}

/** The series for `elasticity()`: demand = servers needed (capacity/demand.ts), supply = servers serving. */
export function supplyDemand(result: SimResult, targetRps: number): { t: number; demand: number; supply: number }[] {
  return result.steps.map((s) => ({ t: s.t, demand: serversNeeded(s.rps, targetRps), supply: s.ready }));
}
