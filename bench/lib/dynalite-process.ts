import { spawnNode, type BenchChild } from './child-process.js';

// dynalite in its own process, so the app server under test has its CPU to itself.
const SCRIPT = `
const dynalite = require('dynalite');
const s = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
s.listen(0, '127.0.0.1', () => console.log('dynalite listening on ' + s.address().port));
`;

export async function startDynaliteProcess(): Promise<BenchChild & { endpoint: string }> {
  const c = spawnNode(['-e', SCRIPT]);
  const m = await c.waitForLine(/dynalite listening on (\d+)/);
  return { ...c, endpoint: `http://127.0.0.1:${m[1]}` };
}
