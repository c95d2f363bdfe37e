import type { Prng } from '../fuzzer/prng.js';
import type { PoolKind, TestsFile } from '../fuzzer/templates.js';
import type { IdPools } from './fixtures.js';
import type { Outcome } from './http/http-sender.js';
import { isExpected } from './recorder.js';
import { compile, extract, render, type CompiledRequest, type Rendered } from './request.js';

/** One chain in progress: its variables and the step it will send next. */
export interface ChainRun {
  chainId: string;
  steps: CompiledRequest[];
  step: number;
  vars: Map<string, string>;
}

/** One request to send: a template, or a chain's step. */
export interface Job {
  req: CompiledRequest;
  run?: ChainRun;
}

/** Cap on chains in progress at once, so a slow target cannot grow them without bound. */
const MAX_ACTIVE_CHAINS = 1000;

/**
 * Chooses what each arrival sends. Weights pick among templates and chain starts; a
 * running chain's next step takes the next arrival once its previous step answered, so
 * chains interleave with templates and the arrival rate stays what was planned.
 */
export class Workload {
  private readonly templates: CompiledRequest[];
  /** One immutable job per template, handed out on every pick (no allocation per arrival). */
  private readonly templateJobs: readonly Job[];
  private readonly chains: { id: string; steps: CompiledRequest[] }[];
  /** Cumulative weights: templates first, then chains. */
  private readonly cumulative: number[];
  private readonly ready: ChainRun[] = [];
  private active = 0;
  private seq = 0;
  /** Chains that ran every step / stopped early (a step failed or saved nothing). */
  chainsCompleted = 0;
  chainsAborted = 0;

  constructor(
    file: Pick<TestsFile, 'templates' | 'chains'>,
    private readonly pools: IdPools,
    private readonly rng: Prng,
    opts: { chains?: boolean } = {},
  ) {
    this.templates = file.templates.map((t) => compile(t.id, t));
    this.templateJobs = this.templates.map((req) => Object.freeze({ req }));
    this.chains = opts.chains === false ? [] : file.chains.map((c) => ({ id: c.id, steps: c.steps.map((s, i) => compile(`${c.id}#${i + 1}`, { ...s, name: `${c.name || c.id}: ${s.name || `step ${i + 1}`}` })) }));
    let sum = 0;
    this.cumulative = [...file.templates.map((t) => (sum += t.weight)), ...(opts.chains === false ? [] : file.chains.map((c) => (sum += c.weight)))];
  }

  get empty(): boolean {
    return this.cumulative.length === 0;
  }

  /** The next request for an open-model arrival, or undefined when nothing can go now. */
  next(): Job | undefined {
    const run = this.ready.shift();
    if (run) return { req: run.steps[run.step]!, run };
    const i = this.pickIndex();
    if (i < this.templates.length) return this.templateJobs[i]!;
    if (this.active >= MAX_ACTIVE_CHAINS) return this.templates.length ? this.templateJobs[this.pickTemplate()]! : undefined;
    return this.start(i - this.templates.length);
  }

  /** A whole unit of work for a closed-model user: a template, or a new chain run. */
  nextUnit(): Job {
    const i = this.pickIndex();
    return i < this.templates.length ? this.templateJobs[i]! : this.start(i - this.templates.length);
  }

  render(job: Job): Rendered {
    if (job.req.fixed) return job.req.fixed; // the hot path: no render context to build
    return render(job.req, { pick: (k) => this.pick(k), chainVars: job.run?.vars, seq: this.seq++ });
  }

  /** Records a chain step's answer; returns true when the run has another step to send. */
  advance(run: ChainRun, o: Outcome | undefined, opts: { queue: boolean }): boolean {
    const req = run.steps[run.step]!;
    if (!o || !o.status || !isExpected(req.class, o.status)) return this.finish(false);
    if (req.save.length) {
      let json: unknown;
      try {
        json = o.body?.length ? JSON.parse(o.body.toString('utf8')) : undefined;
      } catch {
        json = undefined;
      }
      for (const [name, path] of req.save) {
        const v = extract(json, path);
        if (v === undefined) return this.finish(false);
        run.vars.set(name, v);
      }
    }
    run.step++;
    if (run.step >= run.steps.length) return this.finish(true);
    if (opts.queue) this.ready.push(run);
    return true;
  }

  /** A step that could not be rendered or sent ends its run. */
  abort(): void {
    this.finish(false);
  }

  /** A closed-model run the request cap cut short: kept for the cleanup of its DELETE steps. */
  park(run: ChainRun): void {
    this.ready.push(run);
  }

  /** Runs left unfinished when the clock or the cap stopped, with their remaining steps (for cleanup). */
  unfinished(): ChainRun[] {
    return this.ready.splice(0);
  }

  private start(c: number): Job {
    const chain = this.chains[c]!;
    const run: ChainRun = { chainId: chain.id, steps: chain.steps, step: 0, vars: new Map() };
    this.active++;
    return { req: chain.steps[0]!, run };
  }

  private finish(completed: boolean): false {
    this.active--;
    if (completed) this.chainsCompleted++;
    else this.chainsAborted++;
    return false;
  }

  private pickIndex(): number {
    const total = this.cumulative[this.cumulative.length - 1]!;
    const x = this.rng.next() * total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private pickTemplate(): number {
    const last = this.cumulative[this.templates.length - 1]!;
    const x = this.rng.next() * last;
    return this.cumulative.findIndex((c) => c > x);
  }

  private pick(kind: PoolKind): string | undefined {
    const ids = this.pools[kind];
    return ids.length ? ids[Math.floor(this.rng.next() * ids.length)] : undefined;
  }
}

/** Whether a job needs its response body (a chain step that saves variables). */
export function wantsBody(job: Job): boolean {
  return job.req.save.length > 0;
}
