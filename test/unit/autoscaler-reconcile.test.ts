import t from 'tap';
import { emptyReconcileHistory, reconcile, type ReconcileHistory } from '../../autoscaler/engine/reconcile.js';
import { fullestZone, placeLaunches } from '../../autoscaler/engine/zones.js';
import { backoffMs, launchErrorKind, launchPlan } from '../../autoscaler/providers/ec2-plan.js';
import type { Instance, InstanceState } from '../../autoscaler/providers/provider.js';
import type { Server, ServerState } from '../../fleet/index.js';

const NOW = 10_000_000;
const BOOT = 60_000;

const inst = (id: string, state: InstanceState = 'running', age = 600_000): Instance => ({ id, instanceId: `i-${id}`, state, zone: 'z1', launchedAt: NOW - age });
const entry = (id: string, state: ServerState = 'ready', o: { age?: number; provider?: string; instanceId?: string } = {}): Server => ({
  id,
  address: `10.0.0.1:${id.length}`,
  state,
  provider: o.provider ?? 'ec2',
  instanceId: o.instanceId ?? `i-${id}`,
  host: '',
  zone: 'z1',
  launchedAt: NOW - (o.age ?? 600_000),
  heartbeatAt: NOW,
  stateChangedAt: NOW - 300_000,
  bootId: `b-${id}`,
});

function run(instances: Instance[], servers: Server[], history: ReconcileHistory = emptyReconcileHistory(), now = NOW) {
  return reconcile({ now, provider: 'ec2', bootTimeoutMs: BOOT, listGraceMs: 15_000, instances, servers }, history);
}
const seenFor = (ms: number, ...ids: string[]): ReconcileHistory => ({ unregisteredSince: Object.fromEntries(ids.map((id) => [`i-${id}`, NOW - ms])) });

t.test('views: the listing is the authority on what is alive', async (t) => {
  const cases: [string, Instance[], Server, 'alive' | 'gone' | undefined][] = [
    ['running instance, ready entry', [inst('a')], entry('a'), 'alive'],
    ['pending instance, launching entry', [inst('a', 'pending', 5000)], entry('a', 'launching', { age: 5000 }), 'alive'],
    ['terminated behind our back', [inst('a', 'gone')], entry('a'), 'gone'],
    ['shutting down', [inst('a', 'stopping')], entry('a'), 'gone'],
    ['missing from the listing long after launch', [], entry('a'), 'gone'],
    ['missing just after launch (the listing lags)', [], entry('a', 'launching', { age: 3000 }), 'alive'],
    ['matched by instance id when the ids differ', [{ ...inst('x'), id: 'other' }], entry('a', 'ready', { instanceId: 'i-x' }), 'alive'],
    ['pending past the boot timeout: stuck', [inst('a', 'pending', 61_000)], entry('a', 'launching', { age: 61_000 }), 'gone'],
    ["another provider's entry is not judged", [], entry('a', 'ready', { provider: 'local' }), undefined],
    ['a gone entry is not judged', [], entry('a', 'gone'), undefined],
  ];
  for (const [name, instances, server, want] of cases) t.equal(run(instances, [server]).views.get(server.id), want, name);
});

t.test('orphans: no live entry for a boot timeout, counted from when this leader first saw them', async (t) => {
  const cases: [string, Instance[], Server[], ReconcileHistory, string[], string[]][] = [
    // name, instances, entries, history, terminated as orphans, counted as unregistered capacity
    ['registered: nothing to do', [inst('a')], [entry('a')], emptyReconcileHistory(), [], []],
    ['first sight of an unregistered instance: counted, not killed (a new leader, Redis lost)', [inst('a')], [], emptyReconcileHistory(), [], ['a']],
    ['unregistered for the boot timeout: orphan', [inst('a')], [], seenFor(BOOT, 'a'), ['a'], []],
    ['unregistered for less than the boot timeout', [inst('a')], [], seenFor(BOOT - 1, 'a'), [], ['a']],
    ['young instance seen long enough but launched recently', [inst('a', 'running', 30_000)], [], seenFor(BOOT, 'a'), [], ['a']],
    ['entry gone but instance running, past the timeout: orphan', [inst('a')], [entry('a', 'gone')], seenFor(BOOT, 'a'), ['a'], []],
    ['entry gone, instance running: not capacity meanwhile', [inst('a')], [entry('a', 'gone')], emptyReconcileHistory(), [], []],
    ['shutting down instances are never orphans', [inst('a', 'stopping'), inst('b', 'gone')], [], seenFor(BOOT, 'a', 'b'), [], []],
  ];
  for (const [name, instances, servers, history, orphans, unregistered] of cases) {
    const r = run(instances, servers, history);
    t.same(r.terminate.filter((x) => x.reason === 'orphan').map((x) => x.instance.id), orphans, `${name}: orphans`);
    t.same(r.unregistered.map((i) => i.id), unregistered, `${name}: unregistered`);
  }
});

