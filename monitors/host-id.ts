import { hostname } from 'node:os';
import si from 'systeminformation';

let cached: Promise<string> | undefined;

/**
 * A stable id for this machine, so readers can count a host once however many app servers
 * it runs: the OS machine id, else the hardware uuid, else the hostname. Looked up once
 * per process (systeminformation runs commands to find it).
 */
export function hostId(): Promise<string> {
  cached ??= si.uuid().then(
    (u) => u.os || u.hardware || hostname(),
    () => hostname(),
  );
  return cached;
}
