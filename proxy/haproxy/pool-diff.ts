import type { Server } from '../../fleet/index.js';
import { slowStartWeight } from '../balancer.js';
import { BACKEND, FULL_WEIGHT } from './config.js';

// Pure: from the registry to Runtime API commands. `wantedPool` turns the registry into the
// servers HAProxy should hold (with the same grace for a server that vanished from Redis and
// the same slow start ramp as the Node data plane); `diffPool` compares that with what HAProxy
// reports holding (`show servers state`) and returns the commands that close the gap.
// With active checks on, every server HAProxy holds has a fail-open twin (see twinName).

/** A server as HAProxy's backend holds it. */
export interface HaServer {
  name: string;
  address: string;
  admin: 'ready' | 'drain' | 'maint';
  weight: number;
}

/** A server HAProxy should hold. */
export interface Wanted {
  id: string;
  name: string;
  address: string;
  state: 'ready' | 'draining';
  weight: number;
  /** The fail-open twin of the server `id`: unchecked, `backup`. */
  twin?: boolean;
}

/** What the HAProxy data plane remembers between passes: when each server joined, and which went missing. */
export interface PoolMemory {
  known: Map<string, { address: string; state: 'ready' | 'draining'; admittedAt: number; missingSince: number }>;
  /** False until the first pass: servers already serving when shoal starts skip the ramp. */
  synced: boolean;
}

export const newPoolMemory = (): PoolMemory => ({ known: new Map(), synced: false });

export interface WantedOptions {
  slowStartMs: number;
  missingGraceMs: number;
}

/**
 * HAProxy server names allow letters, digits and `_.:-`; anything else in a fleet id becomes
 * `_`, and so does `:`, which only twin names carry.
 */
export function serverName(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, '_');
}

const TWIN_SUFFIX = ':open';

/**
 * The name of a server's fail-open twin: the same address again, unchecked and `backup`.
 * HAProxy sends to backups only while no checked server is up, and with `option allbackups`
 * to all of them: so when every ready server fails its checks, requests go to the ready
 * servers anyway (fail-open.ts), and back to the passing ones the moment one passes — decided
 * by HAProxy per request, with no pass of shoal's in between. A twin drains, moves and leaves
 * with its server, since the diff treats it as one more wanted server.
 */
export function twinName(name: string): string {
  return name + TWIN_SUFFIX;
}

/** The server a twin stands in for; undefined for a server that is no twin. */
export function twinOf(name: string): string | undefined {
  return name.endsWith(TWIN_SUFFIX) ? name.slice(0, -TWIN_SUFFIX.length) : undefined;
}

/** Updates `mem` with the registry and returns the servers HAProxy should hold, each with its weight now. */
export function wantedPool(servers: readonly Server[], mem: PoolMemory, now: number, o: WantedOptions): Wanted[] {
  const seen = new Set<string>();
  for (const s of servers) {
    seen.add(s.id);
    const cur = mem.known.get(s.id);
    if (s.state === 'gone' || s.state === 'launching' || !s.address) {
      mem.known.delete(s.id);
      continue;
    }
    if (cur) {
      cur.state = s.state;
      cur.address = s.address;
      cur.missingSince = 0;
    } else if (s.state === 'ready') {
      mem.known.set(s.id, { address: s.address, state: 'ready', admittedAt: mem.synced ? now : now - o.slowStartMs, missingSince: 0 });
    }
  }
  for (const [id, k] of mem.known) {
    if (seen.has(id)) continue;
    // a draining server that vanished is done; a ready one may be Redis restarting empty
    if (k.state === 'draining') mem.known.delete(id);
    else if (!k.missingSince) k.missingSince = now;
    else if (now - k.missingSince > o.missingGraceMs) mem.known.delete(id);
  }
  mem.synced = true;
  return [...mem.known].map(([id, k]) => ({
    id,
    name: serverName(id),
    address: k.address,
    state: k.state,
    weight: Math.max(1, Math.round(FULL_WEIGHT * slowStartWeight(now - k.admittedAt, o.slowStartMs))),
  }));
}

/** True while some ready server is still ramping up: the weights need another pass. */
export function ramping(mem: PoolMemory, now: number, slowStartMs: number): boolean {
  for (const k of mem.known.values()) if (k.state === 'ready' && slowStartWeight(now - k.admittedAt, slowStartMs) < 1) return true;
  return false;
}

