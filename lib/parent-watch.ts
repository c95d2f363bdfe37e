import { pidAlive } from './process.js';

/**
 * Calls `onGone` once when process `pid` no longer exists. Polls because Linux offers no
 * parent-death signal to Node; the timer is unref'd so it never keeps a process alive.
 */
export function watchParent(pid: number, onGone: () => void, intervalMs = 500): () => void {
  const timer = setInterval(() => {
    if (pidAlive(pid)) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
