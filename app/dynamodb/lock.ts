import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { ShoalError } from '../../lib/errors.js';
import { pidAlive } from '../../lib/process.js';

/** Pids holding a lock in this process, so a second dynalite in-process is refused too. */
const held = new Set<string>();

/**
 * Takes `<file>` holding our pid, or throws SHOAL_ERR_DATA_DIR_LOCKED naming the holder.
 * A lock left by a dead process is taken over. Returns the release function.
 */
export function acquirePidLock(file: string, what: string): () => void {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      if (held.has(file)) throw Object.assign(new Error('held in-process'), { code: 'EEXIST' });
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      held.add(file);
      return () => {
        held.delete(file);
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(file, 'utf8').trim());
    } catch {
      continue; // released between our write and read: try again
    }
    if (held.has(file) || (Number.isInteger(holder) && holder > 0 && pidAlive(holder))) {
      throw new ShoalError(
        'SHOAL_ERR_DATA_DIR_LOCKED',
        `${what} is already in use by process ${held.has(file) ? process.pid : holder} (lock ${file}); stop it, point this process at its endpoint with --dynamodb URL, or use another --data-dir`,
        400,
      );
    }
    // Stale: the holder died without cleaning up. Remove and race for it once more.
    rmSync(file, { force: true });
  }
  throw new ShoalError('SHOAL_ERR_DATA_DIR_LOCKED', `could not take the lock ${file}`, 400);
}
