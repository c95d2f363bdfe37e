import type { Redis } from 'ioredis';
import { BUMP_LUA } from './counter.js';
import type { Keys } from './keys.js';
import { isServerState, type Server, type ServerState } from './server.js';

/** How long a `gone` entry stays visible (for `shoal status`) before Redis drops it. */
export const GONE_TTL_SECONDS = 3600;

export interface PoolChange {
  version: number;
  id: string;
  state: ServerState;
}

// Move a server to a state only from the allowed ones ('-' = no entry yet), then bump the
// pool version and announce it, all in one atomic step so no proxy sees a half change.
const TRANSITION = `${BUMP_LUA}
local cur = redis.call('HGET', KEYS[1], 'state')
local allowed = ARGV[4]
if allowed ~= '*' then
  if not string.find(',' .. allowed .. ',', ',' .. (cur or '-') .. ',', 1, true) then
    return {0, cur or ''}
  end
end
redis.call('HSET', KEYS[1], 'id', ARGV[2], 'state', ARGV[3], 'state_changed_at', ARGV[5])
for i = 7, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('SADD', KEYS[2], ARGV[2])
if ARGV[3] == 'gone' then redis.call('EXPIRE', KEYS[1], ARGV[6]) else redis.call('PERSIST', KEYS[1]) end
local v = bump(KEYS[3])
redis.call('PUBLISH', ARGV[1], cjson.encode({version = v, id = ARGV[2], state = ARGV[3]}))
return {1, v, cur or ''}
`;

// A heartbeat refreshes the entry; if the entry is missing (Redis restarted without
// persistence) it re-creates it from what the server knows. Returns the stored state,
// which is how a server learns the autoscaler marked it draining.
const HEARTBEAT = `${BUMP_LUA}
local cur = redis.call('HGET', KEYS[1], 'state')
if cur then
  redis.call('HSET', KEYS[1], 'heartbeat_at', ARGV[2])
  return cur
end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'heartbeat_at', ARGV[2], 'state_changed_at', ARGV[2])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('SADD', KEYS[2], ARGV[1])
local v = bump(KEYS[3])
local st = redis.call('HGET', KEYS[1], 'state')
redis.call('PUBLISH', ARGV[3], cjson.encode({version = v, id = ARGV[1], state = st}))
return st
`;

export type ServerFields = Partial<Omit<Server, 'id' | 'state' | 'stateChangedAt'>>;

const FIELD_NAMES: Record<keyof ServerFields, string> = {
  address: 'address',
  provider: 'provider',
  instanceId: 'instance_id',
  host: 'host',
  zone: 'zone',
  launchedAt: 'launched_at',
  heartbeatAt: 'heartbeat_at',
  bootId: 'boot_id',
  tags: 'tags',
};

function flatten(fields: ServerFields): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    out.push(FIELD_NAMES[k as keyof ServerFields], Array.isArray(v) ? v.join(',') : String(v));
  }
  return out;
}

/** Oldest first, ties by id: the order every listing of servers uses. */
export const byLaunch = (a: Server, b: Server): number => a.launchedAt - b.launchedAt || a.id.localeCompare(b.id);

/** Every field of a server's entry, as stored: what a reader that names its fields (the snapshot's HMGET) asks for; the address second (that script reads it there). */
export const SERVER_FIELDS = ['id', 'address', 'state', 'provider', 'instance_id', 'host', 'zone', 'launched_at', 'heartbeat_at', 'state_changed_at', 'boot_id'] as const;

export function parseServer(h: Record<string, string>): Server | undefined {
  if (!h.id || !h.state || !isServerState(h.state)) return undefined;
  return {
    id: h.id,
    address: h.address ?? '',
    state: h.state,
    provider: h.provider ?? '',
    instanceId: h.instance_id ?? '',
    host: h.host ?? '',
    zone: h.zone ?? '',
    launchedAt: Number(h.launched_at ?? 0),
    heartbeatAt: Number(h.heartbeat_at ?? 0),
    stateChangedAt: Number(h.state_changed_at ?? 0),
    bootId: h.boot_id ?? '',
    ...(h.tags ? { tags: h.tags.split(',').filter(Boolean) } : {}),
  };
}

export class Registry {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** The launcher's first write: the entry exists before the process does. */
  launching(id: string, fields: ServerFields, now = Date.now()): Promise<number> {
    return this.transition(id, 'launching', '-', { launchedAt: now, heartbeatAt: now, ...fields }, now).then(
      (r) => r.version ?? 0,
    );
  }

