/**
 * One simulated instance as plain data, and its life: pending → running → shutting-down →
 * terminated. The functions here are pure; the cloud applies them and the runner acts.
 */
export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated';

/** The codes AWS sends with each state name (the low byte of `instanceState.code`). */
export const STATE_CODES: Record<InstanceStateName, number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48 };

export interface StateReason {
  code: string;
  message: string;
}

export interface Instance {
  instanceId: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  keyName?: string;
  subnetId: string;
  vpcId: string;
  zone: string;
  privateIp: string;
  launchTime: number;
  amiLaunchIndex: number;
  clientToken?: string;
  securityGroupIds: string[];
  iamInstanceProfileArn?: string;
  /** Base64, as sent; the runner decodes it. */
  userData?: string;
  tags: Record<string, string>;
  volumeId: string;
  volumeTags: Record<string, string>;
  state: InstanceStateName;
  stateChangedAt: number;
  /** AWS's `reason` text, e.g. "User initiated (2024-01-01 10:00:00 GMT)". */
  transitionReason: string;
  stateReason?: StateReason;
  /** `spot` for a Spot instance (EC2's instanceLifecycle); absent for On-Demand. */
  lifecycle?: 'spot';
  /** A Spot interruption notice: what happens (`terminate`) and when (epoch ms). */
  interruption?: { action: 'terminate'; at: number };
  /** When a rebalance recommendation was issued (epoch ms). */
  rebalanceAt?: number;
  /** The process that is the instance, while it runs. */
  pid?: number;
  imdsPort?: number;
}

export const REASONS = {
  userTerminated: { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' },
  instanceShutdown: { code: 'Client.InstanceInitiatedShutdown', message: 'Client.InstanceInitiatedShutdown: Instance initiated shutdown' },
  bootFailed: { code: 'Server.InternalError', message: 'Server.InternalError: Internal error on launch' },
  endpointStopped: { code: 'Server.InternalError', message: 'Server.InternalError: the embedded endpoint stopped' },
  spotInterrupted: { code: 'Server.SpotInstanceTermination', message: 'Server.SpotInstanceTermination: Spot instance termination' },
} satisfies Record<string, StateReason>;

function gmt(now: number): string {
  return `${new Date(now).toISOString().slice(0, 19).replace('T', ' ')} GMT`;
}

/** A state change as a new record; terminal states are final. */
export function transition(i: Instance, to: InstanceStateName, now: number, reason?: StateReason): Instance {
  if (i.state === 'terminated' || i.state === to) return i;
  const next: Instance = { ...i, state: to, stateChangedAt: now };
  if (reason) next.stateReason = reason;
  if ((to === 'shutting-down' || to === 'terminated') && !i.transitionReason) {
    next.transitionReason = reason === REASONS.userTerminated ? `User initiated (${gmt(now)})` : `Service initiated (${gmt(now)})`;
  }
  if (to === 'terminated') {
    delete next.pid;
    delete next.imdsPort;
  }
  return next;
}

/** Whether a terminated instance has been visible long enough to drop (AWS: about an hour). */
export function expired(i: Instance, now: number, ttlMs: number): boolean {
  return i.state === 'terminated' && now - i.stateChangedAt > ttlMs;
}
