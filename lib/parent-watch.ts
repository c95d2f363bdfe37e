/**
 * Calls `onGone` once when process `pid` no longer exists. Polls because Linux offers no
 * parent-death signal to Node; the timer is unref'd so it never keeps a process alive.
 */
export function watchParent(pid: number, onGone: () => void, intervalMs = 500): () => void {
  const timer = setInterval(() => {
    if (alive(pid)) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