/** One Runtime API command; `retryLater` ones may fail now (a server still finishing requests) and are tried on the next pass. */
export interface Step {
  command: string;
  retryLater?: boolean;
}

export interface DiffOptions {
  /** `add server` arguments after the address (caps, idle pool): config.ts's serverArgs. */
  serverArgs: string;
  /** What a checked server adds (checks, observe): config.ts's checkArgs; '' when checks are off, and then no twins. */
  checkArgs: string;
}

export function diffPool(wanted: readonly Wanted[], actual: readonly HaServer[], o: DiffOptions): Step[] {
  const steps: Step[] = [];
  const have = new Map(actual.map((a) => [a.name, a]));
  const want = new Set<string>();
  // without checks every server counts as up: nothing to fail open to
  const all = o.checkArgs ? wanted.flatMap((w) => [w, { ...w, name: twinName(w.name), twin: true }]) : wanted;
  for (const w of all) {
    want.add(w.name);
    const a = have.get(w.name);
    const ref = `${BACKEND}/${w.name}`;
    if (!a) {
      // a draining server HAProxy never had would get nothing anyway
      if (w.state !== 'ready') continue;
      // dynamic servers are born in maintenance: checks first, then traffic
      const args = w.twin ? `${o.serverArgs} backup` : o.checkArgs ? `${o.serverArgs} ${o.checkArgs}` : o.serverArgs;
      steps.push({ command: `add server ${ref} ${w.address} ${args} weight ${w.weight}` });
      if (o.checkArgs && !w.twin) steps.push({ command: `enable health ${ref}` });
      steps.push({ command: `enable server ${ref}` });
      continue;
    }
    if (a.address !== w.address) {
      const { host, port } = splitAddress(w.address);
      steps.push({ command: `set server ${ref} addr ${host} port ${port}` });
    }
    if (w.state === 'ready') {
      if (a.admin !== 'ready') steps.push({ command: `set server ${ref} state ready` });
      if (a.weight !== w.weight) steps.push({ command: `set server ${ref} weight ${w.weight}` });
    } else if (a.admin === 'ready') {
      // in-flight requests finish, nothing new is sent: the drain the autoscaler waits on
      steps.push({ command: `set server ${ref} state drain` });
    }
  }
  for (const a of actual) {
    if (want.has(a.name)) continue;
    const ref = `${BACKEND}/${a.name}`;
    if (a.admin !== 'maint') steps.push({ command: `set server ${ref} state maint` });
    // refused while the server still has connections; the next pass tries again
    steps.push({ command: `del server ${ref}`, retryLater: true });
  }
  return steps;
}

// srv_admin_state bits (HAProxy's SRV_ADMF_*): forced, inherited, config, resolution and
// hostname maintenance; forced and inherited drain.
const MAINT_BITS = 0x01 | 0x02 | 0x04 | 0x20 | 0x40;
const DRAIN_BITS = 0x08 | 0x10;

/** `show servers state <backend>` (format 1) → the servers it lists. */
export function parseServersState(text: string): HaServer[] {
  const lines = text.split('\n');
  const header = lines.find((l) => l.startsWith('# '));
  if (!header) return [];
  const cols = header.slice(2).split(' ');
  const at = (name: string) => cols.indexOf(name);
  const [iName, iAddr, iPort, iAdmin, iWeight] = ['srv_name', 'srv_addr', 'srv_port', 'srv_admin_state', 'srv_uweight'].map(at);
  const out: HaServer[] = [];
  for (const l of lines) {
    if (!l || l.startsWith('#') || !l.includes(' ')) continue;
    const f = l.split(' ');
    const admin = Number(f[iAdmin!]);
    const addr = f[iAddr!]!;
    out.push({
      name: f[iName!]!,
      address: `${addr.includes(':') ? `[${addr}]` : addr}:${f[iPort!]}`,
      admin: admin & MAINT_BITS ? 'maint' : admin & DRAIN_BITS ? 'drain' : 'ready',
      weight: Number(f[iWeight!]),
    });
  }
  return out;
}

function splitAddress(address: string): { host: string; port: string } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: address.slice(i + 1) };
}
