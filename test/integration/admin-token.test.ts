import t from 'tap';
import { testRedis } from '../helpers/redis.js';
import { spawnShoal } from '../helpers/proc.js';
import { startProxy } from '../fixtures/backend.js';

// Admin ports: loopback by default; bound anywhere else they need a token, and refuse to
// start without one. The token comes from the environment or a file, and is never printed.

const TOKEN = 'admin-token-for-the-test-0123456789';

for (const tier of ['proxy', 'autoscaler'] as const) {
  t.test(`${tier}: an admin port beyond loopback without a token is refused at start`, async (t) => {
    const ports = tier === 'proxy' ? ['--port', '0'] : [];
    const p = spawnShoal(t.teardown, [tier, '--admin-host', '0.0.0.0', '--admin-port', '0', ...ports, '--redis', 'redis://127.0.0.1:1'], { env: { SHOAL_ADMIN_TOKEN: '' } });
    t.equal(await p.exited(), 2);
    t.match(p.stderr(), /invalid --admin-host .*not loopback.*SHOAL_ADMIN_TOKEN or --admin-token-file/);
  });
}

t.test('proxy: with a token, admin requests need it (but /healthz does not), and it is never printed', async (t) => {
  const redis = await testRedis(t.teardown);
  const proxy = await startProxy(t.teardown, redis, [], { SHOAL_ADMIN_TOKEN: TOKEN });
  t.equal((await fetch(`${proxy.adminUrl}/pool`)).status, 401);
  t.equal((await fetch(`${proxy.adminUrl}/metrics`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status, 401);
  t.equal((await fetch(`${proxy.adminUrl}/pool`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
  t.equal((await fetch(`${proxy.adminUrl}/healthz`)).status, 200);
  t.notMatch(proxy.proc.stdout() + proxy.proc.stderr(), TOKEN);
});
