import t from 'tap';
import { targetGroups } from '../../autoscaler/admin/sd.js';
import type { FleetSnapshot } from '../../fleet/snapshot.js';
import type { Server } from '../../fleet/index.js';

const server = (id: string, address: string, state: Server['state']): Server => ({
  id, address, state, provider: 'local', instanceId: '1', host: 'h', zone: 'local-a', launchedAt: 0, heartbeatAt: 0, stateChangedAt: 0, bootId: '',
});
const proxy = (id: string, adminAddress: string) => ({ id, address: '127.0.0.1:8080', adminAddress, heartbeatAt: 0, appliedPoolVersion: 1, offeredTotal: 0, servedTotal: 0, offeredRps: 0, servedRps: 0, bootId: '' });

const snap = (over: Partial<FleetSnapshot> = {}): FleetSnapshot => ({
  at: 0,
  chaos: [],
  servers: [server('a', '127.0.0.1:4001', 'ready'), server('b', '127.0.0.1:4002', 'launching'), server('c', '', 'launching'), server('d', '127.0.0.1:4004', 'gone'), server('e', '127.0.0.1:4005', 'draining')],
  requests: new Map(),
  memory: new Map(),
  proxies: [proxy('p:8080/w1', '127.0.0.1:9091'), proxy('p:8080/w2', '127.0.0.1:9091'), proxy('q', '127.0.0.1:9092'), proxy('r', '')],
  autoscaler: undefined,
  decisions: [],
  poolVersion: 1,
  processes: [],
  ...over,
});

t.test('every app server with an address, each proxy process once, and this autoscaler', async (t) => {
  const groups = targetGroups(snap(), { id: 'A', address: '127.0.0.1:8090' });
  t.same(
    groups.map((g) => [g.targets[0], g.labels.service, g.labels.server]),
    [
      ['127.0.0.1:4001', 'app', 'a'],
      ['127.0.0.1:4002', 'app', 'b'],
      ['127.0.0.1:4005', 'app', 'e'],
      ['127.0.0.1:9091', 'proxy', 'p:8080'],
      ['127.0.0.1:9092', 'proxy', 'q'],
      ['127.0.0.1:8090', 'autoscaler', 'A'],
    ],
    'gone servers and servers with no address yet are left out; cluster workers share their primary',
  );
  t.match(groups[0]!.labels, { provider: 'local', zone: 'local-a', instance_id: '1', __meta_shoal_state: 'ready' });
});

t.test('a standby lists the leader it knows of too, the leader does not list itself twice', async (t) => {
  const leader = { leaderId: 'L', provider: 'local', min: 1, max: 2, targetRps: 1, targetMemory: 0, desired: 1, actual: 1, intervalMs: 1000, lastDecision: '', updatedAt: 0, adminAddress: '10.0.0.5:8090' };
  const standby = targetGroups(snap({ autoscaler: leader }), { id: 'S', address: '10.0.0.6:8090' }).filter((g) => g.labels.service === 'autoscaler');
  t.same(standby.map((g) => [g.targets[0], g.labels.server]), [['10.0.0.6:8090', 'S'], ['10.0.0.5:8090', 'L']]);
  const self = targetGroups(snap({ autoscaler: leader }), { id: 'L', address: '10.0.0.5:8090' }).filter((g) => g.labels.service === 'autoscaler');
  t.equal(self.length, 1);
});
