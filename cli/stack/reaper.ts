#!/usr/bin/env node
// Started by `shoal up` in its own process group. If the supervisor dies without
// stopping its children (SIGKILL, OOM), the reaper stops them: every child pid
// recorded in stack.json, newest tier first, and the app servers (detached, found by their
// pid files), then removes the file.
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { LocalState, localStateDir } from '../../autoscaler/providers/local-state.js';
import { watchParent } from '../../lib/parent-watch.js';
import { pidAlive as alive, signalGroup as signal } from '../../lib/process.js';

const [supervisorPid, stackFile] = [Number(process.argv[2]), process.argv[3]!];

function pids(): number[] {
  try {
    const s = JSON.parse(readFileSync(stackFile, 'utf8')) as Record<string, { pid?: number } | undefined>;
    return ['prometheus', 'autoscaler', 'proxy', 'ec2', 'dynamodb', 'redis'].map((k) => s[k]?.pid).filter((p): p is number => !!p);
  } catch {
    return [];
  }
}

function prefix(): string {
  try {
    return (JSON.parse(readFileSync(stackFile, 'utf8')) as { prefix?: string }).prefix ?? 'shoal:';
  } catch {
    return 'shoal:';
  }
}

watchParent(supervisorPid, () => {
  const targets = pids();
  const apps = new LocalState(localStateDir(dirname(stackFile), prefix()));
  for (const p of targets) signal(p, 'SIGTERM');
  const deadline = Date.now() + 5000;
  const timer = setInterval(() => {
    const left = targets.filter(alive);
    if (left.length > 0 && Date.now() <= deadline) return;
    for (const p of left) signal(p, 'SIGKILL');
    clearInterval(timer);
    // the autoscaler is gone first, so it cannot replace the app servers being stopped
    void apps.stopAll(5000).finally(() => {
      rmSync(stackFile, { force: true });
      process.exit(0);
    });
  }, 100);
});
// keep the process alive while watching
setInterval(() => {}, 1 << 30);