t.test('history: first sight is kept across ticks and forgotten once registered', async (t) => {
  let r = run([inst('a')], []);
  t.same(r.history, { unregisteredSince: { 'i-a': NOW } });
  r = run([inst('a')], [], r.history, NOW + BOOT);
  t.same(r.terminate.map((x) => [x.instance.id, x.reason]), [['a', 'orphan']], 'a boot timeout later it is an orphan');
  r = run([inst('a')], [entry('a')], run([inst('a')], []).history, NOW + 1000);
  t.same(r.history, { unregisteredSince: {} }, 'registered: forgotten');
});

t.test('stuck pending instances are terminated, registered or not', async (t) => {
  const r = run([inst('a', 'pending', BOOT + 1), inst('b', 'pending', BOOT - 1), inst('c', 'pending', BOOT + 1)], [entry('a', 'launching', { age: BOOT + 1 })]);
  t.same(r.terminate.map((x) => [x.instance.id, x.reason]), [['a', 'stuck-pending'], ['c', 'stuck-pending']]);
  t.same(r.unregistered.map((i) => i.id), ['b'], 'a young pending instance without an entry is capacity');
});

t.test('zones: launches go to the emptiest zone, scale-in takes from the fullest', async (t) => {
  const Z = ['a', 'b', 'c'];
  const place: [string, string[], number, string[]][] = [
    ['empty fleet: one per zone, in order', [], 4, ['a', 'b', 'c', 'a']],
    ['fills the gaps first', ['a', 'a', 'b'], 3, ['c', 'b', 'c']],
    ['servers in unconfigured zones do not count', ['x', 'x'], 1, ['a']],
    ['no zones: nothing to place', [], 0, []],
  ];
  for (const [name, running, n, want] of place) t.same(placeLaunches(Z, running, n), want, name);
  t.same(placeLaunches([], ['a'], 2), [], 'no configured zones');
  const fullest: [string, string[], string[], string | undefined][] = [
    ['the zone with most servers', ['a', 'b', 'b', 'c'], ['a', 'b', 'c'], 'b'],
    ['only among the candidates’ zones', ['a', 'b', 'b', 'b'], ['a'], 'a'],
    ['a tie goes to the zone that sorts last', ['a', 'a', 'c', 'c', 'b'], ['a', 'b', 'c'], 'c'],
    ['no candidates', ['a'], [], undefined],
  ];
  for (const [name, all, cands, want] of fullest) t.equal(fullestZone(all, cands), want, name);
});

t.test('ec2 launch plan: the wanted zone first, other subnets, then the next type; what is retried', async (t) => {
  const S = [
    { id: 's-a', zone: 'a' },
    { id: 's-b', zone: 'b' },
    { id: 's-c', zone: 'c' },
  ];
  const plan = (types: string[], zone: string) => launchPlan(S, types, zone).map((x) => `${x.subnet.id}/${x.instanceType ?? '-'}`);
  t.same(plan(['t3.small', 't3.medium'], 'b'), ['s-b/t3.small', 's-a/t3.small', 's-c/t3.small', 's-b/t3.medium', 's-a/t3.medium', 's-c/t3.medium']);
  t.same(plan([], 'c'), ['s-c/-', 's-a/-', 's-b/-'], "no types: the template's");
  const kinds: [string, string][] = [
    ['RequestLimitExceeded', 'throttled'],
    ['InsufficientInstanceCapacity', 'capacity'],
    ['Unsupported', 'capacity'],
    ['InternalError', 'transient'],
    ['IdempotentParameterMismatch', 'fatal'],
    ['InvalidParameterValue', 'fatal'],
    ['UnauthorizedOperation', 'fatal'],
  ];
  for (const [name, kind] of kinds) t.equal(launchErrorKind(name), kind, name);
  t.equal(backoffMs(0, 100, 1000, () => 1), 100);
  t.equal(backoffMs(3, 100, 1000, () => 1), 800);
  t.equal(backoffMs(6, 100, 1000, () => 1), 1000, 'capped');
  t.equal(backoffMs(2, 100, 1000, () => 0.5), 200, 'jittered');
});
