import t from 'tap';
import type { Server } from '../../fleet/index.js';
import { DEFAULT_HEALTH, DEFAULT_LIMITS, defaultProxyConfig, type ProxyConfig } from '../../proxy/config.js';
import { checkArgs, errorPage, globalMaxconn, renderConfig, serverArgs } from '../../proxy/haproxy/config.js';
import { withParentDeathSignal } from '../../proxy/haproxy/process.js';
import { diffPool, newPoolMemory, parseServersState, serverName, twinName, twinOf, wantedPool, type HaServer, type Wanted } from '../../proxy/haproxy/pool-diff.js';
import { mergeTwins, parseStat, readyAndPassing, RunningTotal, type ServerStat } from '../../proxy/haproxy/stats.js';

const cfg = (over: Partial<ProxyConfig> = {}): ProxyConfig => defaultProxyConfig({ dataPlane: 'haproxy', ...over });
const paths = { socket: '/run/s.sock', errors: '/run/e' };

t.test('config: the same flags as the Node proxy, in HAProxy words', async (t) => {
  const c = renderConfig(cfg(), paths);
  const has = (line: string, why: string) => t.ok(c.split('\n').some((l) => l.trim() === line), `${why}: ${line}`);
  has('stats socket /run/s.sock mode 600 level admin', 'the runtime API, owner only');
  has('bind 127.0.0.1:8080', 'the listener');
  has('timeout connect 2000ms', '--connect-timeout');
  has('timeout http-request 10000ms', '--header-timeout (slowloris)');
  has('timeout server 30000ms', '--response-timeout');
  has('errorfile 503 /run/e/503.http', 'the 503 page');
  has('balance leastconn', 'p2c balances on least outstanding requests');
  has('option httpchk GET /readyz', 'active checks on /readyz');
  has('option allbackups', 'fail open: every twin at once, not just the first');
  has('retries 2', '--max-attempts 3 is two retries');
  has('retry-on conn-failure empty-response response-timeout', 'retry what never reached a server or broke');
  has('http-request disable-l7-retry unless { method GET HEAD PUT DELETE OPTIONS TRACE } || { req.hdr(idempotency-key) -m found }', 'but a broken POST only with a key');
  has('http-request set-header x-request-id %[uuid()] unless { req.fhdr_cnt(x-request-id) eq 1 } { req.fhdr(x-request-id) -m reg ^[-A-Za-z0-9_.:@/+=]{1,128}$ }', 'a new request id only where the client sent no single sane one');
  t.notMatch(c, /unique-id-format/, 'no id built for every request');
  t.match(c, /http-request return status 404 .*SHOAL_ERR_ROUTE_NOT_FOUND.* if \{ path,url_dec -m reg -i \^\/\(metrics\|healthz\|readyz\)\/\*\$ \}/, 'internal paths answer 404');
  t.notMatch(c, /^\s*server /m, 'the backend starts empty: servers come over the runtime API');
  t.notMatch(c, /ssl crt/, 'no TLS unless asked');

  const noSent = renderConfig(cfg({ limits: { ...DEFAULT_LIMITS, retrySent: false } }), paths);
  t.match(noSent, /\n {2}retry-on conn-failure\n/, '--retry-sent off: connection failures only, no L7 retries');
  t.notMatch(noSent, /disable-l7-retry|empty-response/, 'and no L7 retry rules');
  t.match(noSent, /retries 2\n {2}option redispatch 1/, 'the connection retries stay');

  const rr = renderConfig(cfg({ balancer: 'round-robin', exposeInternal: true }), paths);
  t.match(rr, /balance roundrobin/);
  t.notMatch(rr, /return status 404/, '--expose-internal forwards the internal paths');

  const tls = renderConfig(cfg({ tls: { certFile: 'c', keyFile: 'k' }, redirectHttpPort: 8081, compatPort: 8082 }), { ...paths, pem: '/run/tls.pem' });
  t.match(tls, /bind 127\.0\.0\.1:8080 ssl crt \/run\/tls\.pem/);
  t.match(tls, /set-header x-forwarded-proto https/);
  t.match(tls, /frontend shoal_redirect\n {2}bind 127\.0\.0\.1:8081\n.*code 301 if METH_GET or METH_HEAD\n.*code 308/);
  t.match(tls, /frontend shoal_compat\n {2}bind 127\.0\.0\.1:8082 ssl crt[^]*set-header x-shoal-compat 1/i);
});