  /** The app, once it serves: from `launching`, or a fresh entry when started by hand. */
  ready(id: string, fields: ServerFields, now = Date.now()): Promise<{ ok: boolean; version?: number; state: string }> {
    return this.transition(id, 'ready', '-,launching,ready', { heartbeatAt: now, ...fields }, now);
  }

  draining(id: string, now = Date.now()): Promise<{ ok: boolean; version?: number; state: string }> {
    return this.transition(id, 'draining', 'launching,ready,draining', {}, now);
  }

  /** An operator's `shoal undrain`: back to `ready`, only from `draining`. */
  undrain(id: string, now = Date.now()): Promise<{ ok: boolean; version?: number; state: string }> {
    return this.transition(id, 'ready', 'draining', {}, now);
  }

  gone(id: string, now = Date.now()): Promise<{ ok: boolean; version?: number; state: string }> {
    return this.transition(id, 'gone', '*', {}, now);
  }

  /**
   * The launcher saw the process or instance end: `gone` at once, so proxies stop sending
   * to it. Only from a live state; `was` is that state (the tick that replaces it reads it).
   */
  exited(id: string, now = Date.now()): Promise<{ ok: boolean; version?: number; state: string; was?: ServerState }> {
    return this.transition(id, 'gone', 'launching,ready,draining', {}, now);
  }

  /** Refreshes the heartbeat (re-creating a lost entry); returns the stored state. */
  async heartbeat(id: string, whenMissing: ServerFields & { state: ServerState }, now = Date.now()): Promise<ServerState> {
    const { state, ...fields } = whenMissing;
    const res = (await this.redis.eval(
      HEARTBEAT,
      3,
      this.keys.server(id),
      this.keys.servers,
      this.keys.poolVersion,
      id,
      String(now),
      this.keys.poolChannel,
      'state',
      state,
      ...flatten(fields),
    )) as string;
    return isServerState(res) ? res : state;
  }

  async get(id: string): Promise<Server | undefined> {
    return parseServer(await this.redis.hgetall(this.keys.server(id)));
  }

  /** Every entry, including `gone` ones not yet expired; ids whose entry expired are pruned. */
  async list(): Promise<Server[]> {
    const ids = await this.redis.smembers(this.keys.servers);
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hgetall(this.keys.server(id));
    const results = (await pipe.exec()) ?? [];
    const servers: Server[] = [];
    const vanished: string[] = [];
    results.forEach(([err, h], i) => {
      const s = err ? undefined : parseServer(h as Record<string, string>);
      if (s) servers.push(s);
      else if (!err) vanished.push(ids[i]!);
    });
    if (vanished.length) await this.redis.srem(this.keys.servers, ...vanished);
    return servers.sort(byLaunch);
  }

  /**
   * The server an operator means by `idOrAddress`: the entry with that id, else the newest
   * live entry at that address (a restarted server has a new id but the same address).
   */
  async find(idOrAddress: string): Promise<Server | undefined> {
    const byId = await this.get(idOrAddress);
    if (byId) return byId;
    const here = (await this.list()).filter((s) => s.address === idOrAddress);
    return here.filter((s) => s.state !== 'gone').at(-1) ?? here.at(-1);
  }

  async poolVersion(): Promise<number> {
    return Number((await this.redis.get(this.keys.poolVersion)) ?? 0);
  }

  /** Subscribes `sub` (a dedicated connection) to pool changes. */
  async onChange(sub: Redis, handler: (change: PoolChange) => void): Promise<void> {
    sub.on('message', (channel: string, message: string) => {
      if (channel !== this.keys.poolChannel) return;
      try {
        handler(JSON.parse(message) as PoolChange);
      } catch {
        // a foreign message on our channel: the periodic resync covers us
      }
    });
    await sub.subscribe(this.keys.poolChannel);
  }

  private async transition(
    id: string,
    state: ServerState,
    from: string,
    fields: ServerFields,
    now: number,
  ): Promise<{ ok: boolean; version?: number; state: string; was?: ServerState }> {
    const [ok, v, was] = (await this.redis.eval(
      TRANSITION,
      3,
      this.keys.server(id),
      this.keys.servers,
      this.keys.poolVersion,
      this.keys.poolChannel,
      id,
      state,
      from,
      String(now),
      String(GONE_TTL_SECONDS),
      ...flatten(fields),
    )) as [number, number | string, string?];
    if (ok !== 1) return { ok: false, state: String(v) };
    return { ok: true, version: Number(v), state, ...(was && isServerState(was) ? { was } : {}) };
  }
}
