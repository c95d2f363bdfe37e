import t from 'tap';
import { capacityPoint } from '../../dashboard/feed.js';
import type { StatusView } from '../../fleet/status-view.js';

const base: StatusView = {
  at: 1000, desired: 3, actual: 3, min: 1, max: 8, targets: { rps: 50, memoryPercent: null }, leader: 'a',
  offeredRps: 120, servedRps: 110, proxies: [{ id: 'p', address: '', dataPlane: 'node', appliedPoolVersion: 1, offeredRps: 120, servedRps: 110 }], poolVersion: 1, processes: [], schedule: [], cost: null,
  servers: [
    { id: 'a', address: 'x', state: 'ready', provider: 'local', rps: 40, p95Ms: 1, memoryPercent: 1, inflight: 0, ageSeconds: 1, metricsAgeSeconds: 1 },
    { id: 'b', address: 'y', state: 'ready', provider: 'local', rps: 30, p95Ms: 1, memoryPercent: 1, inflight: 0, ageSeconds: 1, metricsAgeSeconds: 1 },
    { id: 'c', address: 'z', state: 'launching', provider: 'local', rps: 0, p95Ms: null, memoryPercent: null, inflight: 0, ageSeconds: 1, metricsAgeSeconds: null },
  ],
  decisions: [],
};

t.test('demand is the proxies’ offered rate; capacity counts ready servers only', async (t) => {
  t.same(capacityPoint(base), { t: 1000, demand: 120, capacity: 100, ready: 2 });
});

t.test('traffic that bypasses the proxies is demand too: the servers’ rates when higher (the autoscaler’s rule, capacity/demand.ts)', async (t) => {
  t.same(capacityPoint({ ...base, offeredRps: 50 }), { t: 1000, demand: 70, capacity: 100, ready: 2 });
});

t.test('without proxies, demand falls back to the servers’ own rates', async (t) => {
  t.same(capacityPoint({ ...base, proxies: [], offeredRps: 0 }), { t: 1000, demand: 70, capacity: 100, ready: 2 });
});

t.test('no rps target → capacity 0 rather than a made-up number', async (t) => {
  t.equal(capacityPoint({ ...base, targets: { rps: null, memoryPercent: 70 } }).capacity, 0);
});
