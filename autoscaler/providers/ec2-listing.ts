import { paginateDescribeInstances, type EC2Client, type Filter, type Instance as Ec2Instance } from '@aws-sdk/client-ec2';
import { NOT_RUNNING, type Listed } from './instance-book.js';
import type { Instance, InstanceState } from './provider.js';

/** Instances per page of a full listing: one page's parse (about 300 KB of XML) is the longest the event loop is held, so Redis replies and a concurrent tick never wait behind 3 MB. */
const FULL_PAGE = 100;

export const EC2_STATES: Record<string, InstanceState> = {
  pending: 'pending',
  running: 'running',
  'shutting-down': 'stopping',
  stopping: 'stopping',
  stopped: 'gone',
  terminated: 'gone',
};

export function toInstance(i: Ec2Instance): Instance {
  return {
    id: i.InstanceId!,
    instanceId: i.InstanceId!,
    state: EC2_STATES[i.State?.Name ?? ''] ?? 'gone',
    zone: i.Placement?.AvailabilityZone ?? '',
    launchedAt: i.LaunchTime ? i.LaunchTime.getTime() : 0,
    ...(i.InstanceType ? { instanceType: i.InstanceType } : {}),
    market: i.InstanceLifecycle === 'spot' ? 'spot' : 'on-demand',
  };
}

/**
 * A fleet's instances (those `filters` select) through paginated DescribeInstances, for an
 * InstanceBook: all of them in small pages, or only those not running in one; each page
 * handed to `onPage`, the next asked for once it resolves.
 */
export async function listInstances(client: EC2Client, filters: Filter[], what: 'all' | 'not-running', notedAt: number, onPage?: (page: readonly Listed[]) => Promise<void>): Promise<Listed[]> {
  const out: Listed[] = [];
  const all = what === 'all' ? filters : [...filters, { Name: 'instance-state-name', Values: NOT_RUNNING }];
  const pages = paginateDescribeInstances({ client, pageSize: what === 'all' ? FULL_PAGE : 1000 }, { Filters: all });
  for await (const page of pages) {
    const listed = (page.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => ({ instance: toInstance(i), ec2State: i.State?.Name ?? '', notedAt })));
    await onPage?.(listed);
    out.push(...listed);
  }
  return out;
}
