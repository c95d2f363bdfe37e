export const SERVER_STATES = ['launching', 'ready', 'draining', 'gone'] as const;
export type ServerState = (typeof SERVER_STATES)[number];

/** One app server as the registry knows it. Times are epoch milliseconds. */
export interface Server {
  id: string;
  /** host:port the proxies send to; empty while launching on a provider that cannot know it yet. */
  address: string;
  state: ServerState;
  provider: string;
  /** Provider's handle: a pid for `local`, an EC2 instance id in the cloud. */
  instanceId: string;
  /** Machine identity, so per-host metrics (memory) are counted once per host. */
  host: string;
  /** Availability zone (EC2) or zone label (local); empty when unknown. Scale-in takes from the fullest. */
  zone: string;
  launchedAt: number;
  heartbeatAt: number;
  stateChangedAt: number;
  /** Changes on every process start; readers treat a new boot id as a counter reset. */
  bootId: string;
  /** Labels its launcher gave it (`--server-tags`), e.g. `chaos`: the Chaos Monkey kills only servers with its opt-in tag. */
  tags?: string[];
}

/**
 * A server whose heartbeat is older than this has stopped beating (app servers beat every
 * 2 s): the autoscaler's least heartbeat timeout, and what the chaos ready-servers probe allows.
 */
export const HEARTBEAT_LOST_MS = 10_000;

/** Ready and still heartbeating: a server nobody has marked gone, but that died, does not count. */
export function isLive(s: Server, now: number): boolean {
  return s.state === 'ready' && now - s.heartbeatAt <= HEARTBEAT_LOST_MS;
}

export function isServerState(v: string): v is ServerState {
  return (SERVER_STATES as readonly string[]).includes(v);
}
