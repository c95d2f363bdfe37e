import t from 'tap';
import { onDemandPercent } from '../../autoscaler/providers/asg.js';
import { added, completeAction, heartbeat, marketFor, putHook, setProtection, setSizes, step, terminateInstance, type Ec2State, type Group } from '../../ec2/asg/group.js';

let n = 0;
const ids = { token: () => `tok-${++n}`, activity: () => `act-${++n}` };
const SUBNETS = [
  { subnetId: 'subnet-a', zone: 'z-a' },
  { subnetId: 'subnet-b', zone: 'z-b' },
];

function group(over: Partial<Group> = {}): Group {
  return { name: 'web', createdAt: 0, launchTemplate: { id: 'lt-1', name: 'app', version: '$Default' }, min: 0, max: 4, desired: 0, subnets: SUBNETS, defaultCooldownS: 300, healthCheckGracePeriodS: 0, newInstancesProtectedFromScaleIn: false, tags: [], instances: [], hooks: [], activities: [], ...over };
}

/** Applies a step's launches as the shell would: one instance per launch, ids i-1, i-2, … */
function launchAll(g: Group, launch: { subnetId: string; zone: string }[], at: number): Group {
  for (const w of launch) g = added(g, { instanceId: `i-${++n}`, zone: w.zone, subnetId: w.subnetId, instanceType: 't3.small', launchedAt: at }, at, ids);
  return g;
}

t.test('desired is followed: launches balanced over zones; the default policy scales in from the fullest zone, oldest first, never a protected one', async (t) => {
  let g = setSizes(group(), { desired: 3 });
  const running = (): Ec2State => 'running';
  let r = step(g, running, 0, ids);
  t.same(r.work.launch.map((w) => w.zone), ['z-a', 'z-b', 'z-a']);
  g = launchAll(r.group, r.work.launch, 0);
  g = step(g, running, 1, ids).group;
  t.ok(g.instances.every((i) => i.lifecycleState === 'InService'));
  const [a1, , a2] = g.instances;
  g = setProtection(g, [a1!.instanceId], true);
  r = step(setSizes(g, { desired: 2 }), running, 2, ids);
  t.same(r.work.terminate, [a2!.instanceId], 'from z-a (two there), and a1 is protected');
  t.throws(() => setSizes(g, { desired: 5 }), { code: 'ValidationError' });
  t.equal(setSizes(g, { max: 1 }).desired, 1, 'a lower max drags desired down');
});

t.test('a terminating hook holds the instance until completed or its heartbeat timeout; heartbeats extend it', async (t) => {
  let g = putHook(group({ desired: 1 }), { name: 'drain', transition: 'autoscaling:EC2_INSTANCE_TERMINATING', heartbeatTimeoutS: 60, defaultResult: 'CONTINUE' });
  g = launchAll(step(g, () => 'running', 0, ids).group, [SUBNETS[0]!], 0);
  g = step(g, () => 'running', 0, ids).group;
  const id = g.instances[0]!.instanceId;
  const out = terminateInstance(g, id, true, 1000, ids);
  t.same(out.work.terminate, [], 'held by the hook');
  t.equal(out.group.desired, 0);
  t.equal(out.group.instances[0]!.lifecycleState, 'Terminating:Wait');
  g = heartbeat(out.group, 'drain', { instanceId: id }, 50_000);
  t.same(step(g, () => 'running', 100_000, ids).work.terminate, [], 'a heartbeat at 50 s moved the timeout to 110 s');
  t.same(step(g, () => 'running', 110_000, ids).work.terminate, [id], 'timed out: the default result (CONTINUE) terminates');
  const done = completeAction(g, 'drain', { instanceId: id }, 'CONTINUE', 60_000, ids);
  t.same(done.work.terminate, [id]);
  t.throws(() => completeAction(done.group, 'drain', { instanceId: id }, 'CONTINUE', 60_000, ids), { code: 'ValidationError' });
  t.throws(() => terminateInstance(group({ desired: 0 }), 'i-x', true, 0, ids), { code: 'ValidationError' });
});

t.test('an instance EC2 lost leaves the group and is replaced; one shutting down behind its back is unhealthy and replaced', async (t) => {
  let g = launchAll(group({ desired: 2 }), SUBNETS, 0);
  g = step(g, () => 'running', 0, ids).group;
  const [a, b] = g.instances.map((i) => i.instanceId);
  const r = step(g, (id) => (id === a ? 'terminated' : id === b ? 'shutting-down' : 'running'), 5, ids);
  t.same(r.group.instances.map((i) => [i.instanceId, i.healthStatus, i.lifecycleState]), [[b, 'Unhealthy', 'Terminating']]);
  t.equal(r.work.launch.length, 2, 'both replaced');
  t.equal(r.group.desired, 2);
});

t.test("a MixedInstancesPolicy's split: On-Demand up to the base, then its percentage of the rest (rounded up), Spot for the others", async (t) => {
  const d = { onDemandBase: 1, onDemandPercentAbove: 50, spotAllocationStrategy: 'price-capacity-optimized' };
  const seq = (n: number, dist = d) => {
    let od = 0;
    let spot = 0;
    const out: string[] = [];
    for (let k = 0; k < n; k++) {
      const m = marketFor(dist, od, spot);
      if (m === 'spot') spot++;
      else od++;
      out.push(m === 'spot' ? 'S' : 'O');
    }
    return out.join('');
  };
  t.equal(seq(5), 'OOSOS', 'base 1, then half of the rest On-Demand (rounded in its favour)');
  t.equal(seq(5, { ...d, onDemandBase: 0, onDemandPercentAbove: 0 }), 'SSSSS', 'all Spot');
  t.equal(seq(5, { ...d, onDemandBase: 0, onDemandPercentAbove: 20 }), 'OSSSS', '20 % On-Demand: the first, then Spot');
  t.equal(seq(3, { ...d, onDemandBase: 0, onDemandPercentAbove: 100 }), 'OOO', 'no Spot');
  t.same([1, 0.8, 0.75, 0.5, 0].map(onDemandPercent), [0, 20, 25, 50, 100], '--spot-max-share → the On-Demand percentage');

  let g = setSizes(group({ mixed: { distribution: d, instanceTypes: [] } }), { desired: 3 });
  const r = step(g, () => 'running', 0, ids);
  t.same(r.work.launch.map((w) => w.market), ['on-demand', 'on-demand', 'spot'], "the group's own launches follow the split");
  g = launchAll(r.group, r.work.launch, 0);
  t.equal(g.instances.length, 3);
});
