import { parseAutoscalerState, type AutoscalerState } from './autoscaler-state.js';
import { parseEntry, type StreamEntry } from './event-stream.js';
import type { Fleet } from './index.js';
import { parseMemory, type MemoryReading } from './memory-load.js';
import { parseProxy, type ProxyInfo } from './proxies.js';
import { byLaunch, parseServer } from './registry.js';
import { parseStats, type RequestStats } from './request-stats.js';
import type { Server } from './server.js';
import { parseStackProcesses, type StackProcess } from './stack-processes.js';

/** Everything the fleet holds at one moment: what the autoscaler, the dashboard and `shoal status` read. */
export interface FleetSnapshot {
  at: number;
  /** Oldest first; `gone` entries included until they expire. */
  servers: Server[];
  /** Request-monitor stats by server address. */
  requests: Map<string, RequestStats>;
  /** Memory readings by server address. */
  memory: Map<string, MemoryReading>;
  proxies: ProxyInfo[];
  autoscaler: AutoscalerState | undefined;
  /** The newest decisions, newest first. */
  decisions: StreamEntry<Record<string, unknown>>[];
  poolVersion: number;
  /** What `shoal up` supervises; empty for a fleet not started by it. */
  processes: StackProcess[];
  /** The newest chaos events, newest first (only when asked for: the dashboard). */
  chaos: StreamEntry<Record<string, unknown>>[];
}

// One round trip: the script follows the server set to each entry and its request hash
// (named by the entry's address, so a pipeline would need two trips), reads the rest, and
// prunes ids whose entry expired, as Registry.list and ProxyRegistry.list do.
const READ = `
local function field(h, name)
  for i = 1, #h, 2 do if h[i] == name then return h[i + 1] end end
  return nil
end
local function members(set, prefix)
  local rows, vanished = {}, {}
  for _, id in ipairs(redis.call('SMEMBERS', set)) do
    local h = redis.call('HGETALL', prefix .. id)
    if #h == 0 then table.insert(vanished, id) else table.insert(rows, h) end
  end
  if #vanished > 0 then redis.call('SREM', set, unpack(vanished)) end
  return rows
end
local servers = members(KEYS[1], ARGV[1])
local requests = {}
for i, h in ipairs(servers) do
  local address = field(h, 'address')
  requests[i] = (address and address ~= '') and redis.call('HGETALL', ARGV[2] .. address) or {}
end
local decisions = {}
if tonumber(ARGV[4]) > 0 then decisions = redis.call('XREVRANGE', KEYS[5], '+', '-', 'COUNT', ARGV[4]) end
local chaos = {}
if tonumber(ARGV[5]) > 0 then chaos = redis.call('XREVRANGE', KEYS[8], '+', '-', 'COUNT', ARGV[5]) end
return { servers, requests, redis.call('HGETALL', KEYS[2]), members(KEYS[3], ARGV[3]), redis.call('HGETALL', KEYS[4]), decisions, redis.call('GET', KEYS[6]) or '0', redis.call('HGETALL', KEYS[7]), chaos }
`;

type Flat = string[];
type Entries = [string, string[]][];
type Reply = [Flat[], Flat[], Flat, Flat[], Flat, Entries, string, Flat, Entries];

const toObject = (flat: Flat): Record<string, string> => {
  const o: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) o[flat[i]!] = flat[i + 1]!;
  return o;
};

/** Reads the whole fleet in one Redis round trip (one EVAL). */
export async function readSnapshot(fleet: Fleet, opts: { decisions?: number; chaos?: number } = {}): Promise<FleetSnapshot> {
  const k = fleet.keys;
  const reply = (await fleet.redis.eval(
    READ,
    8,
    k.servers,
    k.memoryLoad,
    k.proxies,
    k.autoscalerState,
    k.decisions,
    k.poolVersion,
    k.stackProcesses,
    k.chaosEvents,
    k.server(''),
    k.requests(''),
    k.proxy(''),
    String(opts.decisions ?? 5),
    String(opts.chaos ?? 0),
  )) as Reply;
  const [serverRows, requestRows, memory, proxyRows, state, decisions, poolVersion, processes, chaos] = reply;
  const servers: Server[] = [];
  const requests = new Map<string, RequestStats>();
  serverRows.forEach((row, i) => {
    const s = parseServer(toObject(row));
    if (!s) return;
    servers.push(s);
    const st = parseStats(toObject(requestRows[i] ?? []));
    if (st && s.address) requests.set(s.address, st);
  });
  return {
    at: Date.now(),
    servers: servers.sort(byLaunch),
    requests,
    memory: parseMemory(toObject(memory)),
    proxies: proxyRows.map((r) => parseProxy(toObject(r))).filter((p): p is ProxyInfo => !!p),
    autoscaler: parseAutoscalerState(toObject(state)),
    decisions: decisions.map(([id, fields]) => parseEntry<Record<string, unknown>>(id, fields)),
    poolVersion: Number(poolVersion),
    processes: parseStackProcesses(toObject(processes)),
    chaos: chaos.map(([id, fields]) => parseEntry<Record<string, unknown>>(id, fields)),
  };
}
