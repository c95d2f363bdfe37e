import { readFileSync } from 'node:fs';

/**
 * The last line of a child's log, made readable: a pino JSON line becomes its message and
 * error; anything else (redis-server's own log) is shown as it is. '' when there is none.
 */
export function lastLogLine(file: string): string {
  let text = '';
  try {
    text = readFileSync(file, 'utf8').slice(-4000);
  } catch {
    return '';
  }
  const lines = text.trim().split('\n').filter(Boolean);
  const last = lines[lines.length - 1] ?? '';
  try {
    const j = JSON.parse(last) as { msg?: string; err?: { message?: string } | string };
    const err = typeof j.err === 'string' ? j.err : j.err?.message;
    return [j.msg, err].filter(Boolean).join(': ');
  } catch {
    return last.length > 200 ? `${last.slice(0, 200)}…` : last;
  }
}
