import t from 'tap';
import { existsSync } from 'node:fs';
import { connectRedis } from '../../fleet/index.js';
import { startRedisServer } from '../../lib/redis-server.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(120_000); // a safety net, not a timing: generous for a loaded CI machine

// A port picked free can be taken by someone else's Redis before ours binds it. Ours then
// fails to bind and exits, but the other answers PING: taking that for "started" would point
// our clients at someone else's data. Started means our own child answers.
t.test("a Redis whose port another Redis holds fails to start instead of passing for the other", async (t) => {
  const theirs = await startRedisServer();
  t.teardown(() => theirs.stop());
  await t.rejects(startRedisServer({ port: theirs.port }), { code: 'SHOAL_ERR_REDIS_EXIT' }, 'ours exits (address in use), and says so');
  const again = await startRedisServer();
  t.teardown(() => again.stop());
  t.not(again.port, theirs.port, 'a fresh one starts on a free port');
});

// Redis loads any dump.rdb in its dir at start, and a replica's full sync writes one there.
// Run from a checkout, an embedded Redis without a data dir must leave nothing in the cwd,
// or every later one started there comes up holding the old keys.
t.test('a replica synced from a primary leaves no dump.rdb in the cwd, and a restarted Redis comes back empty', async (t) => {
  const primary = await startRedisServer();
  t.teardown(() => primary.stop());
  const p = connectRedis(primary.url);
  t.teardown(() => p.disconnect());
  await p.set('k', 'v');
  const replica = await startRedisServer({ replicaOf: primary.port });
  t.teardown(() => replica.stop());
  const r = connectRedis(replica.url);
  t.teardown(() => r.disconnect());
  await waitFor(async () => (await r.get('k')) === 'v', { timeoutMs: 30_000, what: 'the replica synced' });
  t.notOk(existsSync('dump.rdb'), 'no dump.rdb in the cwd');
  await primary.stop();
  const again = await startRedisServer({ port: primary.port });
  t.teardown(() => again.stop());
  const c = connectRedis(again.url);
  t.teardown(() => c.disconnect());
  t.equal(await c.dbsize(), 0, 'a Redis started again on the port holds nothing');
});
