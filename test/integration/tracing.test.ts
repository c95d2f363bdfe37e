import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Stack } from '../../cli/stack/stack-file.js';
import type { TraceView } from '../../lib/tracing/merge.js';
import { launchChromium } from '../helpers/browser.js';
import { testDynalite } from '../helpers/dynalite.js';
import { ROOT, spawnShoal } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';

// A real shoal up over a dynalite this test owns, so it can take DynamoDB away.
t.setTimeout(240_000);

const dataDir = mkdtempSync(join(tmpdir(), 'shoal-trace-'));
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));

const traceparent = () => {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, header: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
};

t.test('one trace from the proxy through the app to DynamoDB; a DynamoDB outage is shown where it began', async (t) => {
  const db = await testDynalite(t.teardown);
  const proc = spawnShoal(t.teardown, ['up', '--port', '0', '--admin-port', '0', '--proxy-admin-port', '0', '--min', '1', '--max', '1', '--interval', '1s', '--auth', 'off', '--no-seed', '--dynamodb', db.endpoint, '--data-dir', dataDir], { detached: true });
  await proc.waitForOutput(/shoal is up/, 150_000);
  const stack = JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8')) as Stack;
  const traces = async () => ((await (await fetch(`${stack.autoscaler!.adminUrl}/traces.json`)).json()) as { traces: TraceView[] }).traces;

  const ok = traceparent();
  const res = await fetch(`${stack.proxy!.url}/api/v1/music?limit=2`, { headers: { traceparent: ok.header } });
  t.equal(res.status, 200);
  const trace = await waitFor(async () => {
    const found = (await traces()).find((x) => x.traceId === ok.traceId);
    return found && found.spans.some((s) => s.service === 'app') && found.spans.some((s) => s.service === 'proxy') ? found : undefined;
  }, { timeoutMs: 20_000, what: 'the trace with proxy and app spans' });
  const proxySpan = trace.spans.find((s) => s.service === 'proxy')!;
  const appSpan = trace.spans.find((s) => s.service === 'app' && s.name.startsWith('GET'))!;
  const dbSpan = trace.spans.find((s) => s.name.startsWith('DynamoDB'));
  t.equal(appSpan.parentSpanId, proxySpan.spanId, "the app's span is the child of the proxy's");
  t.equal(appSpan.name, 'GET /api/v1/music', 'named for the route template');
  t.equal(dbSpan?.parentSpanId, appSpan.spanId, 'the DynamoDB call is the child of the route');
  t.notOk(trace.error);

  await db.close();
  // Until the proxy's health checks see /readyz fail, requests still reach the app: one of them is the trace we want.
  const failed = await waitFor(async () => {
    const tp = traceparent();
    const r = await fetch(`${stack.proxy!.url}/api/v1/music?limit=2`, { headers: { traceparent: tp.header } });
    const body = (await r.json()) as { error?: { code: string } };
    return r.status === 503 && body.error?.code === 'SHOAL_ERR_DB_UNAVAILABLE' ? tp : undefined;
  }, { timeoutMs: 30_000, intervalMs: 100, what: "a 503 from the app while DynamoDB is down" });

  const browser = await launchChromium(t.teardown);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${stack.autoscaler!.adminUrl}/traces`);
  const origin = page.locator(`section[data-trace-id="${failed.traceId}"] .row[data-origin="true"]`);
  await origin.waitFor({ timeout: 20_000 });
  t.match(await origin.getAttribute('data-name'), /^DynamoDB /, 'the error began at the DynamoDB call');
  t.equal(await origin.getAttribute('data-service'), 'app');
  t.equal(await page.locator(`section[data-trace-id="${failed.traceId}"] .row[data-service="proxy"][data-error="true"]`).count(), 1, "the proxy's span failed too, but is not the origin");
  mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'test-artifacts', 'traces.png'), fullPage: true });
  await browser.close();

  process.kill(-proc.pid, 'SIGINT');
  t.equal(await proc.exited(), 0);
});
