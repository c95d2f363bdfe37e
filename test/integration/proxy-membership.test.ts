import t from 'tap';
import { connectRedis, type Server } from '../../fleet/index.js';
import { createLogger } from '../../lib/log.js';
import { Membership, type PoolSink } from '../../proxy/membership.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

// A data plane that refuses a pass (HAProxy busy, restarting) must not leave a join or a drain
// waiting for the periodic resync: membership asks it again by itself, soon.
t.test('a pass the data plane refused is retried well before the next resync, then acknowledged', async (t) => {
  const r = await testRedis(t.teardown);
  const subscriber = connectRedis(r.url, { name: 'test-sub' });
  t.teardown(() => subscriber.disconnect());
  let refuse = 0;
  const passes: string[][] = [];
  const sink: PoolSink = {
    apply(servers: readonly Server[]) {
      passes.push(servers.map((s) => s.id));
      if (refuse > 0) {
        refuse--;
        throw new Error('haproxy refused "add server shoal/s1": busy');
      }
    },
  };
  // an hour between resyncs: only pub/sub and the retry can bring the change in
  const m = new Membership({ fleet: r.fleet, subscriber, upstreams: sink, resyncMs: 3_600_000, log: createLogger('test', 'silent') });
  t.teardown(() => m.close());
  await m.start();

  refuse = 3;
  const joined = await r.fleet.registry.ready('s1', { address: '127.0.0.1:4001', bootId: 'b1' });
  await waitFor(() => m.applied >= joined.version!, { timeoutMs: 20_000, what: 'the join acknowledged after three refused passes' });
  t.equal(refuse, 0, 'every refused pass was retried');
  t.same(passes.at(-1), ['s1'], 'the pass that went through holds the new server');

  // a refusal does not stick: the next change goes straight through
  const gone = await r.fleet.registry.exited('s1');
  await waitFor(() => m.applied >= gone.version!, { timeoutMs: 20_000, what: 'the removal acknowledged' });
  t.ok(passes.length >= 6, `a pass per refusal, the join and the removal (${passes.length})`);
});
