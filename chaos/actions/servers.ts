import type { Server } from '../../fleet/index.js';
import { ShoalError } from '../../lib/errors.js';
import { signalGroup, waitGone } from '../../lib/process.js';
import type { ChaosContext } from '../context.js';
import { pickServers, zoneServers } from '../select.js';

/** What a kill reports in the journal. */
export interface Killed {
  id: string;
  address: string;
  zone: string;
  provider: string;
  instanceId: string;
}

/** SIGKILL for a local server (no drain, no goodbye), TerminateInstances for an EC2 one. */
export async function killServers(ctx: ChaosContext, servers: Server[]): Promise<Killed[]> {
  const ec2 = servers.filter((s) => s.provider === 'ec2');
  for (const s of servers) {
    if (s.provider === 'ec2') continue;
    const pid = Number(s.instanceId);
    if (!Number.isInteger(pid) || pid <= 1) throw new ShoalError('SHOAL_ERR_CHAOS_TARGET', `${s.id} (provider ${s.provider}) has no pid to kill (instance ${s.instanceId})`);
    signalGroup(pid, 'SIGKILL');
    if (!(await waitGone(pid, 5000))) throw new ShoalError('SHOAL_ERR_CHAOS_KILL', `${s.id} (pid ${pid}) still runs 5 s after SIGKILL`);
  }
  if (ec2.length) await terminateEc2(ctx, ec2);
  return servers.map((s) => ({ id: s.id, address: s.address, zone: s.zone, provider: s.provider, instanceId: s.instanceId }));
}

/** Through the ec2 provider's own terminate (it checks the fleet tag first). */
async function terminateEc2(ctx: ChaosContext, servers: Server[]): Promise<void> {
  const { EC2Client } = await import('@aws-sdk/client-ec2');
  const { Ec2Provider } = await import('../../autoscaler/providers/ec2.js');
  const endpoint = ctx.target.ec2Endpoint;
  // the embedded endpoint takes any credentials; real EC2 uses the default chain and AWS_REGION
  const client = new EC2Client(endpoint ? { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'shoal-embedded', secretAccessKey: 'shoal-embedded' } } : {});
  const provider = new Ec2Provider({
    fleet: ctx.fleet,
    client,
    fleetName: ctx.target.ec2Fleet ?? 'shoal-up',
    instanceTypes: [],
    subnets: [],
    securityGroups: [],
    retry: { attempts: 1, baseMs: 100, maxMs: 100 },
    log: ctx.log,
  });
  try {
    await provider.terminate(servers);
  } finally {
    await provider.close();
  }
}

export async function killServer(ctx: ChaosContext, a: { target: string; count: number }): Promise<{ killed: Killed[] }> {
  const chosen = pickServers(await ctx.fleet.registry.list(), a.target, a.count, ctx.random);
  if (chosen.length < a.count) throw new ShoalError('SHOAL_ERR_CHAOS_TARGET', `wanted ${a.count} ready server(s) matching ${a.target}, found ${chosen.length}`);
  return { killed: await killServers(ctx, chosen) };
}

/** Every ready server in the zone at once, as an availability zone going dark. */
export async function zoneLoss(ctx: ChaosContext, a: { zone: string }): Promise<{ killed: Killed[] }> {
  const servers = await ctx.fleet.registry.list();
  const chosen = zoneServers(servers, a.zone);
  if (!chosen.length) {
    const zones = [...new Set(servers.filter((s) => s.state === 'ready').map((s) => s.zone))].join(', ');
    throw new ShoalError('SHOAL_ERR_CHAOS_TARGET', `no ready server in zone ${a.zone} (zones with ready servers: ${zones || 'none'})`);
  }
  return { killed: await killServers(ctx, chosen) };
}
