import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import type { Stack } from '../../cli/stack/stack-file.js';
import { connectRedis, Fleet } from '../../fleet/index.js';
import { ROOT, spawnShoal } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';

// The real Debian prometheus against a real `shoal up`, targets from the autoscaler's /sd,
// everything at a 1 s interval so the windows fill quickly.
t.setTimeout(240_000);

const OBS = join(ROOT, 'observability');
const dataDir = mkdtempSync(join(tmpdir(), 'shoal-obs-'));
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));

interface Target {
  labels: Record<string, string>;
  health: string;
}

t.test('promtool accepts the shipped config and rules', async (t) => {
  t.match(execFileSync('promtool', ['check', 'config', join(OBS, 'prometheus.yml')], { encoding: 'utf8' }), /SUCCESS/);
  t.match(execFileSync('promtool', ['check', 'rules', join(OBS, 'rules.yml')], { encoding: 'utf8' }), /SUCCESS: \d+ rules found/);
});

t.test('shoal up --prometheus: every target through /sd, every documented series, every rule, every panel; a new server is scraped', async (t) => {
  const proc = spawnShoal(
    t.teardown,
    ['up', '--port', '0', '--admin-port', '0', '--proxy-admin-port', '0', '--min', '1', '--max', '2', '--interval', '1s', '--target-rps', '3', '--scale-down-window', '10m', '--prometheus', '--prometheus-interval', '1s', '--auth', 'off', '--data-dir', dataDir],
    { detached: true },
  );
  await proc.waitForOutput(/shoal is up/, 150_000);
  const stack = JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8')) as Stack;
  t.ok(stack.prometheus, 'stack.json names Prometheus');
  t.match(proc.stdout(), `prometheus ${stack.prometheus!.url}`, 'its URL is printed');
  const prom = stack.prometheus!.url;
  t.match(execFileSync('promtool', ['check', 'config', join(dataDir, 'prometheus', 'prometheus.yml')], { encoding: 'utf8' }), /SUCCESS/, 'the generated config is valid too');

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${prom}${path}`);
    const body = (await res.json()) as { status: string; data: T };
    if (body.status !== 'success') throw new Error(`${path}: ${JSON.stringify(body)}`);
    return body.data;
  };
  const targets = async () => (await api<{ activeTargets: Target[] }>('/api/v1/targets')).activeTargets;
  const up = await waitFor(async () => {
    const ts = await targets();
    const services = new Set(ts.filter((x) => x.health === 'up').map((x) => x.labels.service));
    return services.has('app') && services.has('proxy') && services.has('autoscaler') ? ts : undefined;
  }, { timeoutMs: 30_000, what: 'an app server, the proxy and the autoscaler scraped' });
  t.equal(up.length, 3, 'one app server (--min 1), the proxy and the autoscaler');

  // Bounded load (4 at a time, ≤ 20 requests/s, until the launch) over --target-rps 3 (the proxy's health checks alone stay under it): the autoscaler scales out to --max 2.
  const redis = connectRedis(stack.redis.url);
  t.teardown(() => redis.disconnect());
  const fleet = new Fleet(redis, stack.prefix);
  const first = new Set((await fleet.registry.list()).map((s) => s.id));
  let loading = true;
  const load = (async () => {
    while (loading) {
      await Promise.all([0, 1, 2, 3].map(() => fetch(`${stack.proxy!.url}/api/v1/music?limit=2`).then((r) => r.arrayBuffer()).catch(() => undefined)));
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  t.teardown(async () => {
    loading = false;
    await load;
  });
  const launched = await waitFor(async () => (await fleet.registry.list()).find((s) => !first.has(s.id) && s.address), { timeoutMs: 90_000, what: 'a launched app server with an address' });
  loading = false;
  const seenAt = Date.now();
  await waitFor(async () => (await targets()).some((x) => x.labels.server === launched.id), { timeoutMs: 20_000, what: `${launched.id} as a target` });
  // Prometheus hands discovered targets to its scrapers at most every 5 s, on top of the 1 s SD refresh.
  t.pass(`${launched.id} became a target ${Date.now() - seenAt} ms after it registered`);
  await waitFor(async () => (await targets()).some((x) => x.labels.server === launched.id && x.health === 'up'), { timeoutMs: 30_000, what: `${launched.id} scraped` });

  t.test('every documented series is exported, and every exported shoal_ series is documented', async (t) => {
    const doc = readFileSync(join(ROOT, 'docs', 'metrics.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| `(shoal_[a-z0-9_]+)` \|/gm)].map((m) => m[1]!);
    t.ok(documented.length > 20, `${documented.length} series in docs/metrics.md`);
    const meta = await waitFor(async () => {
      const m = await api<Record<string, unknown>>('/api/v1/metadata');
      return documented.every((n) => n in m) ? m : undefined;
    }, { timeoutMs: 20_000, what: 'metadata for every documented series' }).catch(async () => api<Record<string, unknown>>('/api/v1/metadata'));
    for (const name of documented) t.ok(name in meta, `${name} is scraped`);
    const group = /^shoal_(process|nodejs)_/;
    for (const name of Object.keys(meta).filter((n) => n.startsWith('shoal_'))) t.ok(documented.includes(name) || group.test(name), `${name} is in docs/metrics.md`);
    for (const name of documented.filter((n) => !/retries|upstream_errors|ejections|terminated|held_ticks/.test(n))) {
      const series = name.endsWith('_seconds') && /duration/.test(name) ? `${name}_count` : name;
      const r = await api<{ result: unknown[] }>(`/api/v1/query?query=${encodeURIComponent(series)}`);
      t.ok(r.result.length > 0, `${series} has samples`);
    }
  });

  t.test('every recording rule and alert loads and evaluates', async (t) => {
    const file = parse(readFileSync(join(OBS, 'rules.yml'), 'utf8')) as { groups: { rules: ({ record: string } | { alert: string })[] }[] };
    const shipped = file.groups.flatMap((g) => g.rules.map((r) => ('record' in r ? r.record : r.alert)));
    const rules = await waitFor(async () => {
      const groups = (await api<{ groups: { rules: { name: string; health: string; lastError?: string }[] }[] }>('/api/v1/rules')).groups;
      const all = groups.flatMap((g) => g.rules);
      return all.length === shipped.length && all.every((r) => r.health === 'ok') ? all : undefined;
    }, { timeoutMs: 20_000, what: 'every rule evaluated' });
    t.same(rules.map((r) => r.name).sort(), [...shipped].sort());
    const recorded = await api<{ result: unknown[] }>(`/api/v1/query?query=${encodeURIComponent('service:shoal_http_requests:rate1m')}`);
    t.ok(recorded.result.length >= 2, 'a recording rule has data for the proxy and the app');
  });

  t.test('every Grafana panel query and the decisions annotation return data', async (t) => {
    const dash = JSON.parse(readFileSync(join(OBS, 'grafana', 'shoal.json'), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
      annotations: { list: { name: string; expr: string }[] };
    };
    const queries = [...dash.panels.flatMap((p) => p.targets.map((q) => ({ what: p.title, expr: q.expr }))), ...dash.annotations.list.map((a) => ({ what: `annotation ${a.name}`, expr: a.expr }))];
    t.ok(queries.length >= 12);
    for (const q of queries) {
      const data = await waitFor(async () => {
        const r = await api<{ result: unknown[] }>(`/api/v1/query?query=${encodeURIComponent(q.expr)}`);
        return r.result.length > 0 ? r : undefined;
      }, { timeoutMs: 20_000, what: `data for ${q.what}: ${q.expr}` }).catch(() => undefined);
      t.ok(data, `${q.what}: ${q.expr}`);
    }
  });

  t.test('Ctrl-C stops Prometheus with the stack', async (t) => {
    loading = false;
    await load;
    process.kill(-proc.pid, 'SIGINT');
    t.equal(await proc.exited(), 0);
    await waitFor(async () => fetch(`${prom}/-/healthy`).then(() => false, () => true), { timeoutMs: 20_000, what: 'Prometheus gone' });
  });
});