t.test('config: maxconn fits the open-file limit', async (t) => {
  t.equal(globalMaxconn(16_384, undefined), 16_384);
  t.equal(globalMaxconn(16_384, 1_000_000), 16_384);
  t.equal(globalMaxconn(16_384, 20_000), 9872, 'two descriptors per connection, a margin for the rest');
});

t.test('config: server arguments carry the idle pool; checked ones add checks and ejection, unless checks are off', async (t) => {
  t.equal(serverArgs(cfg()), 'maxconn 128 maxqueue 256 pool-max-conn 128 pool-purge-delay 5000ms');
  t.equal(checkArgs(cfg()), 'check inter 2000 rise 2 fall 2 observe layer7 error-limit 5 on-error mark-down');
  t.equal(checkArgs(cfg({ health: { ...DEFAULT_HEALTH, intervalMs: 0 } })), '');
});

t.test('error pages: raw HTTP with the JSON error; 503 says when to come back', async (t) => {
  const p = errorPage(503);
  const [head, body] = p.split('\r\n\r\n');
  t.match(head, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
  t.match(head, /\r\nretry-after: 1/);
  t.match(head, new RegExp(`content-length: ${Buffer.byteLength(body!)}`));
  t.same(JSON.parse(body!), { error: { code: 'SHOAL_ERR_NO_UPSTREAM', message: 'no app server is ready to take this request' } });
  t.notMatch(errorPage(502), /retry-after/);
});

const srv = (id: string, state: Server['state'], address = `10.0.0.1:${id.length}000`): Server => ({ id, address, state }) as Server;
const opts = { slowStartMs: 10_000, missingGraceMs: 10_000 };

t.test('wanted pool: the registry, with grace for the vanished and a slow start for newcomers', async (t) => {
  const mem = newPoolMemory();
  const first = wantedPool([srv('a', 'ready'), srv('b', 'launching'), srv('c', 'draining')], mem, 0, opts);
  t.same(first.map((w) => [w.id, w.state, w.weight]), [['a', 'ready', 100]], 'servers there at start skip the ramp; a draining one never seen gets nothing');
  const joined = wantedPool([srv('a', 'ready'), srv('b', 'ready')], mem, 1000, opts);
  t.same(joined.map((w) => [w.id, w.weight]), [['a', 100], ['b', 10]], 'a newcomer starts at 10 %');
  t.same(wantedPool([srv('a', 'ready'), srv('b', 'ready')], mem, 6000, opts).map((w) => w.weight), [100, 55], 'and ramps linearly');
  t.same(wantedPool([srv('b', 'draining')], mem, 7000, opts).map((w) => [w.id, w.state]), [['a', 'ready'], ['b', 'draining']], 'a ready server missing from Redis stays for the grace');
  t.same(wantedPool([srv('b', 'draining')], mem, 17_001, opts).map((w) => w.id), ['b'], 'and goes after it');
  t.same(wantedPool([], mem, 17_002, opts), [], 'a draining server that vanished is done');
  t.same(wantedPool([srv('x', 'gone'), { ...srv('y', 'ready'), address: '' }], mem, 18_000, opts), [], 'gone and address-less servers are not wanted');
  t.equal(serverName('i-0abc/1 2'), 'i-0abc_1_2', 'fleet ids become HAProxy names');
  t.equal(serverName('b1:open'), 'b1_open', 'a colon too: only twin names carry one');
  t.equal(twinName('b1'), 'b1:open');
  t.equal(twinOf('b1:open'), 'b1', 'a twin knows its server');
  t.equal(twinOf(serverName('b1:open')), undefined, 'and no fleet server is taken for a twin');
});

t.test('diff: the commands that take HAProxy from what it has to what is wanted', async (t) => {
  const w = (name: string, state: Wanted['state'], weight = 100, address = '127.0.0.1:9001'): Wanted => ({ id: name, name, address, state, weight });
  const h = (name: string, admin: HaServer['admin'], weight = 100, address = '127.0.0.1:9001'): HaServer => ({ name, address, admin, weight });
  // with checks off there are no twins: the diff of one server alone
  const o = { serverArgs: 'maxconn 1', checkArgs: '' };
  const cases: { name: string; wanted: Wanted[]; actual: HaServer[]; want: string[] }[] = [
    { name: 'in step: nothing', wanted: [w('a', 'ready')], actual: [h('a', 'ready')], want: [] },
    {
      name: 'join: add (born in maintenance), then traffic',
      wanted: [w('a', 'ready', 10)],
      actual: [],
      want: ['add server shoal_app/a 127.0.0.1:9001 maxconn 1 weight 10', 'enable server shoal_app/a'],
    },
    { name: 'drain', wanted: [w('a', 'draining')], actual: [h('a', 'ready')], want: ['set server shoal_app/a state drain'] },
    { name: 'already draining', wanted: [w('a', 'draining')], actual: [h('a', 'drain')], want: [] },
    { name: 'draining and unknown: nothing to add', wanted: [w('a', 'draining')], actual: [], want: [] },
    { name: 'undrained', wanted: [w('a', 'ready')], actual: [h('a', 'drain')], want: ['set server shoal_app/a state ready'] },
    { name: 'slow start weight', wanted: [w('a', 'ready', 55)], actual: [h('a', 'ready', 10)], want: ['set server shoal_app/a weight 55'] },
    { name: 'leave: maintenance, then delete (retried while connections remain)', wanted: [], actual: [h('a', 'ready')], want: ['set server shoal_app/a state maint', 'del server shoal_app/a'] },
    { name: 'leaving, already in maintenance', wanted: [], actual: [h('a', 'maint')], want: ['del server shoal_app/a'] },
    { name: 'moved', wanted: [w('a', 'ready', 100, '[::1]:9002')], actual: [h('a', 'ready')], want: ['set server shoal_app/a addr ::1 port 9002'] },
  ];
  for (const k of cases) t.same(diffPool(k.wanted, k.actual, o).map((s) => s.command), k.want, k.name);
  t.same(diffPool([], [h('a', 'maint')], o)[0], { command: 'del server shoal_app/a', retryLater: true }, 'only a delete may fail and wait for the next pass');
});

t.test('diff with checks: each server has its fail-open twin, which follows it everywhere', async (t) => {
  const w = (name: string, state: Wanted['state'], weight = 100, address = '127.0.0.1:9001'): Wanted => ({ id: name, name, address, state, weight });
  const h = (name: string, admin: HaServer['admin'], weight = 100, address = '127.0.0.1:9001'): HaServer => ({ name, address, admin, weight });
  const o = { serverArgs: 'maxconn 1', checkArgs: 'check inter 100' };
  const both = (admin: HaServer['admin'], weight = 100, address?: string) => [h('a', admin, weight, address), h('a:open', admin, weight, address)];
  const cases: { name: string; wanted: Wanted[]; actual: HaServer[]; want: string[] }[] = [
    { name: 'in step: nothing', wanted: [w('a', 'ready')], actual: both('ready'), want: [] },
    {
      name: 'join: the server, checks first, then traffic; its twin unchecked, a backup',
      wanted: [w('a', 'ready', 10)],
      actual: [],
      want: [
        'add server shoal_app/a 127.0.0.1:9001 maxconn 1 check inter 100 weight 10',
        'enable health shoal_app/a',
        'enable server shoal_app/a',
        'add server shoal_app/a:open 127.0.0.1:9001 maxconn 1 backup weight 10',
        'enable server shoal_app/a:open',
      ],
    },
    {
      name: 'a server from before twins (or an attached HAProxy) gets its twin',
      wanted: [w('a', 'ready')],
      actual: [h('a', 'ready')],
      want: ['add server shoal_app/a:open 127.0.0.1:9001 maxconn 1 backup weight 100', 'enable server shoal_app/a:open'],
    },
    { name: 'drain: both, in the same pass (the drain acknowledgement covers the twin)', wanted: [w('a', 'draining')], actual: both('ready'), want: ['set server shoal_app/a state drain', 'set server shoal_app/a:open state drain'] },
    { name: 'undrained: both', wanted: [w('a', 'ready')], actual: both('drain'), want: ['set server shoal_app/a state ready', 'set server shoal_app/a:open state ready'] },
    { name: 'slow start weight: both', wanted: [w('a', 'ready', 55)], actual: both('ready', 10), want: ['set server shoal_app/a weight 55', 'set server shoal_app/a:open weight 55'] },
    {
      name: 'moved: both',
      wanted: [w('a', 'ready', 100, '[::1]:9002')],
      actual: both('ready'),
      want: ['set server shoal_app/a addr ::1 port 9002', 'set server shoal_app/a:open addr ::1 port 9002'],
    },
    {
      name: 'leave: both to maintenance and deleted',
      wanted: [],
      actual: both('ready'),
      want: ['set server shoal_app/a state maint', 'del server shoal_app/a', 'set server shoal_app/a:open state maint', 'del server shoal_app/a:open'],
    },
    { name: 'a twin left behind (its server deleted) goes too', wanted: [], actual: [h('a:open', 'maint')], want: ['del server shoal_app/a:open'] },
  ];
  for (const k of cases) t.same(diffPool(k.wanted, k.actual, o).map((s) => s.command), k.want, k.name);
  t.same(
    diffPool([], both('maint'), o).map((s) => s.retryLater),
    [true, true],
    'deleting the server or its twin may wait for the next pass',
  );
});

t.test('show servers state → servers, admin state from the flag bits', async (t) => {
  const text = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 shoal_app 1 b1 127.0.0.1 2 0 100 100 0 1 0 0 2 0 0 0 - 9001 - 0 0 - - 0
3 shoal_app 2 b2 127.0.0.1 2 8 37 100 0 1 0 0 2 0 0 0 - 9002 - 0 0 - - 0
3 shoal_app 3 b3 ::1 0 1 100 100 0 1 0 0 2 0 0 0 - 9003 - 0 0 - - 0

`;
  t.same(parseServersState(text), [
    { name: 'b1', address: '127.0.0.1:9001', admin: 'ready', weight: 100 },
    { name: 'b2', address: '127.0.0.1:9002', admin: 'drain', weight: 37 },
    { name: 'b3', address: '[::1]:9003', admin: 'maint', weight: 100 },
  ]);
  t.same(parseServersState('No such backend.\n'), []);
});

t.test('show stat → offered per frontend, per server in flight and answers', async (t) => {
  const csv = `# pxname,svname,qcur,qmax,scur,smax,status,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,req_tot
shoal,FRONTEND,,,3,9,OPEN,0,100,0,5,2,0,107
shoal_compat,FRONTEND,,,0,1,OPEN,0,4,0,0,0,0,4
stats,FRONTEND,,,0,1,OPEN,0,0,0,0,0,0,99
shoal_app,b1,0,0,2,5,UP,0,60,0,1,0,0,
shoal_app,b2,1,1,1,5,DRAIN,0,40,0,0,1,0,
shoal_app,BACKEND,0,0,3,9,UP,0,100,0,1,1,0,
`;
  const s = parseStat(csv);
  t.same([...s.offered], [['shoal', 107], ['shoal_compat', 4]], 'only shoal listeners count');
  t.same(s.servers, [
    { name: 'b1', inflight: 2, queued: 0, status: 'UP', answered: 61 },
    { name: 'b2', inflight: 1, queued: 1, status: 'DRAIN', answered: 41 },
  ]);
});

t.test('fail open from show stat: HAProxy uses the twins when no checked server is up and some twin may take requests', async (t) => {
  const row = (name: string, status: string): ServerStat => ({ name, status, inflight: 0, queued: 0, answered: 0 });
  const cases: { name: string; rows: ServerStat[]; want: { ready: number; passing: number }; open: boolean }[] = [
    { name: 'no servers', rows: [], want: { ready: 0, passing: 0 }, open: false },
    { name: 'all up', rows: [row('a', 'UP'), row('a:open', 'no check'), row('b', 'UP'), row('b:open', 'no check')], want: { ready: 2, passing: 2 }, open: false },
    { name: 'one down, one up', rows: [row('a', 'DOWN'), row('a:open', 'no check'), row('b', 'UP'), row('b:open', 'no check')], want: { ready: 2, passing: 1 }, open: false },
    { name: 'one going down still takes requests', rows: [row('a', 'DOWN'), row('a:open', 'no check'), row('b', 'UP 1/2'), row('b:open', 'no check')], want: { ready: 2, passing: 1 }, open: false },
    { name: 'every ready server down', rows: [row('a', 'DOWN'), row('a:open', 'no check'), row('b', 'DOWN 1/2'), row('b:open', 'no check')], want: { ready: 2, passing: 0 }, open: true },
    { name: 'down and drained: the ready one alone fails open', rows: [row('a', 'DOWN'), row('a:open', 'DRAIN'), row('b', 'DOWN'), row('b:open', 'no check')], want: { ready: 1, passing: 0 }, open: true },
    { name: 'up but drained: not passing', rows: [row('a', 'DRAIN'), row('a:open', 'DRAIN'), row('b', 'DOWN'), row('b:open', 'no check')], want: { ready: 1, passing: 0 }, open: true },
    { name: 'only drained and leaving servers: a 503, not fail open', rows: [row('a', 'DOWN'), row('a:open', 'DRAIN'), row('b', 'MAINT'), row('b:open', 'MAINT')], want: { ready: 0, passing: 0 }, open: false },
    { name: 'checks off: no twins, nothing to fail open to', rows: [row('a', 'no check')], want: { ready: 0, passing: 1 }, open: false },
  ];
  for (const k of cases) {
    const got = readyAndPassing(k.rows);
    t.same(got, k.want, k.name);
    t.equal(got.ready > 0 && got.passing === 0, k.open, `${k.name}: ${k.open ? '' : 'not '}failing open`);
  }
});

t.test('members: a twin\'s figures added to its server\'s, whose status stands for both', async (t) => {
  const row = (name: string, status: string, inflight: number, queued = 0, answered = 0): ServerStat => ({ name, status, inflight, queued, answered });
  t.same(mergeTwins([row('a', 'DOWN', 1, 0, 10), row('a:open', 'no check', 2, 1, 5), row('b', 'UP', 3)]), [row('a', 'DOWN', 3, 1, 15), row('b', 'UP', 3)]);
  t.same(mergeTwins([row('a:open', 'no check', 2), row('a', 'UP', 1)]), [row('a', 'UP', 3)], 'whichever comes first');
  t.same(mergeTwins([row('a:open', 'MAINT', 2)]), [row('a', 'MAINT', 2)], 'a twin whose server is deleted stands alone');
});

t.test('running total: never goes back when HAProxy restarts or a server is deleted', async (t) => {
  const r = new RunningTotal();
  const steps: [Record<string, number>, number, string][] = [
    [{ a: 10, b: 5 }, 15, 'first look counts everything'],
    [{ a: 12, b: 9 }, 21, 'increases add up'],
    [{ a: 13 }, 22, 'a deleted server keeps what it added'],
    [{ a: 2, b: 3 }, 27, 'a counter that started over (restart, re-added server) counts from zero'],
  ];
  for (const [now, want, why] of steps) t.equal(r.observe(new Map(Object.entries(now))), want, why);
});

t.test('child: HAProxy runs under setpriv --pdeathsig KILL where there is one, as it is elsewhere', async (t) => {
  const cmd = ['/usr/sbin/haproxy', '-f', 'h.cfg', '-db'];
  t.same(withParentDeathSignal(cmd, '/usr/bin/setpriv'), ['/usr/bin/setpriv', '--pdeathsig', 'KILL', '--', ...cmd]);
  t.same(withParentDeathSignal(cmd, undefined), cmd);
});
