import { Prng } from '../fuzzer/prng.js';
import type { TestsFile } from '../fuzzer/templates.js';
import { runClosedModel } from './closed-model.js';
import type { IdPools } from './fixtures.js';
import { HttpSender, type Outcome } from './http/http-sender.js';
import { NoWaitSender } from './http/no-wait-sender.js';
import { runOpenModel } from './open-model.js';
import { Recorder } from './recorder.js';
import { Unresolved, type Rendered } from './request.js';
import { rateAt, type Segment } from './schedule.js';
import { wantsBody, Workload, type Job } from './workload.js';

export type LoadModel = { kind: 'open'; plan: Segment[] } | { kind: 'closed'; users: number; thinkMs: number; durationMs: number };

/**
 * One stream of load with limits of its own: the whole run, or one entry of the seed's
 * legacy file (each entry is its own test, as the npm `loadtest` options it came from mean).
 */
export interface LoadPart {
  /** What the per-entry report calls it; absent for a run that is a single part. */
  name?: string;
  file: Pick<TestsFile, 'templates' | 'chains'>;
  model: LoadModel;
  connections: number;
  /** This part's request cap. */
  maxRequests: number;
}

/** Why a part (or a run) stopped: its plan ran out, its request cap, or a signal (Ctrl-C). */
export type EndReason = 'completed' | 'request-cap' | 'interrupted';

/** The options every part of a run shares. Times in ms. */
export interface PartOptions {
  /** Origin without a trailing slash, e.g. http://127.0.0.1:8080. */
  target: string;
  timeoutMs: number;
  /** A send this much later than planned counts as missed (it still goes). */
  lateMs: number;
  /** Sends waiting for a connection beyond this many are dropped (and counted as missed). */
  maxQueue: number;
  noWait: boolean;
  maxSockets: number;
  holdMs: number;
  seed: number;
  signal?: AbortSignal;
}

/** Runs one part: its workload, its own connections and recorder, its model and cap. */
export class PartRun {
  /** Set when run() starts the clock. */
  rec!: Recorder;
  ended: EndReason | undefined;
  private t0 = 0;
  /** The open model's pump, run after every answer. */
  private pump: (() => void) | undefined;
  private markSendingOver!: () => void;
  /** Settles when this part sends nothing more (answers may still be on their way). */
  readonly sendingOver = new Promise<void>((resolve) => (this.markSendingOver = resolve));
  private readonly workload: Workload;
  private readonly sender?: HttpSender;
  private readonly noWait?: NoWaitSender;
  /** The closed model's last offered-rate reading. */
  private lastOffered = { tMs: 0, sent: 0 };

  constructor(
    readonly part: LoadPart,
    private readonly o: PartOptions,
    pools: IdPools,
  ) {
    this.workload = new Workload(part.file, pools, new Prng(o.seed), { chains: !o.noWait });
    if (o.noWait) this.noWait = new NoWaitSender(o.target, o.maxSockets, o.holdMs);
    else this.sender = new HttpSender(o.target, { connections: part.connections, timeoutMs: o.timeoutMs });
  }

  connect(): Promise<void> {
    return this.sender?.connect() ?? Promise.resolve();
  }

  /**
   * The rate this part offers at `tMs` since the start: the open model's planned arrival
   * rate (0 once it stopped), or the closed model's sends per second since the last call.
   */
  offeredAt(tMs: number): number {
    const m = this.part.model;
    if (m.kind === 'open') return this.ended ? 0 : rateAt(m.plan, tMs);
    const sent = this.rec.sent;
    const rate = tMs > this.lastOffered.tMs ? ((sent - this.lastOffered.sent) * 1000) / (tMs - this.lastOffered.tMs) : 0;
    this.lastOffered = { tMs, sent };
    return rate;
  }

