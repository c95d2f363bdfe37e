import { ShoalError } from '../lib/errors.js';

/**
 * Wraps a command's action: a bad flag, env value or config prints one line and exits 2;
 * any other failure prints its code and message and exits 1.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      fail(err);
    }
  };
}

export function fail(err: unknown): never {
  if (err instanceof ShoalError && err.code === 'SHOAL_ERR_CONFIG') {
    process.stderr.write(`shoal: ${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof ShoalError) {
    process.stderr.write(`shoal: ${err.message} [${err.code}]\n`);
    process.exit(err.status === 400 ? 2 : 1);
  }
  process.stderr.write(`shoal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
