import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { ShoalError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { findBinary } from './binary.js';
import type { RuntimeApi } from './runtime-api.js';

export interface HaproxyChildOptions {
  bin: string;
  configFile: string;
  api: RuntimeApi;
  log: Logger;
  /** Called once HAProxy answers on its socket again after it died and was restarted. */
  onRestart: () => void;
  /** How long a start may take before it counts as failed. */
  startMs?: number;
}

/**
 * HAProxy as shoal's child, in the foreground (`-db`), so its death is an exit event here.
 * When it dies shoal starts it again at once (then with a back-off if it keeps dying) and
 * hands over to `onRestart`, which re-applies the pool: the new process starts with the
 * empty backend of haproxy.cfg.
 */
export class HaproxyChild {
  private child: ChildProcess | undefined;
  private stopping = false;
  /** Restarts only follow a start that worked: a config HAProxy refuses is the operator's to fix. */
  private started = false;
  private failures = 0;
  private stderr = '';

  constructor(private readonly o: HaproxyChildOptions) {
    // shoal exiting of its own accord takes its HAProxy along; a SIGKILL is pdeathsig's (start)
    process.once('exit', () => this.child?.kill('SIGKILL'));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const [cmd, ...args] = withParentDeathSignal([this.o.bin, '-f', this.o.configFile, '-db'], findBinary('setpriv'));
    const child = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      this.stderr = (this.stderr + d).slice(-4096);
      for (const line of d.split('\n')) {
        const text = line.trim();
        if (!text) continue;
        // NOTICE and WARNING come with every runtime API change (a server up, down, in maintenance)
        const level = text.startsWith('[ALERT]') ? 'error' : text.startsWith('[WARNING]') ? 'info' : 'debug';
        this.o.log[level]({ haproxy: text }, 'haproxy says');
      }
    });
    const spawned = once(child, 'spawn').then(() => undefined);
    child.once('error', () => {}); // ENOENT surfaces through `spawned` below
    await spawned.catch((err: NodeJS.ErrnoException) => {
      throw new ShoalError('SHOAL_ERR_HAPROXY_START', `cannot run ${this.o.bin}: ${err.code ?? err.message} (install the haproxy package, or pass --haproxy-bin)`, 500, { cause: err });
    });
    child.once('exit', (code, signal) => this.exited(child, code, signal));
    const deadline = Date.now() + (this.o.startMs ?? 10_000);
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new ShoalError('SHOAL_ERR_HAPROXY_START', `haproxy exited at start (${child.exitCode ?? child.signalCode}): ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      }
      if (await this.o.api.send('show info').then(() => true, () => false)) {
        this.started = true;
        return;
      }
      if (Date.now() > deadline) throw new ShoalError('SHOAL_ERR_HAPROXY_START', `haproxy did not open ${this.o.api.socket} within ${this.o.startMs ?? 10_000} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Hard stop: HAProxy's `hard-stop-after` bounds the soft one shoal asks for with SIGUSR1. */
  async stop(): Promise<void> {
    this.stopping = true;
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = once(c, 'exit');
    // SIGUSR1: soft stop, stop accepting and let open requests finish
    c.kill('SIGUSR1');
    await gone;
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping || !this.started || child !== this.child) return;
    this.failures++;
    // at once the first time (the 2 s promise); a crash loop backs off up to 5 s
    const delay = Math.min(5000, this.failures > 1 ? 250 * 2 ** (this.failures - 2) : 0);
    this.o.log.error({ code, signal, restartInMs: delay }, 'haproxy exited; restarting it and re-applying the pool');
    setTimeout(() => {
      if (this.stopping) return;
      this.start().then(
        () => {
          setTimeout(() => (this.failures = 0), 30_000).unref();
          this.o.onRestart();
        },
        // an exit during the start schedules the next attempt by itself
        (err: unknown) => this.o.log.error({ err: String(err) }, 'haproxy restart failed'),
      );
    }, delay).unref();
  }
}

/**
 * The command wrapped in util-linux's `setpriv --pdeathsig KILL` where there is one (Linux;
 * Debian's util-linux is essential): the kernel kills HAProxy when shoal dies, even by SIGKILL,
 * which no handler of shoal's can see. setpriv sets the signal and execs HAProxy in place, so
 * the pid shoal holds is HAProxy's. Elsewhere the command runs as it is.
 */
export function withParentDeathSignal(command: string[], setpriv: string | undefined): string[] {
  return setpriv ? [setpriv, '--pdeathsig', 'KILL', '--', ...command] : command;
}
