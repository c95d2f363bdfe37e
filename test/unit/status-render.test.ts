import t from 'tap';
import type { FleetSnapshot } from '../../fleet/snapshot.js';
import { statusView } from '../../fleet/status-view.js';
import { age, renderStatus } from '../../cli/status/render.js';

const now = 1_000_000;
const snap: FleetSnapshot = {
  at: now,
  servers: [
    { id: 'a', address: '127.0.0.1:4001', state: 'ready', provider: 'local', instanceId: '1', host: 'h', zone: 'local-a', launchedAt: now - 90_000, heartbeatAt: now, stateChangedAt: now, bootId: 'b1' },
    { id: 'b', address: '127.0.0.1:4002', state: 'launching', provider: 'local', instanceId: '2', host: 'h', zone: 'local-a', launchedAt: now - 2_000, heartbeatAt: now, stateChangedAt: now, bootId: '' },
    { id: 'c', address: '127.0.0.1:4003', state: 'gone', provider: 'local', instanceId: '3', host: 'h', zone: 'local-a', launchedAt: now - 500_000, heartbeatAt: now, stateChangedAt: now, bootId: 'b3' },
  ],
  requests: new Map([['127.0.0.1:4001', { serverId: 'a', bootId: 'b1', total: 100, s2xx: 100, s3xx: 0, s4xx: 0, s5xx: 0, inflight: 3, rps: 12.345, p50Ms: 1, p95Ms: 4.56, updatedAt: now - 1000 }]]),
  memory: new Map([['127.0.0.1:4001', { serverId: 'a', usedPercent: 41.27, hostId: 'h', rssBytes: 1, load1: 0, updatedAt: now }]]),
  proxies: [{ id: 'p', address: '127.0.0.1:8080', adminAddress: '', heartbeatAt: now, appliedPoolVersion: 9, offeredTotal: 0, servedTotal: 0, offeredRps: 20, servedRps: 19.5, bootId: '', dataPlane: 'haproxy' }],
  autoscaler: { leaderId: 'A', provider: 'local', min: 1, max: 8, targetRps: 10, targetMemory: 0, desired: 2, actual: 2, intervalMs: 5000, lastDecision: '', updatedAt: now },
  decisions: [{ id: `${now}-0`, at: now, data: { desired: 2, actual: 1, action: 'scale-out', reason: 'rps 20 / target 10 → 2' } }],
  poolVersion: 9,
  processes: [
    { name: 'redis', pid: 11, state: 'running', restarts: 0, lastExit: '', lastExitAt: 0, startedAt: now - 300_000, log: '/d/logs/redis.log' },
    { name: 'proxy', pid: 12, state: 'running', restarts: 1, lastExit: 'SIGKILL', lastExitAt: now - 30_000, startedAt: now - 29_000, log: '/d/logs/proxy.log' },
  ],
  chaos: [],
};

t.test('statusView: gone servers hidden, launching counts as capacity, metrics joined by address', async (t) => {
  const v = statusView(snap);
  t.equal(v.actual, 2);
  t.equal(v.desired, 2);
  t.same(v.targets, { rps: 10, memoryPercent: null });
  t.same(v.servers.map((s) => s.id), ['a', 'b']);
  t.match(v.servers[0], { rps: 12.3, p95Ms: 4.6, memoryPercent: 41.3, inflight: 3, ageSeconds: 90, metricsAgeSeconds: 1 });
  t.match(v.servers[1], { rps: 0, p95Ms: null, memoryPercent: null, inflight: 0 });
  t.equal(v.offeredRps, 20);
  t.same(v.decisions, [{ at: now, desired: 2, actual: 1, action: 'scale-out', reason: 'rps 20 / target 10 → 2', costPerHourChange: null }]);
});

t.test('statusView without an autoscaler', async (t) => {
  const v = statusView({ ...snap, autoscaler: undefined, decisions: [] });
  t.equal(v.desired, null);
  t.match(renderStatus(v), /no autoscaler has reported yet/);
});

t.test('renderStatus prints the summary, one row per server and the decisions', async (t) => {
  const text = renderStatus(statusView(snap));
  t.match(text, /desired 2 {2}actual 2 {2}min 1 {2}max 8 {2}targets 10 rps\/server/);
  t.match(text, /^a +127\.0\.0\.1:4001 +ready +12\.3 +4\.6 +41\.3 +3 +90s$/m);
  t.match(text, /^b +127\.0\.0\.1:4002 +launching +0 +- +- +0 +2s$/m);
  t.notMatch(text, /4003/);
  t.match(text, /scale-out {2}desired 2 {2}rps 20 \/ target 10 → 2/);
});

t.test('renderStatus lists the processes shoal up supervises, with restarts and the last exit', async (t) => {
  const text = renderStatus(statusView(snap));
  t.match(text, /^redis +11 +running +0 +- +5m +\/d\/logs\/redis\.log$/m);
  t.match(text, /^proxy +12 +running +1 +SIGKILL, 30s ago +29s +\/d\/logs\/proxy\.log$/m);
  t.notMatch(renderStatus(statusView({ ...snap, processes: [] })), /STACK/, 'no section for a fleet shoal up did not start');
});

t.test('renderStatus lists each proxy with the data plane it runs', async (t) => {
  const text = renderStatus(statusView(snap));
  t.match(text, /^ID +ADDRESS +DATA PLANE +APPLIED POOL +OFFERED RPS +SERVED RPS$/m);
  t.match(text, /^p +127\.0\.0\.1:8080 +haproxy +v9 +20 +19\.5$/m);
  const { dataPlane: _, ...older } = snap.proxies[0]!;
  t.match(renderStatus(statusView({ ...snap, proxies: [older] })), /^p +127\.0\.0\.1:8080 +node +v9/m, 'an entry without one is the Node proxy');
});

t.test('age formats like kubectl', async (t) => {
  t.same([age(5), age(119), age(120), age(7199), age(7200), age(200000)], ['5s', '119s', '2m', '119m', '2h', '2d']);
});

t.test('renderStatus shows the cost and the next scheduled actions when the autoscaler reports them', async (t) => {
  const autoscaler = { ...snap.autoscaler!, nextActions: [{ text: '0 9 * * 1-5 min=4', at: Date.UTC(2026, 2, 30, 7) }], cost: { since: Date.UTC(2026, 2, 27), instanceHours: 5, cost: 0.0676, perHour: 0.02704, unpriced: ['x1.huge'] } };
  const v = statusView({ ...snap, autoscaler });
  t.same(v.schedule, autoscaler.nextActions);
  const text = renderStatus(v);
  t.match(text, /^cost \$0\.0270\/h now {2}\$0\.0676 so far {2}5\.00 instance-hours since 2026-03-27 00:00Z {2}\(no price for x1\.huge\)$/m);
  t.match(text, /NEXT SCHEDULED ACTIONS\n2026-03-30 07:00Z {2}0 9 \* \* 1-5 min=4/);
});