  /**
   * Sends until the plan, the cap or the signal ends it, waits for the answers, then cleans
   * up. `t0` (performance.now()) is the run's start; `rec` exists once this is called.
   */
  async run(t0: number): Promise<EndReason> {
    this.t0 = t0;
    this.rec = new Recorder(t0);
    try {
      const capped = this.part.model.kind === 'open' ? await this.runOpen(this.part.model.plan) : await this.runClosed(this.part.model);
      this.ended = capped ? 'request-cap' : this.o.signal?.aborted ? 'interrupted' : 'completed';
      this.markSendingOver();
      if (this.sender) {
        await drain(this.sender, this.o.timeoutMs + 1000);
        await this.finishChains(this.sender);
      }
    } finally {
      this.ended ??= 'interrupted';
      this.markSendingOver();
      this.rec.bytesSent = this.sender?.bytesSent ?? this.noWait?.bytesSent ?? 0;
      this.sender?.destroy();
      await this.noWait?.close();
    }
    return this.ended;
  }

  // `at`: now, in ms since t0, as the caller already knows it
  private send(job: Job, rendered: Rendered, plannedAt: number, at: number, then?: (o: Outcome) => void): void {
    this.rec.sentOne(plannedAt, at, false);
    this.sender!.send(rendered, wantsBody(job), (o) => {
      this.rec.outcome(job.req, rendered, plannedAt, o, this.o.lateMs);
      if (then) then(o);
      this.pump?.();
    });
  }

  private renderOrSkip(job: Job): Rendered | undefined {
    try {
      return this.workload.render(job);
    } catch (err) {
      if (!(err instanceof Unresolved)) throw err;
      this.rec.unresolved++;
      if (job.run) this.workload.abort();
      return undefined;
    }
  }

  private async runOpen(plan: Segment[]): Promise<boolean> {
    const { rec, workload, sender, noWait, o } = this;
    const open = runOpenModel(
      plan,
      { maxRequests: this.part.maxRequests, lagBoundMs: Math.max(1000, o.lateMs), signal: o.signal },
      {
        t0: this.t0,
        admits: () => (noWait ? noWait.admits() : sender!.inflight < this.part.connections + o.maxQueue),
        drop: (plannedAt) => rec.dropped(plannedAt),
        issue: (plannedAt, now) => {
          const job = workload.next();
          if (!job) return rec.dropped(plannedAt);
          const rendered = this.renderOrSkip(job);
          if (!rendered) return;
          if (noWait) {
            rec.sentOne(plannedAt, now, now - plannedAt > o.lateMs);
            noWait.send(rendered);
            rec.maxSockets = noWait.peak;
          } else this.send(job, rendered, plannedAt, now, job.run && ((out) => workload.advance(job.run!, out, { queue: true })));
        },
      },
    );
    this.pump = open.pump;
    return (await open.result).capped;
  }

  private async runClosed(model: Extract<LoadModel, { kind: 'closed' }>): Promise<boolean> {
    const { workload, t0 } = this;
    const res = await runClosedModel({ ...model, maxRequests: this.part.maxRequests, signal: this.o.signal }, t0, (take, done) => {
      const step = (job: Job | undefined): void => {
        if (!job) return done();
        if (!take()) {
          if (job.run) workload.park(job.run);
          return done();
        }
        const plannedAt = performance.now() - t0;
        const rendered = this.renderOrSkip(job);
        if (!rendered) return done();
        const run = job.run;
        if (!run) return this.send(job, rendered, plannedAt, plannedAt, done);
        this.send(job, rendered, plannedAt, plannedAt, (out) => step(workload.advance(run, out, { queue: false }) ? { req: run.steps[run.step]!, run } : undefined));
      };
      step(workload.nextUnit());
    });
    return res.capped;
  }

  /**
   * Chains cut off by the clock still delete what they created: their remaining DELETE
   * steps run now, outside the measurement.
   */
  private async finishChains(sender: HttpSender): Promise<void> {
    for (const run of this.workload.unfinished()) {
      for (let i = run.step; i < run.steps.length; i++) {
        if (run.steps[i]!.method !== 'DELETE') continue;
        let rendered: Rendered;
        try {
          rendered = this.workload.render({ req: run.steps[i]!, run });
        } catch {
          continue;
        }
        await new Promise<void>((resolve) => sender.send(rendered, false, () => resolve()));
      }
    }
  }

  get chains(): { completed: number; aborted: number } {
    return { completed: this.workload.chainsCompleted, aborted: this.workload.chainsAborted };
  }
}

async function drain(sender: HttpSender, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (sender.inflight > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
