import type { ServerRow, StatusView } from '../../fleet/status-view.js';

/** Pure: the text `shoal status` prints — a summary line, a server table, the stack's processes, the last decisions. */
export function renderStatus(v: StatusView): string {
  const lines: string[] = [];
  const targets = [v.targets.rps !== null ? `${v.targets.rps} rps/server` : '', v.targets.memoryPercent !== null ? `${v.targets.memoryPercent}% memory` : '']
    .filter(Boolean)
    .join(', ');
  lines.push(
    `desired ${v.desired ?? '-'}  actual ${v.actual}  min ${v.min ?? '-'}  max ${v.max ?? '-'}  targets ${targets || '-'}  ` +
      `offered ${v.offeredRps} rps  served ${v.servedRps} rps  proxies ${v.proxies.length}  pool v${v.poolVersion}`,
  );
  if (v.desired === null) lines.push('(no autoscaler has reported yet)');
  lines.push('');
  lines.push(...serverTable(v.servers));
  if (v.processes.length > 0) {
    lines.push('', 'STACK (shoal up)');
    const procs = v.processes.map((p) => [
      p.name,
      String(p.pid),
      p.state,
      String(p.restarts),
      p.lastExit === null ? '-' : `${p.lastExit}, ${age(p.lastExitAgoSeconds ?? 0)} ago`,
      age(p.uptimeSeconds),
      p.log,
    ]);
    lines.push(...table([['PROCESS', 'PID', 'STATE', 'RESTARTS', 'LAST EXIT', 'UP', 'LOG'], ...procs]));
  }
  lines.push('', 'LAST DECISIONS');
  if (v.decisions.length === 0) lines.push('(none yet)');
  for (const d of v.decisions) {
    lines.push(`${new Date(d.at).toISOString().slice(11, 19)}  ${d.action || '-'}  desired ${d.desired ?? '-'}  ${d.reason}`);
  }
  return lines.join('\n') + '\n';
}

/** Pure: the server table of `shoal status`, alone (`shoal fleet ls`). */
export function serverTable(servers: ServerRow[]): string[] {
  const header = ['ID', 'ADDRESS', 'STATE', 'RPS', 'P95 MS', 'MEMORY %', 'IN-FLIGHT', 'AGE'];
  const rows = servers.map((s) => [
    s.id,
    s.address || '-',
    s.state,
    String(s.rps),
    s.p95Ms === null ? '-' : String(s.p95Ms),
    s.memoryPercent === null ? '-' : String(s.memoryPercent),
    String(s.inflight),
    age(s.ageSeconds),
  ]);
  return rows.length === 0 ? [...table([header]), '(no servers)'] : table([header, ...rows]);
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

export function age(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}
