import t from 'tap';
import { spawnShoal } from '../helpers/proc.js';

// ten node processes start at once: on a loaded 2-core machine that alone can take a minute
t.setTimeout(240_000); // a safety net, not a timing: generous for a loaded CI machine

t.test('bad flag or env values exit 2 with one line naming the flag', async (t) => {
  const cases: { args: string[]; env?: Record<string, string>; want: RegExp }[] = [
    { args: ['--balancer', 'random'], want: /invalid --balancer \(SHOAL_PROXY_BALANCER\): expected p2c or round-robin/ },
    { args: ['--port', '70000'], want: /invalid --port \(SHOAL_PROXY_PORT\)/ },
    { args: [], env: { SHOAL_PROXY_HEADER_TIMEOUT: 'soon' }, want: /invalid --header-timeout \(SHOAL_PROXY_HEADER_TIMEOUT\): expected a duration/ },
    { args: ['--upstream-idle-timeout', '70s'], want: /invalid --upstream-idle-timeout .*below the app's 65s keep-alive/ },
    { args: ['--tls-cert', '/nope.crt'], want: /invalid --tls-key .*go together/ },
    { args: ['--redirect-http', '8081'], want: /invalid --redirect-http .*needs --tls-cert/ },
    { args: ['--tls-cert', '/nope.crt', '--tls-key', '/nope.key'], want: /invalid --tls-cert: cannot read \/nope\.crt \(ENOENT\)/ },
    { args: ['--workers', '0'], want: /invalid --workers/ },
    { args: ['--redis', 'localhost:6379'], want: /invalid --redis \(REDIS_URL\)/ },
    { args: ['--bogus'], want: /unknown option/ },
  ];
  await Promise.all(
    cases.map(async (k) => {
      // an unreachable Redis: a case that wrongly passed validation would still start, not hang the test
      const p = spawnShoal(t.teardown, ['proxy', '--port', '0', '--admin-port', '0', '--redis', 'redis://127.0.0.1:1', ...k.args], { env: k.env });
      const code = await p.exited();
      t.equal(code, 2, `${k.args.join(' ') || JSON.stringify(k.env)} exits 2`);
      t.match(p.stderr(), k.want);
      t.equal(p.stderr().trim().split('\n').length, 1, 'one line');
    }),
  );
});
