import t from 'tap';
import { isInternalPath } from '../../proxy/internal-paths.js';

t.test("the app servers' own endpoints, in every spelling the app routes the same", async (t) => {
  for (const p of ['/metrics', '/healthz', '/readyz', '/metrics?x=1', '/HEALTHZ', '/readyz/', '/%6detrics', '/Metrics/?a']) {
    t.ok(isInternalPath(p), p);
  }
  for (const p of ['/', '/api/v1/music', '/metricsx', '/api/metrics', '/healthz/x', '/%E0%A4%A', '/x?/metrics']) {
    t.notOk(isInternalPath(p), p);
  }
});
