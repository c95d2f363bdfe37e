import { connectRedis, Fleet } from '../../fleet/index.js';
import { readSnapshot } from '../../fleet/snapshot.js';
import { statusView, type StatusView } from '../../fleet/status-view.js';
import { ShoalError } from '../../lib/errors.js';
import { redact } from '../../lib/redact.js';
import type { FleetTarget } from '../stack/locate.js';

/**
 * Connect and command deadline of `shoal status`: an operator asking gets "Redis
 * unreachable" within about a second, whether Redis is down, frozen or behind a dead link.
 */
export const STATUS_DEADLINE_MS = 1000;

export interface StatusSource {
  /** One status view; SHOAL_ERR_REDIS_UNREACHABLE when Redis does not answer in time. */
  read(): Promise<StatusView>;
  close(): void;
}

export function statusSource(target: FleetTarget, deadlineMs = STATUS_DEADLINE_MS): StatusSource {
  const fleet = openFleet(target, 'shoal-status', deadlineMs);
  return {
    read: () => readSnapshot(fleet, { decisions: 5 }).then(statusView, unreachable(target)),
    close: () => fleet.redis.disconnect(),
  };
}

/** An operator command's fleet: a Redis that does not answer fails it within `deadlineMs`. */
export function openFleet(target: FleetTarget, name: string, deadlineMs = STATUS_DEADLINE_MS): Fleet {
  return new Fleet(connectRedis(target.redisUrl, { name, connectTimeoutMs: deadlineMs, commandTimeoutMs: deadlineMs }), target.prefix);
}

/** Turns a Redis failure into the one line an operator reads (password redacted); other errors pass. */
export function unreachable(target: FleetTarget): (err: Error) => never {
  return (err) => {
    if (err instanceof ShoalError) throw err;
    throw new ShoalError('SHOAL_ERR_REDIS_UNREACHABLE', `cannot reach Redis at ${redact(target.redisUrl)}: ${redact(err.message)}`, 503);
  };
}
