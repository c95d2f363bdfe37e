import type { Server } from '../../fleet/index.js';

/** Where an instance is in its life, in every provider's terms. */
export type InstanceState = 'pending' | 'running' | 'stopping' | 'gone';

/** One app server as the provider sees it (a process, an EC2 instance). Times are epoch ms. */
export interface Instance {
  /** The registry's server id. */
  id: string;
  /** The provider's handle: a pid for `local`, an EC2 instance id. */
  instanceId: string;
  state: InstanceState;
  zone: string;
  launchedAt: number;
  /** What it is billed as (cost): an EC2 instance type (`local` for a process here), and how it was bought. */
  instanceType?: string;
  market?: 'on-demand' | 'spot';
  /** The provider is taking it away (an Auto Scaling group's terminating hook holds it): drain it now. */
  leaving?: boolean;
}

/** What terminate needs: a registry entry or a listed instance. */
export type Target = Pick<Server, 'id' | 'instanceId'>;

/**
 * Where app servers run: `local` starts detached processes, `ec2` instances. A provider
 * writes each server's `launching` entry as soon as it knows the server's id, lists every
 * server of its fleet (whoever started it, so a new leader adopts them) and spreads
 * launches over its zones.
 */
export interface Provider {
  /** Recorded on each server's registry entry; the daemon only terminates its own provider's servers. */
  readonly name: string;
  /** Starts `count` servers, each in the zone with the fewest of `running`; returns their server ids. */
  launch(count: number, running: readonly Instance[]): Promise<string[]>;
  /** Stops servers gracefully (the app drains and marks itself gone), forcefully after a timeout. */
  terminate(targets: readonly Target[]): Promise<void>;
  /** Registers servers it runs that the registry lacks (an Auto Scaling group launched them on its own). */
  adopt?(instances: readonly Instance[]): Promise<void>;
  /** Every server of this fleet the provider runs, whoever launched it. */
  list(): Promise<Instance[]>;
  /** This autoscaler took the lead, and lists every `tickEveryMs`: a provider that keeps a book of the fleet refreshes it in the background (list() answers at once meanwhile). */
  lead?(tickEveryMs: number): Promise<void>;
  /** False while list() answers from a book no full listing has confirmed since lead(): the daemon judges nothing gone and scales nothing in on it. */
  readonly complete?: boolean;
  /** Calls `onExit` as soon as the provider sees one of its servers end (a local child's exit). */
  watchExits?(onExit: (i: Instance) => void): void;
  /** On shutdown; app servers keep running (they are not tied to the autoscaler's life). */
  close(): Promise<void>;
}
