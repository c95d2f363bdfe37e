import t from 'tap';
import { Leadership } from '../../autoscaler/leadership.js';
import { isReady } from '../../fleet/index.js';
import { createLogger } from '../../lib/log.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(180_000); // a safety net, not a timing: generous for a loaded CI machine

const log = createLogger('test', 'silent');

t.test('Redis restarted empty: a deposed leader cannot act, and no token goes back', async (t) => {
  const r = await testRedis(t.teardown);
  await waitFor(() => isReady(r.client), { what: 'the client connected' });
  const a = new Leadership(r.fleet, 'A', 300, log, () => {});
  await a.renew();
  t.equal(a.role, 'leader');
  const tokenA = a.token!;
  // A stalls (a long GC pause, a SIGSTOP) past its lock's TTL: B takes over.
  const b = new Leadership(r.fleet, 'B', 10_000, log, () => {});
  await waitFor(async () => (await b.renew(), b.role === 'leader'), { what: 'B to take the lapsed lock' });
  const tokenB = b.token!;
  t.ok(tokenB > tokenA);
  t.equal(await a.mayAct(), false, 'A, deposed, may not act');

  await r.restart();
  await waitFor(() => isReady(r.client) && r.client.dbsize().then((n) => n === 0), { what: 'the client back on the empty Redis' });
  // A wakes up still believing it leads, before anyone renewed.
  t.equal(a.role, 'leader', 'A has not noticed yet');
  t.equal(await a.mayAct(), false, 'A may not act on its old token');
  t.equal(await b.mayAct(), false, 'nor may B until it holds the lock again');
  await a.renew();
  t.equal(a.role, 'leader', 'A is the first to ask, and leads again');
  t.ok(a.token! > tokenB, `with a token (${a.token}) above every earlier one (${tokenB})`);
  await b.renew();
  t.equal(b.role, 'standby');
  t.equal(await b.mayAct(), false, 'B, deposed now, may not act');
  t.equal(await a.mayAct(), true);
  await a.stop();
  await b.stop();
});
