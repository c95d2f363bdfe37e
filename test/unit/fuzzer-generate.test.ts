import t from 'tap';
import { generate } from '../../fuzzer/generate.js';
import { INVALID_KINDS, VALID_KINDS } from '../../fuzzer/kinds.js';
import { Prng } from '../../fuzzer/prng.js';
import { parseTestsFile } from '../../fuzzer/tests-file.js';
import { parseParts, serializeTestsFile, TestsFileSchema } from '../../fuzzer/templates.js';
import { ConfigError } from '../../lib/errors.js';

const target = 'http://127.0.0.1:8080';

t.test('the same seed gives a byte-identical file; another seed does not', async (t) => {
  const a = serializeTestsFile(generate({ target, seed: 42 }));
  const b = serializeTestsFile(generate({ target, seed: 42 }));
  t.equal(a, b);
  t.not(serializeTestsFile(generate({ target, seed: 43 })), a);
  t.equal(generate({ target, seed: 42, count: 7 }).templates.length, 7);
  t.equal(generate({ target, seed: 42, count: 200 }).templates.length, 200);
});

t.test('the file is version 1, validates against its schema and reads back unchanged', async (t) => {
  const file = generate({ target, seed: 5 });
  t.equal(file.version, 1);
  t.equal(file.target, target);
  t.equal(file.seed, 5);
  t.ok(TestsFileSchema.safeParse(file).success);
  const back = parseTestsFile(serializeTestsFile(file));
  t.same(back.file, file);
  t.same(back.hints, {});
});

t.test('a default-sized file holds every kind exactly once first, both classes and several chains', async (t) => {
  const file = generate({ target, seed: 9 });
  const kinds = [...VALID_KINDS, ...INVALID_KINDS].map((kind) => kind(new Prng(1)).name);
  t.equal(new Set(kinds).size, kinds.length, 'every kind has a name of its own');
  const first = file.templates.slice(0, kinds.length).map((x) => x.name);
  t.same(first, kinds, 'the first templates are every kind, each exactly once, in order');
  for (const cls of ['valid', 'invalid']) t.ok(file.templates.some((x) => x.class === cls), cls);
  t.ok(file.templates.some((x) => x.body?.includes('{{pad:')), 'an oversized body');
  t.ok(file.templates.some((x) => x.headers['content-encoding']), 'an odd encoding');
  t.ok(file.templates.some((x) => x.headers['content-type'] === 'text/plain'), 'a wrong content type');
  t.ok(file.chains.length >= 3);
  const ids = new Set([...file.templates.map((x) => x.id), ...file.chains.map((c) => c.id)]);
  t.equal(ids.size, file.templates.length + file.chains.length, 'ids are unique');
});

t.test('a valid DELETE only targets an id its own chain created in an earlier step', async (t) => {
  for (const seed of [1, 2, 3]) {
    const file = generate({ target, seed, count: 120 });
    t.notOk(file.templates.some((x) => x.method === 'DELETE' && x.class === 'valid'), 'no standalone valid DELETE');
    for (const chain of file.chains) {
      const saved = new Set<string>();
      for (const step of chain.steps) {
        const vars = parseParts(step.path).filter((p) => p.kind === 'chain');
        for (const v of vars) t.ok(v.kind === 'chain' && saved.has(v.name), `${chain.name}: ${step.name} uses a saved variable`);
        if (step.method === 'DELETE' && step.class === 'valid') {
          t.ok(vars.length > 0, `${chain.name}: ${step.name} deletes a chain id`);
          t.notOk(parseParts(step.path).some((p) => p.kind === 'pool'), `${chain.name}: ${step.name} never deletes a shared id`);
        }
        for (const name of Object.keys(step.save)) saved.add(name);
      }
    }
  }
});

t.test('bad files are config errors that say what is wrong', async (t) => {
  t.throws(() => parseTestsFile('{'), ConfigError);
  t.throws(() => parseTestsFile(JSON.stringify({ version: 2, target, seed: 1, templates: [] })), /version 2/);
  t.throws(() => parseTestsFile(JSON.stringify({ version: 1, target: 'nope', seed: 1, templates: [{ id: 'a', method: 'GET', path: '/' }] })), /target/);
  t.throws(
    () => parseTestsFile(JSON.stringify({ version: 1, target, seed: 1, templates: [{ id: 'a', method: 'GET', path: '/x/{{nope}}' }] })),
    /unknown placeholder \{\{nope\}\}/,
  );
  t.throws(() => parseTestsFile(JSON.stringify({ version: 1, target, seed: 1, templates: [] })), /no templates/);
  const minimal = parseTestsFile(JSON.stringify({ version: 1, target, seed: 1, templates: [{ id: 'a', method: 'GET', path: '/' }] }));
  t.match(minimal.file.templates[0], { class: 'valid', weight: 1, headers: {}, body: null });
});
