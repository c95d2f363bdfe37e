import t from 'tap';
import { parseTestsFile } from '../../fuzzer/tests-file.js';

t.test("the seed's array format becomes GET templates, each entry keeping its own limits", async (t) => {
  const { file, hints } = parseTestsFile(
    JSON.stringify([
      { url: 'http://127.0.0.1:8080/api/v1/music', maxRequests: 300, concurrency: 4, requestsPerSecond: 30 },
      { url: 'http://127.0.0.1:8080/api/v1/music?limit=5', maxRequests: 100, concurrency: 8, requestsPerSecond: 10, maxSeconds: 2.5 },
    ]),
  );
  t.equal(file.version, 1);
  t.equal(file.target, 'http://127.0.0.1:8080');
  t.same(
    file.templates.map((x) => [x.method, x.path, x.weight, x.class]),
    [
      ['GET', '/api/v1/music', 30, 'valid'],
      ['GET', '/api/v1/music?limit=5', 10, 'valid'],
    ],
  );
  t.same(hints, {
    entries: [
      { templateId: 'legacy1', rate: 30, connections: 4, maxRequests: 300 },
      { templateId: 'legacy2', rate: 10, connections: 8, maxRequests: 100, durationMs: 2500 },
    ],
    // for a run that mixes the entries under one --rate
    connections: 8,
    maxRequests: 400,
  });
});

t.test('entries without rates still load; mixed targets and junk are refused', async (t) => {
  const { hints } = parseTestsFile(JSON.stringify([{ url: 'http://localhost:3000/' }]));
  t.same(hints, { entries: [{ templateId: 'legacy1' }] }, 'no limits: loadtest defaults apply (one client, as fast as it goes)');
  t.throws(() => parseTestsFile(JSON.stringify([{ url: 'http://a:1/' }, { url: 'http://b:2/' }])), /split the file per target/);
  t.throws(() => parseTestsFile(JSON.stringify([{ nope: 1 }])), /legacy array format/);
  t.throws(() => parseTestsFile('[]'), /legacy array format/);
});
