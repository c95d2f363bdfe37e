import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { ConfigError } from '../../lib/errors.js';
import { startChild, type Child } from './child.js';

// observability/ ships beside dist/; from the source tree (tsx) it is two levels up, from dist/cli/stack three.
const OBSERVABILITY = [new URL('../../observability/', import.meta.url), new URL('../../../observability/', import.meta.url)]
  .map((u) => fileURLToPath(u))
  .find((dir) => existsSync(join(dir, 'prometheus.yml')))!;

export interface PrometheusOptions {
  dataDir: string;
  /** The autoscaler's /sd. */
  sdUrl: string;
  port: number;
  /** Scrape, rule evaluation and service discovery refresh, in ms. */
  intervalMs: number;
  logFile: string;
  timeoutMs: number;
}

/** `shoal up --prometheus` needs Debian's prometheus on the PATH: say so at the edge, exit 2. */
export function checkPrometheusInstalled(): void {
  const r = spawnSync('prometheus', ['--version'], { stdio: 'ignore' });
  if (r.error || r.status !== 0) throw new ConfigError('invalid --prometheus: prometheus is not installed (apt-get install prometheus)');
}

/** observability/prometheus.yml with this stack's /sd, the interval asked for and the rules file's absolute path. */
export function prometheusConfig(sdUrl: string, intervalMs: number): string {
  const cfg = parse(readFileSync(join(OBSERVABILITY, 'prometheus.yml'), 'utf8')) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: { job_name: string; http_sd_configs?: { url: string; refresh_interval: string }[] }[];
  };
  const every = `${Math.max(1, Math.round(intervalMs / 1000))}s`;
  cfg.global.scrape_interval = every;
  cfg.global.evaluation_interval = every;
  cfg.rule_files = cfg.rule_files.map((f) => join(OBSERVABILITY, f));
  for (const job of cfg.scrape_configs) for (const sd of job.http_sd_configs ?? []) Object.assign(sd, { url: sdUrl, refresh_interval: every });
  return `# written by shoal up from ${join(OBSERVABILITY, 'prometheus.yml')}\n${stringify(cfg)}`;
}

/** Prometheus on loopback with its TSDB under the data dir; ready when it says it serves. */
export async function startPrometheus(o: PrometheusOptions): Promise<Child> {
  const dir = join(o.dataDir, 'prometheus');
  await mkdir(dir, { recursive: true });
  const config = join(dir, 'prometheus.yml');
  await writeFile(config, prometheusConfig(o.sdUrl, o.intervalMs));
  const args = [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${o.port}`,
    '--storage.tsdb.retention.time=2d',
    '--web.enable-lifecycle',
  ];
  // Prometheus logs to stderr; its ready line is read there (sh joins it to stdout, which goes to the log too).
  return startChild({
    name: 'prometheus',
    command: 'sh',
    args: ['-c', 'exec "$0" "$@" 2>&1', 'prometheus', ...args],
    env: process.env,
    logFile: o.logFile,
    readyLine: /Server is ready to receive web requests/,
    timeoutMs: o.timeoutMs,
  });
}
