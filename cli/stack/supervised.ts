import type { StackProcess } from '../../fleet/index.js';
import { ShoalError } from '../../lib/errors.js';
import { lastLogLine } from './log-tail.js';
import { afterExit, type RestartPolicy } from './restart-policy.js';

/** A started child as the supervisor needs it: redis-server or a shoal subcommand. */
export interface Running {
  pid: number;
  /** The exit code, or the signal's name. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs` (the child's own default when absent). */
  stop(graceMs?: number): Promise<void>;
}

export interface SupervisedOptions<R extends Running> {
  name: string;
  logFile: string;
  /** Where the child serves people, shown on the dashboard. */
  url?: string;
  policy: RestartPolicy;
  /** Starts the child (again: on the same port and data) and resolves once it serves. */
  start: () => Promise<R>;
  /** A line for the operator. */
  say: (line: string) => void;
  /** Each change of the record: started, exited, restarted, failed. */
  onChange: (record: StackProcess, running: R | undefined) => void;
  /** Past the restart limit: the stack cannot keep this child up. */
  onGiveUp: (err: ShoalError) => void;
}

export function describeExit(code: number | string): string {
  return typeof code === 'number' ? `exit ${code}` : code;
}

/**
 * Keeps one child running: an exit nobody asked for is reported at once (which, how, its
 * log), then the child is started again after a back-off, until the restart policy calls
 * it a crash loop.
 */
export class Supervised<R extends Running> {
  current?: R;
  private restartTimes: number[] = [];
  private stopping = false;
  private timer?: NodeJS.Timeout;
  private starting?: Promise<R | undefined>;
  readonly record: StackProcess;

  constructor(private readonly o: SupervisedOptions<R>) {
    this.record = { name: o.name, pid: 0, state: 'restarting', restarts: 0, lastExit: '', lastExitAt: 0, startedAt: 0, log: o.logFile, ...(o.url ? { url: o.url } : {}) };
  }

  /** The first start: a failure here is the caller's (the stack does not come up). */
  async start(): Promise<R> {
    const r = await this.o.start();
    this.running(r);
    return r;
  }

  /** No restart from now on (the stack is stopping); the child keeps running until stop(). */
  retire(): void {
    this.stopping = true;
    clearTimeout(this.timer);
  }

  /** Stops the child and any restart in progress; no restart follows. */
  async stop(graceMs?: number): Promise<void> {
    this.retire();
    const late = await this.starting?.catch(() => undefined);
    await late?.stop(graceMs);
    await this.current?.stop(graceMs);
  }

  private running(r: R): void {
    this.current = r;
    Object.assign(this.record, { pid: r.pid, state: 'running', startedAt: Date.now() });
    this.o.onChange({ ...this.record }, r);
    void r.exited.then((code) => this.exited(r, code));
  }

  private exited(r: R, code: number | string): void {
    if (this.stopping || this.current !== r) return;
    this.current = undefined;
    const now = Date.now();
    const how = describeExit(code);
    Object.assign(this.record, { lastExit: how, lastExitAt: now });
    this.schedule(how, now);
  }

  private schedule(how: string, now: number): void {
    const { name, policy, logFile } = this.o;
    const { verdict, restarts } = afterExit(policy, this.restartTimes, now);
    this.restartTimes = restarts;
    const last = lastLogLine(logFile);
    const tail = `log ${logFile}${last ? `: ${last}` : ''}`;
    if (!verdict.restart) {
      this.record.state = 'failed';
      this.o.onChange({ ...this.record }, undefined);
      this.o.onGiveUp(
        new ShoalError(
          'SHOAL_ERR_CRASH_LOOP',
          `${name} exited (${how}) after ${verdict.inWindow} restarts within ${policy.windowMs / 1000} s: giving up, stopping the stack (${tail})`,
        ),
      );
      return;
    }
    this.record.state = 'restarting';
    this.o.onChange({ ...this.record }, undefined);
    this.o.say(`${name.padEnd(11)} exited (${how}); restart ${verdict.inWindow}/${policy.burst} in ${verdict.delayMs} ms (${tail})`);
    this.timer = setTimeout(() => void this.restart(), verdict.delayMs);
  }

  private async restart(): Promise<void> {
    if (this.stopping) return;
    this.starting = this.o.start().catch(() => {
      // startChild has killed what it started; its log says why
      Object.assign(this.record, { lastExit: 'start failed', lastExitAt: Date.now() });
      return undefined;
    });
    const r = await this.starting;
    this.starting = undefined;
    if (this.stopping) {
      await r?.stop();
      return;
    }
    if (!r) {
      this.schedule(this.record.lastExit, Date.now());
      return;
    }
    this.record.restarts++;
    this.running(r);
  }
}
