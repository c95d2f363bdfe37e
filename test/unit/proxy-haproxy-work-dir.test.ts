import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import t from 'tap';
import { makeWorkDir, sweepStaleWorkDirs } from '../../proxy/haproxy/work-dir.js';

// A SIGKILLed proxy never removes HAProxy's directory (which holds a copy of the TLS key):
// the next proxy on the machine removes it, and nothing that belongs to a live proxy.
t.test('a proxy sweeps the work directories of proxies that are gone, and only those', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'shoal-sweep-test-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  // a pid that surely ran and exited: a child we waited for
  const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
  const dead = join(root, `shoal-haproxy-${deadPid}-abc123`);
  mkdirSync(dead);
  const mine = makeWorkDir(root);
  const other = join(root, 'shoal-haproxy-notapid');
  mkdirSync(other);

  t.match(basename(mine), new RegExp(`^shoal-haproxy-${process.pid}-`), "a work directory is named for its proxy's pid");
  t.same(sweepStaleWorkDirs(root), [dead], 'only the dead proxy\'s directory is removed');
  t.notOk(existsSync(dead), 'it is gone');
  t.ok(existsSync(mine), 'a live proxy keeps its own');
  t.ok(existsSync(other), 'a directory not named for a pid is left alone');
});
